// The test bed itself: every server tests/harness/up.sh starts answers a real query through the
// same client library the product uses (libpq, hiredis, libcurl), and tests/harness/generate.py
// fills the stores deterministically with the shape of docs/dataset.md (hash-chained audit_logs
// included). Tests reset the stores they touch, so they run one at a time (ctest -j1).
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "harness_env.h"

namespace {

using summit::testing::Env;
namespace fs = std::filesystem;

const fs::path kGenerator = fs::path(__FILE__).parent_path().parent_path() / "harness" / "generate.py";

// Runs generate.py with `args`; returns its JSON summary (fails the test on a non-zero exit).
nlohmann::json Generate(const std::string& args) {
  const std::string cmd = "python3 '" + kGenerator.string() + "' " + args;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) {
    ADD_FAILURE() << "cannot run: " << cmd;
    return {};
  }
  std::string out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "generate.py failed: " << cmd;
  return nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
}

// ---- PostgreSQL (libpq) ------------------------------------------------------------------------
struct PgConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConn = std::unique_ptr<PGconn, PgConnCloser>;
using PgResult = std::unique_ptr<PGresult, PgResultCloser>;

PgConn ConnectPg() {
  PgConn c(PQconnectdb(""));  // PG* variables from the harness
  EXPECT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
  return c;
}

// Runs a query expected to return one value.
std::string PgScalar(PGconn* c, const std::string& sql) {
  PgResult r(PQexec(c, sql.c_str()));
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(c);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) return "";
  return PQgetvalue(r.get(), 0, 0);
}

void PgExec(PGconn* c, const std::string& sql) {
  PgResult r(PQexec(c, sql.c_str()));
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << sql << ": " << PQerrorMessage(c);
}

// One hash over every table of the dataset, each table in primary-key order.
const char* kContentHashSql = R"sql(
SELECT md5(string_agg(h, ',' ORDER BY t)) FROM (
  SELECT 'users' AS t, md5(coalesce(string_agg(x::text, E'\n' ORDER BY id), '')) AS h FROM users x UNION ALL
  SELECT 'investigations', md5(string_agg(x::text, E'\n' ORDER BY id)) FROM investigations x UNION ALL
  SELECT 'entities', md5(string_agg(x::text, E'\n' ORDER BY id)) FROM entities x UNION ALL
  SELECT 'runs', md5(string_agg(x::text, E'\n' ORDER BY id)) FROM runs x UNION ALL
  SELECT 'tasks', md5(string_agg(x::text, E'\n' ORDER BY id)) FROM tasks x UNION ALL
  SELECT 'configuration', md5(string_agg(x::text, E'\n' ORDER BY name)) FROM configuration x UNION ALL
  SELECT 'billing', md5(string_agg(x::text, E'\n' ORDER BY id)) FROM billing x UNION ALL
  SELECT 'audit_logs', md5(string_agg(x::text, E'\n' ORDER BY id)) FROM audit_logs x UNION ALL
  SELECT 'events', md5(string_agg(x::text, E'\n' ORDER BY time, id)) FROM events x UNION ALL
  SELECT 'analytics_traces', md5(string_agg(x::text, E'\n' ORDER BY time, trace_id)) FROM analytics_traces x UNION ALL
  SELECT 'provenance', md5(string_agg(x::text, E'\n' ORDER BY id)) FROM provenance x UNION ALL
  SELECT 'artifacts', md5(string_agg(x::text, E'\n' ORDER BY id)) FROM artifacts x
) s)sql";

