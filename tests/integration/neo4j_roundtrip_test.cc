// Neo4j capture and restore against the harness's real server: every property type
// round-trips, fingerprints match after capture -> wipe -> restore, a tenant restore leaves other
// tenants identical, and login/connection failures are reported as such.
#include <atomic>
#include <filesystem>
#include <limits>
#include <thread>

#include <gtest/gtest.h>

#include "harness_env.h"
#include "io/stream.h"
#include "sources/neo4j/bolt/connection.h"
#include "sources/neo4j/graph_json.h"
#include "sources/neo4j/neo4j.h"

namespace summit::sources::neo4j {
namespace {

using bolt::List;
using bolt::Map;
using bolt::Value;
using summit::testing::Env;

Settings Harness() { return summit::testing::HarnessNeo4j(); }

std::unique_ptr<bolt::Connection> Connect(const Settings& s) {
  bolt::ConnectOptions o;
  o.uri = s.uri;
  o.user = s.user;
  o.password = s.password;
  auto c = bolt::Connection::Open(o);
  EXPECT_TRUE(c.has_value()) << c.error().ToString();
  return c.has_value() ? std::move(*c) : nullptr;
}

void Exec(bolt::Connection& c, const std::string& q, const Map& p = {}) {
  auto r = c.Query(q, p, "neo4j");
  ASSERT_TRUE(r.has_value()) << q << ": " << r.error().ToString();
}

void Wipe(bolt::Connection& c) {
  Exec(c, "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS");
  auto cons = c.Query("SHOW CONSTRAINTS YIELD name RETURN name", {}, "neo4j");
  ASSERT_TRUE(cons.has_value());
  for (auto& row : *cons) Exec(c, "DROP CONSTRAINT `" + row[0].As<std::string>() + "`");
  auto idx = c.Query("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name", {}, "neo4j");
  ASSERT_TRUE(idx.has_value());
  for (auto& row : *idx) Exec(c, "DROP INDEX `" + row[0].As<std::string>() + "`");
}

// Every property type the export format knows, as parameters (so they travel as PackStream
// structures both ways).
Map AllTypes() {
  Map p;
  p["s"] = Value("multibyte \xc3\xa9\xe2\x82\xac, tab\t, newline\n, quote ' \" backslash \\");
  p["b"] = Value(true);
  p["i_small"] = Value(int64_t{-16});
  p["i_big"] = Value(std::numeric_limits<int64_t>::max());
  p["i_min"] = Value(std::numeric_limits<int64_t>::min());
  p["f"] = Value(0.1);
  p["f_neg_zero"] = Value(-0.0);
  p["f_nan"] = Value(std::nan(""));
  p["f_inf"] = Value(-std::numeric_limits<double>::infinity());
  p["bytes"] = Value(Bytes{0, 1, 2, 254, 255});
  p["tags"] = Value(List{Value("x"), Value("y")});
  p["ints"] = Value(List{Value(int64_t{1}), Value(int64_t{1} << 40)});
  p["date"] = Value(bolt::Date{DaysFromCivil(2025, 1, 20)});
  p["old_date"] = Value(bolt::Date{DaysFromCivil(-44, 3, 15)});
  p["time"] = Value(bolt::Time{(10 * 3600LL) * 1000000000 + 123456789, 3600});
  p["local_time"] = Value(bolt::LocalTime{(23 * 3600LL + 59 * 60 + 59) * 1000000000 + 1});
  p["datetime"] = Value(bolt::DateTime{1737363600, 5, -18000});
  p["datetime_zone"] = Value(bolt::DateTimeZoneId{1737363600, 999999999, "Europe/Paris", true});
  p["local_datetime"] = Value(bolt::LocalDateTime{1737363600, 7});
  p["duration"] = Value(bolt::Duration{14, 3, 3600, 5});
  p["point2d"] = Value(bolt::Point2D{4326, 2.3522, 48.8566});
  p["point3d"] = Value(bolt::Point3D{9157, 1.5, -2.5, 3.25});
  p["dates"] = Value(List{Value(bolt::Date{1}), Value(bolt::Date{2})});
  return p;
}

// A small Summit-shaped graph (docs/dataset.md) for `tenants`, plus one node with every type.
void Populate(bolt::Connection& c, const std::vector<std::string>& tenants, int entities_per_tenant = 20) {
  Exec(c, "CREATE CONSTRAINT user_uid IF NOT EXISTS FOR (n:User) REQUIRE n.uid IS UNIQUE");
  Exec(c, "CREATE CONSTRAINT entity_uid IF NOT EXISTS FOR (n:Entity) REQUIRE n.uid IS UNIQUE");
  Exec(c, "CREATE INDEX entity_tenant IF NOT EXISTS FOR (n:Entity) ON (n.tenant_id)");
  for (const auto& t : tenants) {
    Map p;
    p["t"] = t;
    p["n"] = int64_t{entities_per_tenant};
    Exec(c,
         "CREATE (u:User {uid: $t + '-u1', tenant_id: $t, email: 'a@' + $t + '.com', name: 'A'}) "
         "CREATE (i:Investigation {uid: $t + '-inv-1', tenant_id: $t, title: 'T', opened: date('2025-01-20')}) "
         "CREATE (u)-[:OWNS {since: date('2024-05-01')}]->(i) "
         "WITH u, i UNWIND range(1, $n) AS k "
         "CREATE (e:Entity {uid: $t + '-e' + k, tenant_id: $t, investigation_id: $t + '-inv-1', name: 'e' + k, "
         "  kind: 'person', score: k / 3.0, tags: ['a', 'b'], seen_at: datetime('2025-01-20T10:00:00.5+01:00[Europe/Paris]'), "
         "  location: point({longitude: k, latitude: 45.5})}) "
         "CREATE (i)-[:CONTAINS]->(e) "
         "FOREACH (_ IN CASE WHEN k % 5 = 0 THEN [1] ELSE [] END | SET e:Classified, e.classified = 'secret') "
         "FOREACH (_ IN CASE WHEN k % 3 = 0 THEN [1] ELSE [] END | CREATE (u)-[:FLAGGED {at: datetime('2025-01-21T00:00:00Z')}]->(e))",
         p);
    Exec(c,
         "MATCH (a:Entity {tenant_id: $t}), (b:Entity {tenant_id: $t}) WHERE a.uid < b.uid AND rand() < 2 "
         "WITH a, b LIMIT 30 CREATE (a)-[:RELATED_TO {weight: 0.25, evidence: ['x', 'y']}]->(b)",
         p);
  }
  Map all = AllTypes();
  Map p;
  p["props"] = Value(all);
  p["t"] = tenants.front();
  Exec(c, "CREATE (n:Typed:Entity {uid: 'typed-1'}) SET n += $props, n.tenant_id = $t "
          "CREATE (n)-[:RELATED_TO $props]->(n)",
       p);
}

struct TempDir {
  std::string path;
  explicit TempDir(const std::string& name) {
    path = ::testing::TempDir() + "/neo4j_it_" + name + "_" + std::to_string(::getpid());
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

Result<BackupReport> Capture(const Settings& s, const BackupOptions& o, const std::string& dir) {
  DirCaptureWriter w(dir);
  SUMMIT_ASSIGN_OR_RETURN(BackupReport r, Backup(s, o, w));
  SUMMIT_TRY(w.Finish());
  return r;
}

class Neo4jRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!summit::testing::HaveService("neo4j")) return;
    settings_ = Harness();
    conn_ = Connect(settings_);
    ASSERT_NE(conn_, nullptr);
    Wipe(*conn_);
  }
  Settings settings_;
  std::unique_ptr<bolt::Connection> conn_;
};

TEST_F(Neo4jRoundTrip, EveryPropertyTypeRoundTripsExactly) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Populate(*conn_, {"customer-acme"}, 3);
  auto before = conn_->Query("MATCH (n:Typed) RETURN properties(n)", {}, "neo4j");
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->size(), 1u);

  TempDir dir("types");
  auto rep = Capture(settings_, {}, dir.path);
  ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
  Wipe(*conn_);
  auto in = DirCaptureReader::Open(dir.path);
  ASSERT_TRUE(in.has_value());
  auto rr = Restore(settings_, {}, **in, nullptr);
  ASSERT_TRUE(rr.has_value()) << rr.error().ToString();

  auto after = conn_->Query("MATCH (n:Typed) RETURN properties(n)", {}, "neo4j");
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), 1u);
  const Map& a = (*after)[0][0].As<Map>();
  const Map& b = (*before)[0][0].As<Map>();
  for (const auto& [k, v] : b) {
    ASSERT_TRUE(a.count(k)) << k;
    EXPECT_TRUE(a.at(k) == v) << k << ": " << a.at(k).DebugString() << " vs " << v.DebugString();
  }
  EXPECT_EQ(a.size(), b.size());  // the temporary __summit_id is gone
  // The values are real Neo4j types, not strings: Cypher sees a date and a point.
  auto typed = conn_->Query("MATCH (n:Typed) RETURN n.date.year, n.point2d.y, n.datetime_zone.timezone, "
                            "n.duration.months, size(n.bytes)",
                            {}, "neo4j");
  ASSERT_TRUE(typed.has_value()) << typed.error().ToString();
  EXPECT_EQ((*typed)[0][0].As<int64_t>(), 2025);
  EXPECT_EQ((*typed)[0][1].As<double>(), 48.8566);
  EXPECT_EQ((*typed)[0][2].As<std::string>(), "Europe/Paris");
  EXPECT_EQ((*typed)[0][3].As<int64_t>(), 14);
  EXPECT_EQ((*typed)[0][4].As<int64_t>(), 5);
  auto tmp = conn_->Query("MATCH (n:__SummitRestore) RETURN count(n)", {}, "neo4j");
  ASSERT_TRUE(tmp.has_value());
  EXPECT_EQ((*tmp)[0][0].As<int64_t>(), 0);
}

