// Row-level incremental PostgreSQL backups (docs/incremental.md), end to end through the real
// command line against the harness's PostgreSQL: a full backup, a day of changes (inserts,
// scattered updates, deletes, a re-inserted key, keys with COPY escapes, and an update in a
// transaction left open across the base backup: the case the xmin horizon exists for), two
// incremental backups in a chain, a schema change forcing one table to full, prune keeping
// the chain, then the database dropped and the newest incremental restored and compared, row
// for row (order-independent content hash and counts), with the source. Export and a tenant
// backup taken with --incremental are checked the same way. Also the CLI's grouped load of a
// big table (load_order.h) and the config switch that turns it off.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness_env.h"
#include "io/process.h"
#include "sources/postgres/fingerprint.h"
#include "sources/postgres/pg_conn.h"

namespace summit {
namespace {
namespace fs = std::filesystem;
using testing::Env;

const fs::path kRoot = fs::path(__FILE__).parent_path().parent_path().parent_path();

class PgIncremental : public ::testing::Test {
 protected:
  void SetUp() override {
    SUMMIT_REQUIRE_SERVICE("postgres");
    char tmpl[] = "/tmp/summit-incr-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    pg_ = testing::HarnessPostgres();
    Run("python3 " + (kRoot / "tests/harness/generate.py").string() + " --seed 5 --size tiny --only postgres --files " +
        dir_ + "/files");
    // Keys the COPY text format must escape, and a key of two columns.
    Sql("CREATE TABLE pairs (a text, b int, v text, PRIMARY KEY (a, b));"
        "INSERT INTO pairs SELECT CASE i % 4 WHEN 0 THEN E'tab\\there' WHEN 1 THEN E'new\\nline' WHEN 2 THEN "
        "E'back\\\\slash' ELSE 'plain' END, i, 'v' || i FROM generate_series(1, 2000) i;"
        "CREATE TABLE keyless (x int, y text); INSERT INTO keyless SELECT i, 'y' || i FROM generate_series(1, 100) i;");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void Run(const std::string& command) {
    auto r = RunProcess(ShellCommand(command));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    ASSERT_EQ(r->exit_code, 0) << command << "\n" << r->err;
  }

  std::string Cli(const std::string& args, std::map<std::string, std::string> extra = {}, int expect_rc = 0) {
    std::map<std::string, std::string> env = {{"SUMMIT_DR_CONFIG", (kRoot / "config/backup-sets.yaml").string()},
                                              {"BACKUP_BASE", dir_ + "/backups"},
                                              {"SUMMIT_ROOT", dir_ + "/files"},
                                              {"ENCRYPTION_KEY", "incr-test-key"},
                                              // With the harness's S3 servers the full set also writes the
                                              // primary region: the base must then be in both repositories.
                                              // A prefix of its own per test.
                                              {"S3_PREFIX", "incr/" + fs::path(dir_).filename().string()},
                                              {"SUMMIT_LOG_FORMAT", "text"}};
    for (auto& [k, v] : extra) env[k] = v;
    return testing::RunSummitDr(args, env, expect_rc);
  }
  nlohmann::json CliJson(const std::string& args, std::map<std::string, std::string> extra = {}) {
    auto j = nlohmann::json::parse(Cli("--json " + args, std::move(extra)), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << args;
    return j;
  }
  // The stored (not materialized) postgres tables of a snapshot, by name.
  std::map<std::string, nlohmann::json> StoredTables(const std::string& id) {
    std::map<std::string, nlohmann::json> out;
    auto meta = CliJson("show " + id);
    for (const auto& t : meta["components"]["postgres"]["attributes"]["tables"]) out[t.value("table", "")] = t;
    return out;
  }

  void Sql(const std::string& sql, const std::string& db = "") {
    auto conn = sources::postgres::PgConn::Open(db.empty() ? pg_ : pg_.WithDatabase(db));
    ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
    auto r = (*conn)->Exec(sql);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }
  nlohmann::json Print(sources::postgres::FingerprintOptions o = {}, const std::string& db = "") {
    o.constraints = false;
    auto f = sources::postgres::Fingerprint(db.empty() ? pg_ : pg_.WithDatabase(db), o);
    EXPECT_TRUE(f.has_value()) << f.error().ToString();
    return f ? (*f)["tables"] : nlohmann::json();
  }

  std::string dir_;
  sources::postgres::Settings pg_;
};

TEST_F(PgIncremental, AChainOfIncrementalsRestoresEveryRowAfterTheDatabaseIsDropped) {
  // A transaction that has updated a row and stays open while the base backup is taken, while
  // a later one commits: the open one's xid is below the base snapshot's xmax (one past the
  // newest completed xid) but not below its xmin, so only the xmin horizon catches its update.
  auto open_tx = sources::postgres::PgConn::Open(pg_);
  ASSERT_TRUE(open_tx.has_value());
  ASSERT_TRUE((*open_tx)->Exec("BEGIN; UPDATE pairs SET v = 'committed after the base' WHERE a = 'plain' AND b = 43")
                  .has_value());
  Sql("INSERT INTO keyless VALUES (0, 'committed while another transaction is open')");

  // Another set's snapshot, which prune must forget while it keeps the chain.
  std::string other_id = CliJson("backup --set=minimal --only=postgres").value("id", "");
  auto base = CliJson("backup --set=full --only=postgres --incremental");
  std::string base_id = base.value("id", "");
  ASSERT_FALSE(base_id.empty());
  EXPECT_TRUE(base["incremental"]["base"].is_null()) << "the first backup of a set has no base: full";
  EXPECT_NE(base["incremental"].value("full_reason", "").find("no earlier snapshot"), std::string::npos);
  ASSERT_TRUE((*open_tx)->Exec("COMMIT").has_value());
  auto capture = CliJson("show " + base_id)["components"]["postgres"]["attributes"]["capture"];
  ASSERT_LT(std::stoull(capture.value("xmin", "0")), std::stoull(capture.value("xmax", "0")))
      << "the open transaction must hold the base snapshot's xmin below its xmax: " << capture.dump();

  // Day 1: the harness's realistic day, plus the cases the merge must get right.
  Run("python3 " + (kRoot / "tests/harness/day2.py").string() + " --seed 5 --day 1");
  Sql("UPDATE pairs SET v = v || ' updated' WHERE b % 97 = 0;"
      "DELETE FROM pairs WHERE b % 89 = 0;"
      "DELETE FROM pairs WHERE a = E'tab\\there' AND b = 4; INSERT INTO pairs VALUES (E'tab\\there', 4, 're-inserted');"
      "INSERT INTO pairs SELECT E'new\\\\nkey\\n', i, 'inserted' FROM generate_series(1, 50) i;"
      "UPDATE keyless SET y = 'changed' WHERE x < 10;");
  auto first = CliJson("backup --set=full --only=postgres --incremental");
  std::string first_id = first.value("id", "");
  EXPECT_EQ(first["incremental"].value("base", ""), base_id) << first.dump(2);
  auto tables = StoredTables(first_id);
  EXPECT_EQ(tables["public.pairs"].value("mode", ""), "delta");
  EXPECT_EQ(tables["public.pairs"].value("base", ""), base_id);
  EXPECT_EQ(tables["public.entities"].value("mode", ""), "delta");
  EXPECT_EQ(tables["public.keyless"].value("mode", ""), "full");
  EXPECT_EQ(tables["public.keyless"].value("full_reason", ""), "no primary key");
  // Only changed rows are stored: a few percent of pairs, not all of it.
  EXPECT_LT(tables["public.pairs"].value("delta_rows", 0), 200) << tables["public.pairs"].dump(2);
  EXPECT_GE(tables["public.pairs"].value("delta_rows", 0), 70);
  auto first_meta = CliJson("show " + first_id);
  EXPECT_EQ(first_meta["bases"], nlohmann::json({base_id}));
  EXPECT_NE(Cli("list").find("(incremental on " + base_id + ")"), std::string::npos) << "list marks it";
  for (const auto& e : CliJson("list")) {
    if (e.value("id", "") == first_id) {
      EXPECT_EQ(e["bases"], nlohmann::json({base_id}));
    }
    if (e.value("id", "") == base_id) {
      EXPECT_EQ(e["bases"], nlohmann::json::array());
    }
  }

  // Day 2: more changes, and a schema change that forces that table to full.
  Run("python3 " + (kRoot / "tests/harness/day2.py").string() + " --seed 5 --day 2");
  Sql("UPDATE pairs SET v = 'day 2' WHERE b % 101 = 0; DELETE FROM pairs WHERE a = 'plain' AND b < 40;"
      "ALTER TABLE keyless ADD COLUMN z int DEFAULT 7; ALTER TABLE entities ADD COLUMN incr_note text;"
      "UPDATE entities SET incr_note = 'n' WHERE id IN (SELECT id FROM entities ORDER BY id LIMIT 3)");
  auto second = CliJson("backup --set=full --only=postgres --incremental");
  std::string second_id = second.value("id", "");
  EXPECT_EQ(second["incremental"].value("base", ""), first_id) << second.dump(2);
  tables = StoredTables(second_id);
  EXPECT_EQ(tables["public.pairs"].value("mode", ""), "delta");
  EXPECT_EQ(tables["public.entities"].value("mode", ""), "full");
  EXPECT_EQ(tables["public.entities"].value("full_reason", ""), "columns or primary key changed since the base");

  // With max_chain 2 a third link is refused: the capture is full and says why.
  std::string short_chain = dir_ + "/short-chain.yaml";
  {
    std::ifstream in(kRoot / "config/backup-sets.yaml");
    std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t at = yaml.find("max_chain: 24");
    ASSERT_NE(at, std::string::npos);
    yaml.replace(at, 13, "max_chain: 2 ");
    std::ofstream(short_chain) << yaml;
  }
  auto capped = CliJson("backup --set=full --only=postgres --incremental", {{"SUMMIT_DR_CONFIG", short_chain}});
  EXPECT_TRUE(capped["incremental"]["base"].is_null()) << capped.dump(2);
  EXPECT_NE(capped["incremental"].value("full_reason", "").find("longer than max_chain 2"), std::string::npos)
      << capped.dump(2);
  std::string full_id = capped.value("id", "");

  // A dev restore (sanitized and reduced in flight) of the chain equals one of the full backup
  // of the same state: the transforms see the same rows.
  std::map<std::string, nlohmann::json> dev;
  for (const auto& [id, db] : {std::pair{second_id, "summit_incr_dev_a"}, std::pair{full_id, "summit_incr_dev_b"}}) {
    Sql(std::string("DROP DATABASE IF EXISTS ") + db, "postgres");
    Cli("restore " + id + " --env=dev --only=postgres", {{"DEV_PGDATABASE", db}});
    dev[id] = Print({}, db);
    Sql(std::string("DROP DATABASE ") + db, "postgres");
  }
  ASSERT_FALSE(dev[full_id].empty());
  for (auto& [table, v] : dev[full_id].items()) EXPECT_EQ(dev[second_id][table], v) << "dev restore, " << table;

  // A dry-run plan and an export read the chain too.
  Cli("restore " + second_id + " --env=production --yes --no-safety-backup --dry-run");
  Cli("export " + second_id + " --component=postgres --format=plain -o " + dir_ + "/export.sql");
  {
    // -o - writes the same archive to standard output, and nothing else (the summary goes to stderr).
    const std::string piped = Cli("export " + second_id + " --component=postgres --format=plain -o -");
    std::ifstream f(dir_ + "/export.sql", std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_GT(file.size(), 1000u);
    EXPECT_TRUE(piped == file) << "stdout " << piped.size() << " bytes, file " << file.size() << " bytes";
  }

  // Retention: the newest verified snapshot is kept, and with it its whole chain.
  Cli("restore " + second_id + " --mode=verify-only");
  auto plan = CliJson("prune --dry-run", {{"RETENTION_DAYS", "0"}});
  std::map<std::string, std::string> kept;
  for (const auto& k : plan["keep"]) kept[k.value("id", "")] = k["reasons"].dump();
  ASSERT_TRUE(kept.count(base_id)) << plan.dump(2);
  ASSERT_TRUE(kept.count(first_id)) << plan.dump(2);
  EXPECT_NE(kept[first_id].find("base of kept snapshot " + second_id), std::string::npos) << kept[first_id];
  EXPECT_NE(kept[base_id].find("base of kept snapshot " + first_id), std::string::npos) << kept[base_id];
  std::set<std::string> forget;
  for (const auto& f : plan["forget"]) forget.insert(f.value("id", ""));
  EXPECT_EQ(forget, (std::set<std::string>{other_id, full_id})) << plan.dump(2);
  Cli("prune", {{"RETENTION_DAYS", "0"}});
  EXPECT_TRUE(CliJson("check")["ok"].get<bool>());

  auto source = Print();
  // 2000 rows, 22 deleted (b % 89), 50 inserted, 10 'plain' rows below 40 deleted on day 2.
  ASSERT_EQ(source["public.pairs"]["rows"], 2000 - 22 + 50 - 10) << source["public.pairs"].dump();
  Sql("DROP DATABASE " + pg_.dbname + " WITH (FORCE)", "postgres");
  Cli("restore " + second_id + " --env=production --yes --no-safety-backup");
  auto restored = Print();
  ASSERT_EQ(restored.size(), source.size());
  for (auto& [table, v] : source.items()) EXPECT_EQ(restored[table], v) << table;

  // The export of the chain loads into an empty database with the same rows.
  Sql("DROP DATABASE IF EXISTS summit_incr_export", "postgres");
  Sql("CREATE DATABASE summit_incr_export", "postgres");
  Run("PGDATABASE=summit_incr_export psql -q -v ON_ERROR_STOP=1 -f " + dir_ + "/export.sql >/dev/null");
  auto exported = Print({}, "summit_incr_export");
  Sql("DROP DATABASE summit_incr_export", "postgres");
  for (auto& [table, v] : source.items()) EXPECT_EQ(exported[table], v) << table;

  // After a logical restore every row has a new xmin, so each table's delta would hold all of
  // its rows: the delta is abandoned before it is committed (max_delta_fraction 0.2) and the
  // table captured in full, and that backup restores the same rows.
  auto after = CliJson("backup --set=full --only=postgres --incremental");
  const std::string after_id = after.value("id", "");
  auto after_tables = StoredTables(after_id);
  EXPECT_EQ(after_tables["public.pairs"].value("mode", ""), "full") << after.dump(2);
  EXPECT_NE(after_tables["public.pairs"].value("full_reason", "").find("changed rows (max_delta_fraction"), std::string::npos)
      << after_tables["public.pairs"].dump();
  Sql("DROP DATABASE " + pg_.dbname + " WITH (FORCE)", "postgres");
  Cli("restore " + after_id + " --env=production --yes --no-safety-backup");
  auto again = Print();
  for (auto& [table, v] : source.items()) EXPECT_EQ(again[table], v) << "after the fallback to full, " << table;
}

TEST_F(PgIncremental, ATenantBackupWithIncrementalIsFullAndSaysWhyAndRestores) {
  std::map<std::string, std::string> acme = {{"TENANT_ID", "customer-acme"}};
  CliJson("backup --set=tenant --only=postgres --incremental", acme);
  Run("python3 " + (kRoot / "tests/harness/day2.py").string() + " --seed 6 --day 1");
  auto before = Print({.tenant = "customer-acme"});
  auto second = CliJson("backup --set=tenant --only=postgres --incremental", acme);
  // Filtered rows can enter a tenant's filter through a parent without changing themselves.
  EXPECT_TRUE(second["incremental"]["base"].is_null()) << second.dump(2);
  EXPECT_NE(second["incremental"].value("full_reason", "").find("tenant or project capture"), std::string::npos);
  Sql("UPDATE users SET email = 'lost-' || id || '@acme.test' WHERE tenant_id = 'customer-acme'");
  Cli("restore " + second.value("id", "") + " --env=production --yes --no-safety-backup");
  EXPECT_EQ(Print({.tenant = "customer-acme"}), before);
}

// Through the command line: a table of 32 MiB or more with a (tenant_id, time) index is sent
// grouped for it, restore --json says so and lists the steps; sources.postgres.restore.load_order:
// stream in the config turns it off.
TEST_F(PgIncremental, ABigTableIsGroupedForItsIndexUnlessTheConfigSaysStream) {
  Sql("CREATE TABLE big (t timestamptz, id bigint, tenant_id text, pad text, PRIMARY KEY (t, id));"
      "CREATE INDEX big_tenant_idx ON big (tenant_id, t);"
      "INSERT INTO big SELECT '2026-01-01'::timestamptz + i * interval '1 s', i, 'customer-' || (i % 17), repeat('x', 110)"
      "  FROM generate_series(1, 300000) i;");
  const std::string id = CliJson("backup --set=full --only=postgres").value("id", "");
  ASSERT_FALSE(id.empty());
  const std::string db = "summit_incr_grouped_" + std::to_string(::getpid());
  const std::map<std::string, std::string> target = {{"DR_PGDATABASE", db}};
  auto grouped = CliJson("restore " + id + " --only=postgres --env=dr_rehearsal --yes", target);
  const auto& pg = grouped["components"]["postgres"];
  EXPECT_EQ(pg["ordered_for_index"], nlohmann::json({{"public.big", "big_tenant_idx"}})) << pg.dump(2);
  EXPECT_TRUE(std::any_of(pg["steps"].begin(), pg["steps"].end(), [](const auto& s) {
    return s.value("step", "") == "INDEX big_tenant_idx" && s.value("seconds", -1.0) >= 0;
  })) << pg["steps"].dump();
  EXPECT_TRUE(grouped["components"]["postgres"]["audit_chain"].value("verified", false));
  EXPECT_EQ(Print({}, db), Print()) << "the same rows";

  const std::string config = dir_ + "/stream.yaml";
  {
    std::ifstream in(kRoot / "config/backup-sets.yaml");
    std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t p = yaml.find("load_order: index");
    ASSERT_NE(p, std::string::npos);
    yaml.replace(p, 17, "load_order: stream");
    std::ofstream(config) << yaml;
    // The shipped file names its sanitization rules relative to its own folder.
    fs::copy_file(kRoot / "config/sanitization.yaml", dir_ + "/sanitization.yaml");
    if (fs::exists(kRoot / "config/sanitization-beyond-spec.yaml"))
      fs::copy_file(kRoot / "config/sanitization-beyond-spec.yaml", dir_ + "/sanitization-beyond-spec.yaml");
  }
  auto streamed = CliJson("restore " + id + " --only=postgres --env=dr_rehearsal --yes",
                          {{"DR_PGDATABASE", db}, {"SUMMIT_DR_CONFIG", config}});
  EXPECT_FALSE(streamed["components"]["postgres"].contains("ordered_for_index")) << streamed.dump(2);
  EXPECT_EQ(Print({}, db), Print());
  Sql("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
}

}  // namespace
}  // namespace summit
