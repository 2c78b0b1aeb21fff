// Driver for bench/postgres_bench.sh: runs one logical backup or restore of the PostgreSQL
// source so that the script can time it (wall, peak RSS) against pg_dump/pg_restore.
//   postgres_bench backup  <postgresql-url> <capture-dir> <jobs>
//   postgres_bench restore <postgresql-url> <capture-dir> <jobs>   (the target database must not exist)
// Prints one JSON line with rows, bytes and seconds.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "io/stream.h"
#include "sources/postgres/backup.h"
#include "sources/postgres/restore.h"

using namespace summit;
using namespace summit::sources::postgres;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s backup|restore URL DIR JOBS\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  auto settings = Settings::ParseUrl(argv[2]);
  if (!settings) {
    std::fprintf(stderr, "%s\n", settings.error().ToString().c_str());
    return 2;
  }
  int jobs = std::atoi(argv[4]);
  if (mode == "backup") {
    DirCaptureWriter w(argv[3]);
    BackupOptions o;
    o.jobs = jobs;
    auto r = Backup(*settings, o, w);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return 1;
    }
    if (auto st = w.Finish(); !st) return 1;
    std::printf("%s\n", nlohmann::json{{"rows", r->rows}, {"bytes", r->bytes}, {"seconds", r->seconds}}.dump().c_str());
    return 0;
  }
  auto in = DirCaptureReader::Open(argv[3]);
  if (!in) {
    std::fprintf(stderr, "%s\n", in.error().ToString().c_str());
    return 1;
  }
  RestoreOptions o;
  o.jobs = jobs;
  // For experiments: POSTGRES_BENCH_MWM=64MB (or "" for the server's setting).
  if (const char* m = std::getenv("POSTGRES_BENCH_MWM")) o.maintenance_work_mem = m;
  // POSTGRES_BENCH_PMW=2: parallel workers per index build (default 0; -1: the server's).
  if (const char* w = std::getenv("POSTGRES_BENCH_PMW")) o.max_parallel_maintenance_workers = std::atoi(w);
  // POSTGRES_BENCH_COPY=text: every table in COPY text format (the binary fast path off).
  if (const char* f = std::getenv("POSTGRES_BENCH_COPY")) o.binary_copy = std::string(f) != "text";
  auto r = Restore(*settings, o, **in, nullptr);
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
    return 1;
  }
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [phase, s] : r->phase_seconds) phases[phase] = s;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& st : r->steps) steps.push_back({st.what, st.start, st.seconds, st.connection});
  nlohmann::json formats = nlohmann::json::object();
  for (const auto& t : r->tables) formats[t.table] = t.copy_format;
  std::printf("%s\n", nlohmann::json{{"rows", r->rows}, {"bytes", r->bytes}, {"seconds", r->seconds}, {"phases", phases},
                                     {"steps", steps}, {"copy_format", formats}, {"warnings", r->warnings}}
                          .dump()
                          .c_str());
  return 0;
}
