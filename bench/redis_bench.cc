// Redis capture and restore throughput against the baselines a Redis operator would use:
//   capture: CaptureFull (replication RDB, parsed and checked on the way) vs `redis-cli --rdb`
//   restore: Restore (RDB parsed into pipelined RESTORE ... REPLACE ABSTTL) vs the same RESTORE
//            commands piped by `redis-cli --pipe` from a pre-generated file
// on a generated keyspace of N keys (80% strings, 10% hashes, 5% lists, 5% sets; 10% with a
// TTL) on the server given by REDIS_URL. It FLUSHALLs that server.
//
//   redis_bench [keys=2000000] [work_dir=/tmp/redis-bench]
//
// Prints seconds, keys/s and MB/s per phase, the peak RSS of this process, and checks that
// the restored keyspace's fingerprint equals the original's.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "io/stream.h"
#include "sources/redis/capture_reader.h"
#include "sources/redis/client.h"
#include "sources/redis/redis_source.h"

using namespace summit;
using namespace summit::sources::redis;

namespace {

long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.ToString().c_str());
  return 1;
}

void Row(const char* phase, double secs, uint64_t keys, uint64_t bytes) {
  std::printf("%-34s %8.2f s %12.0f keys/s %9.1f MB/s  peak rss %ld MB\n", phase, secs, keys / secs,
              bytes / secs / 1e6, PeakRssMb());
  std::fflush(stdout);
}