// The audit chain rule of docs/dataset.md, recomputed in SQL: rows whose hash or prev_hash is wrong.
const char* kBrokenChainLinksSql = R"sql(
SELECT count(*) FROM (
  SELECT hash, prev_hash,
    encode(sha256(convert_to(prev_hash || E'\n' || concat_ws(E'\t', id::text, tenant_id,
      coalesce(user_id::text, '\N'), action, coalesce(user_ip, '\N'), coalesce(session_data::text, '\N'),
      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')), 'UTF8')), 'hex') AS computed,
    lag(hash, 1, repeat('0', 64)) OVER (PARTITION BY tenant_id ORDER BY id) AS expected_prev
  FROM audit_logs) x
WHERE computed <> hash OR expected_prev <> prev_hash)sql";

TEST(HarnessTest, PostgresAnswersUserCountAfterTinyGenerate) {
  SUMMIT_REQUIRE_SERVICE("postgres");
  const nlohmann::json summary = Generate("--seed 1 --size tiny --only postgres");
  ASSERT_TRUE(summary.contains("postgres")) << summary.dump();
  const int expected = summary["postgres"]["tables"]["users"].get<int>();
  ASSERT_GT(expected, 0);
  PgConn c = ConnectPg();
  EXPECT_EQ(PgScalar(c.get(), "SELECT count(*) FROM users"), std::to_string(expected));
  EXPECT_EQ(PgScalar(c.get(), "SELECT current_setting('server_version_num')::int / 10000"), "15");
  // Every dataset table is filled, with at least 3 tenants and 5 investigations.
  for (const auto& [table, rows] : summary["postgres"]["tables"].items()) {
    EXPECT_EQ(PgScalar(c.get(), "SELECT count(*) FROM " + table), std::to_string(rows.get<int>())) << table;
  }
  EXPECT_GE(std::stoi(PgScalar(c.get(), "SELECT count(DISTINCT tenant_id) FROM users")), 3);
  EXPECT_GE(std::stoi(PgScalar(c.get(), "SELECT count(*) FROM investigations")), 5);
  // Time series span 90 days; credentials look like production ones.
  EXPECT_EQ(PgScalar(c.get(), "SELECT extract(day FROM max(time) - min(time))::int >= 89 FROM events"), "t");
  EXPECT_EQ(PgScalar(c.get(), "SELECT count(*) > 0 FROM configuration WHERE name LIKE '%\\_KEY' "
                              "AND value LIKE 'sk\\_live\\_%'"),
            "t");
  // The harness configured WAL archiving so physical backups and PITR can be tested.
  EXPECT_EQ(PgScalar(c.get(), "SHOW wal_level"), "replica");
  EXPECT_EQ(PgScalar(c.get(), "SHOW archive_mode"), "on");
}

TEST(HarnessTest, GeneratorIsDeterministicForASeed) {
  SUMMIT_REQUIRE_SERVICE("postgres");
  PgConn c = ConnectPg();
  Generate("--seed 7 --size tiny --only postgres");
  const std::string first = PgScalar(c.get(), kContentHashSql);
  Generate("--seed 8 --size tiny --only postgres");
  const std::string other_seed = PgScalar(c.get(), kContentHashSql);
  Generate("--seed 7 --size tiny --only postgres");
  const std::string again = PgScalar(c.get(), kContentHashSql);
  ASSERT_EQ(first.size(), 32u);
  EXPECT_EQ(first, again) << "same seed, different PostgreSQL content";
  EXPECT_NE(first, other_seed) << "a different seed produced the same content";
}

TEST(HarnessTest, AuditLogsChainVerifiesAndATamperedRowBreaksIt) {
  SUMMIT_REQUIRE_SERVICE("postgres");
  Generate("--seed 1 --size tiny --only postgres");
  PgConn c = ConnectPg();
  ASSERT_GT(std::stoi(PgScalar(c.get(), "SELECT count(*) FROM audit_logs")), 100);
  EXPECT_EQ(PgScalar(c.get(), kBrokenChainLinksSql), "0");
  PgExec(c.get(), "UPDATE audit_logs SET action = 'tampered' WHERE id = 10");
  EXPECT_EQ(PgScalar(c.get(), kBrokenChainLinksSql), "1");
  PgExec(c.get(), "DELETE FROM audit_logs WHERE id = 20");  // breaks the next link of that tenant
  EXPECT_EQ(PgScalar(c.get(), kBrokenChainLinksSql), "2");
}

// ---- Redis (hiredis) ---------------------------------------------------------------------------
struct RedisCloser {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyCloser {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, ReplyCloser>;

RedisReply Command(redisContext* c, const char* cmd) {
  return RedisReply(static_cast<redisReply*>(redisCommand(c, cmd)));
}

TEST(HarnessTest, RedisAnswersPingAndDbsizeInBothDatabases) {
  SUMMIT_REQUIRE_SERVICE("redis");
  const std::string url = Env("REDIS_URL");  // redis://127.0.0.1:PORT/0
  const auto colon = url.rfind(':');
  const int port = std::stoi(url.substr(colon + 1));
  const std::string host = url.substr(8, colon - 8);
  std::unique_ptr<redisContext, RedisCloser> c(redisConnectWithTimeout(host.c_str(), port, {5, 0}));
  ASSERT_TRUE(c && !c->err) << "cannot connect to " << url << ": " << (c ? c->errstr : "out of memory");
  RedisReply pong = Command(c.get(), "PING");
  ASSERT_TRUE(pong);
  EXPECT_EQ(std::string(pong->str, pong->len), "PONG");
  RedisReply info = Command(c.get(), "INFO server");
  ASSERT_TRUE(info && info->type == REDIS_REPLY_STRING);
  EXPECT_NE(std::string(info->str, info->len).find("redis_version:7."), std::string::npos);

  const nlohmann::json summary = Generate("--seed 1 --size tiny --only redis");
  ASSERT_TRUE(summary.contains("redis")) << summary.dump();
  for (int db : {0, 1}) {
    RedisReply sel = Command(c.get(), db == 0 ? "SELECT 0" : "SELECT 1");
    RedisReply size = Command(c.get(), "DBSIZE");
    ASSERT_TRUE(size && size->type == REDIS_REPLY_INTEGER);
    EXPECT_EQ(size->integer, summary["redis"]["keys"]["db" + std::to_string(db)].get<long long>()) << "db " << db;
    EXPECT_GT(size->integer, 0);
  }
  Command(c.get(), "SELECT 0");
  // Keys of every encoding the RDB reader must handle.
  for (const char* key : {"tenant:customer-acme:counter", "tenant:customer-acme:user_ids",
                          "tenant:customer-acme:members", "tenant:customer-acme:leaderboard",
                          "tenant:customer-acme:profile_index", "tenant:customer-acme:stream"}) {
    RedisReply enc(static_cast<redisReply*>(redisCommand(c.get(), "OBJECT ENCODING %s", key)));
    ASSERT_TRUE(enc && enc->type == REDIS_REPLY_STRING) << key;
    const std::string e(enc->str, enc->len);
    EXPECT_TRUE(e == "int" || e == "intset" || e == "hashtable" || e == "skiplist" || e == "stream")
        << key << " has encoding " << e;
  }
}

// ---- HTTP helpers (libcurl) --------------------------------------------------------------------
size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct HttpAnswer {
  long status = 0;
  std::string body;
};

// `sigv4` ("aws:amz:REGION:s3") signs the request with `userpwd` as access:secret keys;
// otherwise `userpwd` is HTTP basic authentication.
HttpAnswer Http(const std::string& url, const std::string& userpwd, const std::string& post_json = "",
                const std::string& sigv4 = "") {
  HttpAnswer a;
  std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), curl_easy_cleanup);
  if (!h) return a;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> hold(headers, curl_slist_free_all);
  curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_USERPWD, userpwd.c_str());
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, 60L);
  if (!sigv4.empty()) {
    curl_easy_setopt(h.get(), CURLOPT_AWS_SIGV4, sigv4.c_str());
  } else {
    curl_easy_setopt(h.get(), CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers);
  }
  if (!post_json.empty()) curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, post_json.c_str());
  const CURLcode rc = curl_easy_perform(h.get());
  EXPECT_EQ(rc, CURLE_OK) << url << ": " << curl_easy_strerror(rc);
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &a.status);
  return a;
}