TEST_F(Neo4jRoundTrip, CaptureWipeRestoreGivesTheSameFingerprintAndSchema) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Populate(*conn_, {"customer-acme", "customer-globex", "customer-initech"});
  auto base = Fingerprint(settings_);
  ASSERT_TRUE(base.has_value()) << base.error().ToString();
  EXPECT_GT(base->nodes, 60u);
  EXPECT_GT(base->relationships_by_type.at("RELATED_TO"), 10u);

  TempDir dir("full");
  BackupOptions bo;
  bo.fetch_size = 7;  // many PULL rounds
  auto rep = Capture(settings_, bo, dir.path);
  ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
  EXPECT_EQ(rep->nodes, base->nodes);
  EXPECT_EQ(rep->relationships, base->relationships);
  EXPECT_TRUE(rep->snapshot) << "drift " << rep->drift;

  auto in = DirCaptureReader::Open(dir.path);
  ASSERT_TRUE(in.has_value());
  auto from_capture = FingerprintCapture(**in);
  ASSERT_TRUE(from_capture.has_value()) << from_capture.error().ToString();
  EXPECT_EQ(*from_capture, *base);

  // A non-empty target is refused without allow_wipe; the data is untouched.
  auto refused = Restore(settings_, {}, **in, nullptr);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(Fingerprint(settings_)->content_hash, base->content_hash);

  // A dry run plans and writes nothing.
  RestoreOptions dry;
  dry.allow_wipe = true;
  dry.dry_run = true;
  auto plan = Restore(settings_, dry, **in, nullptr);
  ASSERT_TRUE(plan.has_value()) << plan.error().ToString();
  EXPECT_GE(plan->plan.size(), 4u);
  EXPECT_EQ(Fingerprint(settings_)->content_hash, base->content_hash);

  Wipe(*conn_);
  Exec(*conn_, "CREATE (:Stale {x: 1})");
  RestoreOptions ro;
  ro.allow_wipe = true;
  ro.batch_size = 13;
  auto rr = Restore(settings_, ro, **in, nullptr);
  ASSERT_TRUE(rr.has_value()) << rr.error().ToString();
  EXPECT_EQ(rr->nodes_deleted, 1u);
  auto after = Fingerprint(settings_);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, *base);
  auto cons = conn_->Query("SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name", {}, "neo4j");
  ASSERT_TRUE(cons.has_value());
  ASSERT_EQ(cons->size(), 2u);
  EXPECT_EQ((*cons)[0][0].As<std::string>(), "entity_uid");
  auto idx = conn_->Query("SHOW INDEXES YIELD name WHERE name = 'entity_tenant' OR name = 'summit_restore_tmp' RETURN name",
                          {}, "neo4j");
  ASSERT_TRUE(idx.has_value());
  ASSERT_EQ(idx->size(), 1u);
  EXPECT_EQ((*idx)[0][0].As<std::string>(), "entity_tenant");
}