std::string Resp(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out.append(a);
    out += "\r\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  std::string work = argc > 2 ? argv[2] : "/tmp/redis-bench";
  const char* url = std::getenv("REDIS_URL");
  if (!url) {
    std::fprintf(stderr, "set REDIS_URL (a throwaway server: it is flushed)\n");
    return 2;
  }
  auto settings = ParseUrl(url);
  if (!settings) return Die("REDIS_URL", settings.error());
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);

  // 1. Generate the keyspace with a pipelined loader.
  {
    auto conn = Connection::Open(*settings);
    if (!conn) return Die("connecting", conn.error());
    auto& c = **conn;
    if (auto r = c.Command({"FLUSHALL"}); !r) return Die("FLUSHALL", r.error());
    auto t0 = std::chrono::steady_clock::now();
    std::string value(64, 'v');
    size_t pending = 0;
    for (uint64_t i = 0; i < n; ++i) {
      std::string k = "bench:" + std::to_string(i);
      std::string v = value + std::to_string(i);
      int kind = static_cast<int>(i % 20);
      Status st;
      if (kind < 16) st = c.Append({"SET", k, v});
      else if (kind < 18) st = c.Append({"HSET", k, "f1", v, "f2", "x", "f3", std::to_string(i)});
      else if (kind < 19) st = c.Append({"RPUSH", k, "a", "b", v});
      else st = c.Append({"SADD", k, "m1", "m2", std::to_string(i)});
      if (!st) return Die("loading", st.error());
      ++pending;
      if (i % 10 == 0) {
        if (auto s = c.Append({"PEXPIRE", k, "86400000"}); !s) return Die("loading", s.error());
        ++pending;
      }
      if (pending >= 2000) {
        for (; pending > 0; --pending)
          if (auto r = c.GetReply(); !r) return Die("loading", r.error());
      }
    }
    for (; pending > 0; --pending)
      if (auto r = c.GetReply(); !r) return Die("loading", r.error());
    Row("generate (pipelined writes)", Since(t0), n, 0);
  }
  // 2. Capture: ours, then redis-cli --rdb.
  DirCaptureWriter cap(work + "/capture");
  auto t0 = std::chrono::steady_clock::now();
  auto stats = CaptureFull(*settings, cap);
  if (!stats) return Die("CaptureFull", stats.error());
  if (auto st = cap.Finish(); !st) return Die("capture finish", st.error());
  Row("capture: summit CaptureFull", Since(t0), stats->keys, stats->bytes);

  std::string cli = "redis-cli -h " + settings->host + " -p " + std::to_string(settings->port) +
                    (settings->password.empty() ? "" : " -a '" + settings->password.Reveal() + "' --no-auth-warning");
  t0 = std::chrono::steady_clock::now();
  if (std::system((cli + " --rdb " + work + "/cli.rdb > /dev/null 2>&1").c_str()) != 0) {
    std::fprintf(stderr, "redis-cli --rdb failed\n");
    return 1;
  }
  Row("capture: redis-cli --rdb", Since(t0), stats->keys, std::filesystem::file_size(work + "/cli.rdb"));

  // After the captures, so that their peak RSS is their own (the fingerprint keeps every key
  // name of a database to drop SCAN's duplicates).
  auto before = Fingerprint(*settings);
  if (!before) return Die("fingerprint", before.error());

  auto src = DirCaptureReader::Open(work + "/capture");
  if (!src) return Die("opening capture", src.error());

  // 3. Restore baseline: the same RESTORE commands, generated up front, piped by redis-cli.
  {
    auto sink = OpenFileSink(work + "/restore.resp");
    if (!sink) return Die("resp file", sink.error());
    auto reader = CaptureKeyReader::Open(**src);
    if (!reader) return Die("reading capture", reader.error());
    CapturedKey k;
    int db = -1;
    std::string buf;
    for (;;) {
      auto more = (*reader)->Next(&k);
      if (!more) return Die("reading capture", more.error());
      if (!*more) break;
      if (k.db != db) {
        db = k.db;
        buf += Resp({"SELECT", std::to_string(db)});
      }
      std::string ttl = k.expire_ms ? std::to_string(*k.expire_ms) : "0";
      buf += Resp({"RESTORE", k.key, ttl, k.payload, "REPLACE", "ABSTTL"});
      if (buf.size() > (1 << 20)) {
        if (auto st = (*sink)->Write(buf); !st) return Die("resp file", st.error());
        buf.clear();
      }
    }
    if (auto st = (*sink)->Write(buf); !st) return Die("resp file", st.error());
    if (auto st = (*sink)->Close(); !st) return Die("resp file", st.error());
  }
  {
    auto conn = Connection::Open(*settings);
    if (!conn) return Die("connecting", conn.error());
    (void)(*conn)->Command({"FLUSHALL"});
  }
  t0 = std::chrono::steady_clock::now();
  if (std::system((cli + " --pipe < " + work + "/restore.resp > " + work + "/pipe.log 2>&1").c_str()) != 0) {
    std::fprintf(stderr, "redis-cli --pipe failed, see %s/pipe.log\n", work.c_str());
    return 1;
  }
  Row("restore: redis-cli --pipe RESTORE", Since(t0), stats->keys, std::filesystem::file_size(work + "/restore.resp"));

  // 4. Our restore (parses the RDB on the fly).
  RestoreOptions opt;
  opt.flush = true;
  t0 = std::chrono::steady_clock::now();
  auto plan = Restore(*settings, opt, **src, nullptr);
  if (!plan) return Die("Restore", plan.error());
  Row("restore: summit Restore (flush)", Since(t0), plan->keys, plan->bytes);

  auto after = Fingerprint(*settings);
  if (!after) return Die("fingerprint", after.error());
  bool same = *after == *before;
  std::printf("fingerprint after restore %s the original (%llu keys)\n", same ? "equals" : "DIFFERS FROM",
              static_cast<unsigned long long>(after->begin()->second.keys));

  // 5. Filtered capture of the same keyspace, for comparison.
  DirCaptureWriter fcap(work + "/filtered");
  FilteredCaptureOptions fopt;
  fopt.filter = MinimalFilter();
  t0 = std::chrono::steady_clock::now();
  auto fstats = CaptureFiltered(*settings, fopt, fcap);
  if (!fstats) return Die("CaptureFiltered", fstats.error());
  Row("capture: summit CaptureFiltered", Since(t0), fstats->keys, fstats->bytes);
  std::filesystem::remove_all(work);
  return same ? 0 : 1;
}
