// The PII scan of a restored environment (restore::ScanForPii) against real servers: PII planted
// in every kind of place it reads (PostgreSQL text, array and inet columns; Neo4j node and
// relationship properties, lists of strings, an unlabelled node; Redis strings, hashes, lists,
// sets, sorted sets, streams and key names, over more than one SCAN page) is found and reported
// at exactly its place, with its count. The stores may hold other data (the scan covers all of
// it), so each planted place is checked by itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <tuple>

#include "harness_env.h"
#include "restore/pii_scan.h"
#include "sources/neo4j/bolt/connection.h"
#include "sources/postgres/pg_conn.h"
#include "sources/redis/client.h"

namespace summit::restore {
namespace {

using testing::Env;

constexpr int kRedisDb = 11;
constexpr int kManyKeys = 1234;  // more than one SCAN page of 500

sources::postgres::Settings Pg(const std::string& db) { return testing::HarnessPostgres(db); }
sources::neo4j::Settings Neo() { return testing::HarnessNeo4j(); }

void PgExec(const std::string& db, const std::string& sql) {
  auto c = sources::postgres::PgConn::Open(Pg(db));
  ASSERT_TRUE(c) << c.error().ToString();
  auto r = (*c)->Exec(sql);
  ASSERT_TRUE(r) << r.error().ToString();
}

std::unique_ptr<sources::neo4j::bolt::Connection> NeoConnect() {
  sources::neo4j::bolt::ConnectOptions o;
  o.uri = Neo().uri;
  o.user = Neo().user;
  o.password = Neo().password;
  auto c = sources::neo4j::bolt::Connection::Open(o);
  EXPECT_TRUE(c) << c.error().ToString();
  return c ? std::move(*c) : nullptr;
}

void Cypher(const std::string& q) {
  auto c = NeoConnect();
  ASSERT_TRUE(c);
  auto r = c->Query(q, {}, "neo4j");
  ASSERT_TRUE(r) << r.error().ToString();
}

std::unique_ptr<sources::redis::Connection> RedisConnect() {
  auto s = sources::redis::ParseUrl(Env("REDIS_URL"));
  EXPECT_TRUE(s) << s.error().ToString();
  if (!s) return nullptr;
  s->db = kRedisDb;
  auto c = sources::redis::Connection::Open(*s);
  EXPECT_TRUE(c) << c.error().ToString();
  return c ? std::move(*c) : nullptr;
}

void Redis(sources::redis::Connection& c, std::vector<std::string_view> args) {
  auto r = c.Command(args);
  ASSERT_TRUE(r) << args[0] << ": " << r.error().ToString();
}

class PiiScanIT : public ::testing::Test {
 protected:
  void SetUp() override {
    SUMMIT_REQUIRE_SERVICE("postgres");
    SUMMIT_REQUIRE_SERVICE("neo4j");
    SUMMIT_REQUIRE_SERVICE("redis");
    db_ = "summit_piiscan_it_" + std::to_string(getpid());
    PgExec("postgres", "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
    PgExec("postgres", "CREATE DATABASE " + db_);
    Cleanup();
  }
  void TearDown() override {
    if (db_.empty()) return;
    PgExec("postgres", "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
    Cleanup();
  }
  void Cleanup() {
    Cypher("MATCH (n) WHERE n:PiiScanIt OR n.piiscanit_card IS NOT NULL DETACH DELETE n");
    auto r = RedisConnect();
    ASSERT_TRUE(r);
    Redis(*r, {"FLUSHDB"});
  }

  // (store, where, kind) -> count
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> Scan() {
    TargetSettings t;
    t.postgres = Pg(db_);
    t.neo4j = Neo();
    auto rs = sources::redis::ParseUrl(Env("REDIS_URL"));
    EXPECT_TRUE(rs);
    t.redis = *rs;
    transform::PiiScanner scanner;
    auto report = ScanForPii(t, {"postgres", "neo4j", "redis"}, scanner);
    EXPECT_TRUE(report) << report.error().ToString();
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> out;
    if (report)
      for (const auto& f : report->findings) out[{f.store, f.where, f.kind}] = f.count;
    return out;
  }

  std::string db_;
};

TEST_F(PiiScanIT, FindsPlantedPiiAtItsPlace) {
  PgExec(db_, "CREATE SCHEMA crm; "
              "CREATE TABLE crm.people (id int PRIMARY KEY, email text, phones text[], note varchar(200), addr inet, n int); "
              "INSERT INTO crm.people SELECT i, 'user' || i || '@corp.io', ARRAY['+442071838750', 'x'], "
              "  'card 4111 1111 1111 1111', NULL, i FROM generate_series(1, 3) i; "
              "INSERT INTO crm.people VALUES (4, 'dev_4@example.com', NULL, 'nothing here', '10.1.2.3', 4); "
              "CREATE TABLE public.clean (id int, t text); INSERT INTO public.clean VALUES (1, 'hello'), (2, NULL);");
  Cypher("CREATE (:PiiScanIt {email: 'bob@corp.io', phones: ['+442071838750', 'none'], n: 5})"
         "-[:PII_SCAN_IT {ip: '192.168.7.7', w: 1.5}]->(:PiiScanIt:Other {name: 'fine'})");
  Cypher("CREATE ({piiscanit_card: '4111111111111111'})");
  {
    auto r = RedisConnect();
    ASSERT_TRUE(r);
    Redis(*r, {"SET", "pii:1:email", "carol@corp.io"});
    Redis(*r, {"HSET", "pii:h", "phone", "+442071838750", "name", "x"});
    Redis(*r, {"RPUSH", "pii:l", "10.0.0.1", "b", "10.0.0.2"});
    Redis(*r, {"SADD", "pii:s", "dave@corp.io"});
    Redis(*r, {"ZADD", "pii:z", "1", "4111111111111111"});
    Redis(*r, {"XADD", "pii:x", "*", "email", "erin@corp.io"});
    Redis(*r, {"SET", "pii:k:frank@corp.io", "nothing"});
    for (int i = 0; i < kManyKeys; ++i) {
      std::string k = "pii:n:" + std::to_string(i), v = "u" + std::to_string(i) + "@corp.io";
      ASSERT_TRUE(r->Append({"SET", k, v}));
    }
    for (int i = 0; i < kManyKeys; ++i) ASSERT_TRUE(r->GetReply());
  }

  auto found = Scan();
  auto count = [&](const std::string& store, const std::string& where, const std::string& kind) -> uint64_t {
    auto it = found.find({store, where, kind});
    return it == found.end() ? 0 : it->second;
  };
  EXPECT_EQ(count("postgres", "crm.people.email", "e-mail address"), 3u);
  EXPECT_EQ(count("postgres", "crm.people.phones", "phone number"), 3u);
  EXPECT_EQ(count("postgres", "crm.people.note", "card number"), 3u);
  EXPECT_EQ(count("postgres", "crm.people.addr", "IP address"), 1u);
  for (const auto& [k, n] : found) EXPECT_NE(std::get<1>(k).rfind("public.clean", 0), 0u) << std::get<1>(k);

  EXPECT_EQ(count("neo4j", "PiiScanIt.email", "e-mail address"), 1u);
  EXPECT_EQ(count("neo4j", "PiiScanIt.phones", "phone number"), 1u);
  EXPECT_EQ(count("neo4j", "PII_SCAN_IT.ip", "IP address"), 1u);
  EXPECT_EQ(count("neo4j", "?.piiscanit_card", "card number"), 1u);

  const std::string db = "db" + std::to_string(kRedisDb) + " ";
  EXPECT_EQ(count("redis", db + "pii:*:email", "e-mail address"), 1u);
  EXPECT_EQ(count("redis", db + "pii:h", "phone number"), 1u);
  EXPECT_EQ(count("redis", db + "pii:l", "IP address"), 2u);
  EXPECT_EQ(count("redis", db + "pii:s", "e-mail address"), 1u);
  EXPECT_EQ(count("redis", db + "pii:z", "card number"), 1u);
  EXPECT_EQ(count("redis", db + "pii:x", "e-mail address"), 1u);
  EXPECT_EQ(count("redis", db + "pii:k:* (key name)", "e-mail address"), 1u);
  EXPECT_EQ(count("redis", db + "pii:n:*", "e-mail address"), static_cast<uint64_t>(kManyKeys));
}

TEST_F(PiiScanIT, AnUnreachableStoreIsAnErrorNamingIt) {
  TargetSettings t;
  t.postgres = Pg(db_);
  t.neo4j = Neo();
  auto rs = sources::redis::ParseUrl("redis://127.0.0.1:1/0");
  ASSERT_TRUE(rs);
  t.redis = *rs;
  transform::PiiScanner scanner;
  auto report = ScanForPii(t, {"postgres", "neo4j", "redis"}, scanner);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message().find("PII scan of redis"), std::string::npos) << report.error().ToString();
}

}  // namespace
}  // namespace summit::restore