// ---- Neo4j (HTTP API) --------------------------------------------------------------------------
TEST(HarnessTest, Neo4jAnswersNodeCountOverHttpWithAuthenticationOn) {
  SUMMIT_REQUIRE_SERVICE("neo4j");
  const std::string url = Env("NEO4J_HTTP_URL") + "/db/neo4j/tx/commit";
  const std::string user = Env("NEO4J_USER").empty() ? "neo4j" : Env("NEO4J_USER");
  const std::string query = R"json({"statements":[{"statement":"MATCH (n) RETURN count(n)"}]})json";

  const HttpAnswer denied = Http(url, user + ":wrong-password", query);
  EXPECT_EQ(denied.status, 401) << "authentication must be on: " << denied.body;

  const nlohmann::json summary = Generate("--seed 1 --size tiny --only neo4j");
  ASSERT_TRUE(summary.contains("neo4j")) << summary.dump();
  const auto& labels = summary["neo4j"]["labels"];
  const long long expected = labels["User"].get<long long>() + labels["Investigation"].get<long long>() +
                             labels["Entity"].get<long long>();
  const HttpAnswer a = Http(url, user + ":" + Env("NEO4J_PASSWORD"), query);
  ASSERT_EQ(a.status, 200) << a.body;
  const auto j = nlohmann::json::parse(a.body, nullptr, false);
  ASSERT_TRUE(j.is_object() && j["errors"].empty()) << a.body;
  EXPECT_EQ(j["results"][0]["data"][0]["row"][0].get<long long>(), expected);
  EXPECT_GT(labels["Classified"].get<long long>(), 0);

  // Tenant ids on every node, relationships only within a tenant.
  const HttpAnswer cross = Http(url, user + ":" + Env("NEO4J_PASSWORD"),
                                R"json({"statements":[{"statement":"MATCH (a)-[r:RELATED_TO]->(b) WHERE a.tenant_id <> b.tenant_id RETURN count(r)"},)json"
                                R"json({"statement":"MATCH (n) WHERE n.tenant_id IS NULL RETURN count(n)"}]})json");
  const auto k = nlohmann::json::parse(cross.body, nullptr, false);
  ASSERT_TRUE(k.is_object() && k["errors"].empty()) << cross.body;
  EXPECT_EQ(k["results"][0]["data"][0]["row"][0].get<long long>(), 0);
  EXPECT_EQ(k["results"][1]["data"][0]["row"][0].get<long long>(), 0);
}

