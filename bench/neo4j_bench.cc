// Neo4j export/import throughput: generates a graph of N nodes and R*N relationships on the
// server given by NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD (it EMPTIES that database), captures it
// into a directory, empties the database, restores it, and checks the fingerprint.
//
//   neo4j_bench [nodes=100000] [relationships_per_node=3] [capture_dir=/tmp/neo4j-bench]
//
// Prints nodes/s and relationships/s for export and import and the process's peak RSS after
// each phase (the client streams: its memory must not grow with the graph, except the
// restore's 8 bytes per node id and the fingerprint's digest per node).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/log.h"
#include "io/stream.h"
#include "sources/neo4j/bolt/connection.h"
#include "sources/neo4j/neo4j.h"

using namespace summit;
using namespace summit::sources::neo4j;

namespace {

long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

std::string Env(const char* n, const char* def = "") {
  const char* v = std::getenv(n);
  return v != nullptr ? v : def;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

bool Check(const Status& s, const char* what) {
  if (!s) std::fprintf(stderr, "%s: %s\n", what, s.error().ToString().c_str());
  return s.has_value();
}

template <typename T>
bool Check(const Result<T>& s, const char* what) {
  if (!s) std::fprintf(stderr, "%s: %s\n", what, s.error().ToString().c_str());
  return s.has_value();
}

}  // namespace

int main(int argc, char** argv) {
  log::InitFromEnvironment();
  const int64_t nodes = argc > 1 ? std::atoll(argv[1]) : 100000;
  const int64_t per_node = argc > 2 ? std::atoll(argv[2]) : 3;
  const std::string dir = argc > 3 ? argv[3] : "/tmp/neo4j-bench";
  Settings s;
  s.uri = Env("NEO4J_URI");
  s.user = Env("NEO4J_USER", "neo4j");
  s.password = SecretString(Env("NEO4J_PASSWORD"));
  if (s.uri.empty()) {
    std::fprintf(stderr, "set NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD (tests/harness/up.sh)\n");
    return 2;
  }
  bolt::ConnectOptions co;
  co.uri = s.uri;
  co.user = s.user;
  co.password = s.password;
  auto conn = bolt::Connection::Open(co);
  if (!Check(conn, "connect")) return 1;
  auto& c = **conn;
  auto exec = [&](const std::string& q, const bolt::Map& p = {}) { return c.Query(q, p, "neo4j"); };

  auto t = std::chrono::steady_clock::now();
  if (!Check(exec("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"), "wipe")) return 1;
  if (!Check(exec("CREATE CONSTRAINT bench_uid IF NOT EXISTS FOR (n:Entity) REQUIRE n.uid IS UNIQUE"), "schema")) return 1;
  const int64_t step = 20000;
  for (int64_t from = 0; from < nodes; from += step) {
    bolt::Map p;
    p["from"] = from;
    p["to"] = std::min(nodes, from + step) - 1;
    if (!Check(exec("UNWIND range($from, $to) AS k CREATE (n:Entity {uid: k, tenant_id: 'customer-' + (k % 3), "
                    "name: 'entity ' + k, score: k / 7.0, tags: ['a', 'b'], seen_at: datetime({epochSeconds: 1737331200 + k}), "
                    "location: point({x: k % 360 - 180.0, y: 45.5})}) "
                    "FOREACH (_ IN CASE WHEN k % 10 = 0 THEN [1] ELSE [] END | SET n:Classified)",
                    p),
               "generating nodes"))
      return 1;
  }
  for (int64_t r = 0; r < per_node; ++r) {
    for (int64_t from = 0; from < nodes; from += step) {
      bolt::Map p;
      p["from"] = from;
      p["to"] = std::min(nodes, from + step) - 1;
      p["n"] = nodes;
      p["r"] = r;
      if (!Check(exec("UNWIND range($from, $to) AS k MATCH (a:Entity {uid: k}) "
                      "MATCH (b:Entity {uid: (k * 7919 + $r * 104729 + 1) % $n}) "
                      "CREATE (a)-[:RELATED_TO {weight: k / 3.0, at: date({year: 2025, month: 1, day: 1 + k % 28})}]->(b)",
                      p),
                 "generating relationships"))
        return 1;
    }
  }
  std::printf("generated %lld nodes, %lld relationships in %.1f s\n", static_cast<long long>(nodes),
              static_cast<long long>(nodes * per_node), Since(t));
  std::fflush(stdout);

  std::filesystem::remove_all(dir);
  t = std::chrono::steady_clock::now();
  DirCaptureWriter w(dir);
  auto rep = Backup(s, {}, w);
  if (!Check(rep, "backup") || !Check(w.Finish(), "finish")) return 1;
  double export_s = Since(t);
  std::printf("export: %llu nodes + %llu relationships, %s, in %.1f s: %.0f nodes/s, %.0f relationships/s, "
              "%.0f entities/s, snapshot=%d; peak rss %ld MiB\n",
              static_cast<unsigned long long>(rep->nodes), static_cast<unsigned long long>(rep->relationships),
              FormatBytes(rep->bytes).c_str(), export_s, rep->nodes / export_s, rep->relationships / export_s,
              (rep->nodes + rep->relationships) / export_s, rep->snapshot, PeakRssMb());
  std::fflush(stdout);

  auto in = DirCaptureReader::Open(dir);
  if (!Check(in, "open capture")) return 1;
  auto before = FingerprintCapture(**in);
  if (!Check(before, "fingerprint capture")) return 1;

  t = std::chrono::steady_clock::now();
  RestoreOptions ro;
  ro.allow_wipe = true;
  auto rr = Restore(s, ro, **in, nullptr);
  if (!Check(rr, "restore")) return 1;
  double import_s = Since(t);
  std::printf("import (including emptying the database first): %llu nodes + %llu relationships in %.1f s: "
              "%.0f nodes/s, %.0f relationships/s; peak rss %ld MiB\n",
              static_cast<unsigned long long>(rr->nodes), static_cast<unsigned long long>(rr->relationships),
              import_s, rr->nodes / import_s, rr->relationships / import_s, PeakRssMb());
  std::fflush(stdout);

  t = std::chrono::steady_clock::now();
  auto after = Fingerprint(s);
  if (!Check(after, "fingerprint")) return 1;
  std::printf("fingerprint in %.1f s: %s (%s)\n", Since(t), after->content_hash.substr(0, 16).c_str(),
              *after == *before ? "equal to the capture's" : "DIFFERENT from the capture's");
  std::filesystem::remove_all(dir);
  return *after == *before ? 0 : 1;
}