TEST_F(Neo4jRoundTrip, TenantRestoreLeavesOtherTenantsIdentical) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Populate(*conn_, {"customer-acme", "customer-globex"});
  auto acme = Fingerprint(settings_, std::string("customer-acme"));
  auto globex = Fingerprint(settings_, std::string("customer-globex"));
  ASSERT_TRUE(acme.has_value() && globex.has_value());

  TempDir dir("tenant");
  BackupOptions bo;
  bo.filter.tenant = "customer-acme";
  auto rep = Capture(settings_, bo, dir.path);
  ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
  EXPECT_EQ(rep->nodes, acme->nodes);
  EXPECT_EQ(rep->relationships, acme->relationships);

  // Damage both tenants; the restore must repair acme and leave globex as damaged as it is.
  Exec(*conn_, "MATCH (n {tenant_id: 'customer-acme'}) WITH n LIMIT 5 DETACH DELETE n");
  Exec(*conn_, "MATCH (n:Entity {tenant_id: 'customer-acme'}) WITH n LIMIT 3 SET n.name = 'changed'");
  Exec(*conn_, "MATCH (n:Entity {tenant_id: 'customer-globex'}) WITH n LIMIT 2 SET n.name = 'globex-changed'");
  auto globex_damaged = Fingerprint(settings_, std::string("customer-globex"));
  ASSERT_TRUE(globex_damaged.has_value());
  EXPECT_NE(globex_damaged->content_hash, globex->content_hash);

  auto in = DirCaptureReader::Open(dir.path);
  ASSERT_TRUE(in.has_value());
  RestoreOptions ro;
  ro.tenant = "customer-acme";
  auto rr = Restore(settings_, ro, **in, nullptr);
  ASSERT_TRUE(rr.has_value()) << rr.error().ToString();
  EXPECT_EQ(*Fingerprint(settings_, std::string("customer-acme")), *acme);
  EXPECT_EQ(*Fingerprint(settings_, std::string("customer-globex")), *globex_damaged);
}