// ---- S3 (MinIO, SigV4) -------------------------------------------------------------------------
void ExpectBucketListsWithSigV4(const std::string& prefix) {
  const std::string endpoint = Env((prefix + "_ENDPOINT").c_str());
  const std::string bucket = Env((prefix + "_BUCKET").c_str());
  const std::string region = Env((prefix + "_REGION").c_str());
  const std::string key = Env((prefix + "_ACCESS_KEY").c_str());
  const std::string secret = Env((prefix + "_SECRET_KEY").c_str());
  ASSERT_FALSE(bucket.empty() || region.empty() || key.empty() || secret.empty()) << prefix;
  const std::string url = endpoint + "/" + bucket + "?list-type=2";
  const std::string sigv4 = "aws:amz:" + region + ":s3";

  const HttpAnswer ok = Http(url, key + ":" + secret, "", sigv4);
  EXPECT_EQ(ok.status, 200) << prefix << ": " << ok.body;
  EXPECT_NE(ok.body.find("<ListBucketResult"), std::string::npos) << ok.body;
  EXPECT_NE(ok.body.find("<Name>" + bucket + "</Name>"), std::string::npos) << ok.body;

  const HttpAnswer bad = Http(url, key + ":not-the-secret", "", sigv4);
  EXPECT_EQ(bad.status, 403) << prefix << " accepted a wrong signature: " << bad.body;
}

TEST(HarnessTest, S3PrimaryAndDrListTheirBucketsWithSigV4) {
  SUMMIT_REQUIRE_SERVICE("s3");
  ExpectBucketListsWithSigV4("S3_PRIMARY");
  ExpectBucketListsWithSigV4("S3_DR");
  EXPECT_EQ(Env("S3_PRIMARY_REGION"), "us-west-2");
  EXPECT_EQ(Env("S3_DR_REGION"), "us-east-1");
  EXPECT_NE(Env("S3_PRIMARY_ENDPOINT"), Env("S3_DR_ENDPOINT"));
  EXPECT_NE(Env("S3_PRIMARY_ACCESS_KEY"), Env("S3_DR_ACCESS_KEY"));
}

// ---- files -------------------------------------------------------------------------------------
TEST(HarnessTest, FilesTreeHoldsConfigPoliciesAndSecretsReadableOnlyByOwner) {
  const fs::path dir = fs::temp_directory_path() / ("summit-harness-files-" + std::to_string(getpid()));
  const nlohmann::json first = Generate("--seed 3 --only files --files '" + dir.string() + "'");
  ASSERT_TRUE(first.contains("files")) << first.dump();
  for (const char* rel : {"docker-compose.yml", ".env", "Justfile", "policies/read-access.rego",
                          "policy-bundles/core.tar.gz", "catalog/dataset-01.yaml", "secrets/aws.json",
                          "terraform/terraform.tfstate", "k8s/deployment.yaml",
                          "tenants/customer-acme/config.yaml"}) {
    EXPECT_TRUE(fs::exists(dir / rel)) << rel;
  }
  struct stat st {};
  ASSERT_EQ(stat((dir / "secrets/aws.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir / ".env").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  fs::remove_all(dir);
}

}  // namespace