TEST_F(Neo4jRoundTrip, ConcurrentWritesMakeTheCaptureRetryThenRecordItIsNotASnapshot) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Populate(*conn_, {"customer-acme"}, 200);
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    auto w = Connect(settings_);
    while (w != nullptr && !stop.load()) {
      if (w->Query("CREATE (:Noise {at: timestamp()})", {}, "neo4j").has_value()) ++writes;
    }
  });
  while (writes.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  TempDir dir("drift");
  BackupOptions bo;
  bo.snapshot_retries = 1;
  auto rep = Capture(settings_, bo, dir.path);
  stop = true;
  writer.join();
  ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
  EXPECT_FALSE(rep->snapshot);
  EXPECT_GT(rep->drift, 0);
  EXPECT_EQ(rep->attempts, 2);
  auto in = DirCaptureReader::Open(dir.path);
  ASSERT_TRUE(in.has_value());
  auto attrs = (*in)->Attributes();
  EXPECT_EQ(attrs["snapshot"], false);
  EXPECT_EQ(attrs["drift"], rep->drift);
  EXPECT_GT(attrs["position_after"].get<int64_t>(), attrs["position_before"].get<int64_t>());
}

int64_t CountOf(bolt::Connection& c, const std::string& q) {
  auto r = c.Query(q, {}, "neo4j");
  EXPECT_TRUE(r.has_value()) << q << ": " << r.error().ToString();
  return r.has_value() ? (*r)[0][0].As<int64_t>() : -1;
}

TEST_F(Neo4jRoundTrip, LabelTypeAndProjectFiltersSelectTheirSubgraph) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Populate(*conn_, {"customer-acme", "customer-globex"});
  {
    TempDir dir("minimal");
    BackupOptions bo;
    bo.filter.labels = {"User", "Investigation"};
    bo.filter.relationship_types = {"OWNS"};
    auto rep = Capture(settings_, bo, dir.path);
    ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
    EXPECT_EQ(rep->nodes, 4u);
    EXPECT_EQ(rep->relationships, 2u);
    auto in = DirCaptureReader::Open(dir.path);
    ASSERT_TRUE(in.has_value());
    EXPECT_EQ((*in)->Attributes()["filter"]["relationship_types"][0], "OWNS");
  }
  {
    TempDir dir("project");
    BackupOptions bo;
    bo.filter.project = "customer-acme-inv-1";
    auto rep = Capture(settings_, bo, dir.path);
    ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
    EXPECT_EQ(rep->nodes, static_cast<uint64_t>(CountOf(
                              *conn_, "MATCH (n) WHERE n.investigation_id = 'customer-acme-inv-1' OR "
                                      "(n:Investigation AND n.uid = 'customer-acme-inv-1') RETURN count(n)")));
    EXPECT_EQ(rep->nodes, 21u);  // the investigation and its 20 entities
    EXPECT_EQ(rep->relationships,
              static_cast<uint64_t>(CountOf(*conn_, "MATCH (a)-[r:CONTAINS|RELATED_TO]->(b) WHERE a.tenant_id = 'customer-acme' "
                                                    "AND b.tenant_id = 'customer-acme' AND NOT a:Typed AND NOT b:Typed "
                                                    "RETURN count(r)")));
  }
}

class DropClassified : public transform::GraphTransform {
 public:
  Result<bool> ApplyNode(transform::GraphNode& n) const override {
    if (std::find(n.labels.begin(), n.labels.end(), "Classified") != n.labels.end()) return false;
    if (n.properties.contains("email")) n.properties["email"] = "dev_" + n.properties["uid"].get<std::string>() + "@example.com";
    return true;
  }
  Result<bool> ApplyRelationship(transform::GraphRelationship& r) const override { return r.type != "OWNS"; }
};

TEST_F(Neo4jRoundTrip, TransformDropsNodesWithTheirRelationshipsAndRewritesProperties) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Populate(*conn_, {"customer-acme"});
  TempDir dir("transform");
  ASSERT_TRUE(Capture(settings_, {}, dir.path).has_value());
  auto in = DirCaptureReader::Open(dir.path);
  ASSERT_TRUE(in.has_value());
  RestoreOptions ro;
  ro.allow_wipe = true;
  DropClassified t;
  auto rr = Restore(settings_, ro, **in, &t);
  ASSERT_TRUE(rr.has_value()) << rr.error().ToString();
  EXPECT_EQ(rr->nodes_dropped, 4u);  // entities 5, 10, 15, 20
  auto q = conn_->Query("MATCH (c:Classified) RETURN count(c) AS c UNION ALL MATCH ()-[r:OWNS]->() RETURN count(r) AS c "
                        "UNION ALL MATCH (u:User) WHERE u.email ENDS WITH '@example.com' RETURN count(u) AS c",
                        {}, "neo4j");
  ASSERT_TRUE(q.has_value()) << q.error().ToString();
  EXPECT_EQ((*q)[0][0].As<int64_t>(), 0);
  EXPECT_EQ((*q)[1][0].As<int64_t>(), 0);
  EXPECT_EQ((*q)[2][0].As<int64_t>(), 1);
}

TEST_F(Neo4jRoundTrip, CypherExportRecreatesTheGraph) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Populate(*conn_, {"customer-acme"}, 5);
  Exec(*conn_, "MATCH (n:Typed) REMOVE n.bytes");  // byte arrays have no Cypher literal
  Exec(*conn_, "MATCH ()-[r]->() WHERE r.bytes IS NOT NULL REMOVE r.bytes");
  auto base = Fingerprint(settings_);
  ASSERT_TRUE(base.has_value());
  TempDir dir("export");
  ASSERT_TRUE(Capture(settings_, {}, dir.path).has_value());
  auto in = DirCaptureReader::Open(dir.path);
  ASSERT_TRUE(in.has_value());
  StringSink out;
  auto st = Export(**in, ExportFormat::kCypher, out);
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  Wipe(*conn_);
  // Run the script statement by statement, as cypher-shell does.
  const std::string& text = out.data();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(";\n", start);
    std::string stmt = text.substr(start, end - start);
    start = end + 2;
    while (stmt.rfind("//", 0) == 0) stmt = stmt.substr(stmt.find('\n') + 1);
    if (stmt.empty()) continue;
    Exec(*conn_, stmt);
  }
  auto after = Fingerprint(settings_);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, *base);
}

TEST(Neo4jErrors, WrongPasswordIsAPermissionErrorNamingUserAndServer) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Settings s = Harness();
  s.password = SecretString("definitely-wrong");
  auto r = Fingerprint(s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermission);
  EXPECT_NE(r.error().message().find("authentication failed for user " + s.user + " at " + s.uri), std::string::npos)
      << r.error().message();
  EXPECT_EQ(r.error().ToString().find("definitely-wrong"), std::string::npos);
}

TEST(Neo4jErrors, UnreachableServerIsUnavailable) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  Settings s = Harness();
  s.uri = "bolt://127.0.0.1:1";  // nothing listens on port 1
  s.connect_timeout = std::chrono::milliseconds(2000);
  DirCaptureWriter w(::testing::TempDir() + "/neo4j_unreachable");
  auto r = Backup(s, {}, w);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message().find("bolt://127.0.0.1:1"), std::string::npos) << r.error().message();
}

TEST(Neo4jErrors, QueryErrorCarriesServerCodeAndConnectionStaysUsable) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  auto c = Connect(Harness());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Begin("neo4j", false).has_value());
  auto bad = c->Run("RETURN 1 +* 2");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(bad.error().message().find("Neo.ClientError.Statement.SyntaxError"), std::string::npos)
      << bad.error().message();
  // RESET happened: a new query works on the same connection.
  auto ok = c->Query("RETURN 41 + 1", {}, "neo4j");
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ((*ok)[0][0].As<int64_t>(), 42);
  auto missing = c->Query("RETURN 1", {}, "no_such_db");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace summit::sources::neo4j
