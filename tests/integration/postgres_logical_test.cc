// PostgreSQL logical backup/restore against a real server (issue 4): round trips, tenant and
// project replace, selective tables, dry run, input errors, transforms and exports. Each test
// works on its own databases (cloned from a source built once per run with
// tests/harness/generate.py --size tiny plus nasty extras), so the harness's `summit` database
// is never touched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "harness_env.h"
#include "io/process.h"
#include "io/stream.h"
#include "sources/postgres/backup.h"
#include "sources/postgres/export.h"
#include "sources/postgres/fingerprint.h"
#include "sources/postgres/pg_conn.h"
#include "sources/postgres/restore.h"

namespace summit::sources::postgres {
namespace {

namespace fs = std::filesystem;
using testing::Env;

Settings Server(const std::string& db) { return testing::HarnessPostgres(db); }

std::string Prefix() { return "summit_pgit_" + std::to_string(getpid()); }
std::string SourceDb() { return Prefix() + "_src"; }

void Admin(const std::string& sql) {
  auto c = PgConn::Open(Server("postgres"));
  ASSERT_TRUE(c) << c.error().ToString();
  auto r = (*c)->Exec(sql);
  ASSERT_TRUE(r) << r.error().ToString();
}

void Sql(const std::string& db, const std::string& sql) {
  auto c = PgConn::Open(Server(db));
  ASSERT_TRUE(c) << c.error().ToString();
  auto r = (*c)->Exec(sql);
  ASSERT_TRUE(r) << r.error().ToString();
}

std::string Scalar(const std::string& db, const std::string& sql) {
  auto c = PgConn::Open(Server(db));
  EXPECT_TRUE(c) << c.error().ToString();
  if (!c) return "";
  auto r = (*c)->Exec(sql);
  EXPECT_TRUE(r) << r.error().ToString();
  return r && r->rows() ? r->GetString(0, 0) : "";
}

// A fresh copy of the source database.
std::string Clone(const std::string& name) {
  std::string db = Prefix() + "_" + name;
  Admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  Admin("CREATE DATABASE " + db + " TEMPLATE " + SourceDb());
  return db;
}

nlohmann::json Tables(const std::string& db, FingerprintOptions o = {}) {
  auto fp = Fingerprint(Server(db), o);
  EXPECT_TRUE(fp) << fp.error().ToString();
  return fp ? (*fp)["tables"] : nlohmann::json();
}

FingerprintOptions Tenant(const std::string& t) {
  FingerprintOptions o;
  o.tenant = t;
  return o;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/summit-pgit-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_; }
  std::string sub(const std::string& n) const { return path_ + "/" + n; }

 private:
  std::string path_;
};

Result<BackupReport> BackupTo(const std::string& db, const BackupOptions& o, const std::string& dir) {
  DirCaptureWriter w(dir);
  auto r = Backup(Server(db), o, w);
  if (r) SUMMIT_TRY(w.Finish());
  return r;
}

std::unique_ptr<DirCaptureReader> Reader(const std::string& dir) {
  auto r = DirCaptureReader::Open(dir);
  EXPECT_TRUE(r) << r.error().ToString();
  return std::move(*r);
}

class PostgresLogical : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::HaveService("postgres")) return;
    Admin("DROP DATABASE IF EXISTS " + SourceDb() + " WITH (FORCE)");
    Admin("CREATE DATABASE " + SourceDb());
    // The shared dataset, generated into our own database.
#ifdef SUMMIT_SOURCE_DIR
    fs::path gen = fs::path(SUMMIT_SOURCE_DIR) / "tests" / "harness" / "generate.py";
#else
    fs::path gen = fs::path(__FILE__).parent_path().parent_path() / "harness" / "generate.py";
#endif
    ASSERT_TRUE(fs::exists(gen)) << gen;
    ProcessOptions p;
    p.argv = {"python3", gen.string(), "--seed", "1", "--size", "tiny", "--only", "postgres"};
    p.env = Server(SourceDb()).ChildEnvironment();
    auto run = RunChecked(p, "generate.py");
    ASSERT_TRUE(run) << run.error().ToString();
    // Extras the dataset does not have: a table without a key, a generated column, a domain
    // standing in for vector(8), and every escape the COPY codec must survive.
    Sql(SourceDb(), R"SQL(
      CREATE DOMAIN vec8 AS real[] CHECK (array_length(VALUE, 1) = 8);
      CREATE TABLE nasty (tenant_id text, note text, doubled text GENERATED ALWAYS AS (note || note) STORED,
                          v vec8, raw bytea);
      INSERT INTO nasty (tenant_id, note, v, raw) VALUES
        ('customer-acme', E'tab\there\nnewline\\backslash \\N \b\f\v end', '{1.5,-2,3e-7,4,5,6,7,8.25}', '\x00ff5c0a'),
        ('customer-acme', NULL, NULL, NULL),
        ('customer-globex', 'Zürich – 日本語 – 🚀 – Ελληνικά', '{0,0,0,0,0,0,0,0}', ''),
        ('customer-globex', '', '{1,2,3,4,5,6,7,8}', '\x5c4e');
    )SQL");
  }
  static void TearDownTestSuite() {
    if (!testing::HaveService("postgres")) return;
    auto c = PgConn::Open(Server("postgres"));
    if (!c) return;
    auto r = (*c)->Exec("SELECT datname FROM pg_database WHERE datname LIKE '" + Prefix() + "%'");
    if (!r) return;
    for (int i = 0; i < r->rows(); ++i) (void)(*c)->Exec("DROP DATABASE IF EXISTS " + r->GetString(i, 0) + " WITH (FORCE)");
  }
  void SetUp() override { SUMMIT_REQUIRE_SERVICE("postgres"); }
  TempDir tmp_;
};

TEST_F(PostgresLogical, FullBackupDropRestoreGivesTheSameFingerprintSequencesAndLargeObjects) {
  std::string db = Clone("roundtrip");
  auto before = Fingerprint(Server(db), {});
  ASSERT_TRUE(before) << before.error().ToString();
  ASSERT_TRUE((*before)["constraints"]["valid"].get<bool>());
  std::string seq_before = Scalar(db, "SELECT last_value FROM users_id_seq");
  std::string lo_before = Scalar(db, "SELECT md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid LIMIT 1");
  ASSERT_FALSE(lo_before.empty()) << "the dataset should have a large object";

  BackupOptions o;
  o.jobs = 2;
  auto rep = BackupTo(db, o, tmp_.path());
  ASSERT_TRUE(rep) << rep.error().ToString();
  EXPECT_GT(rep->rows, 1000u);
  EXPECT_FALSE(rep->lsn.empty());
  EXPECT_EQ(rep->large_objects, 1u);
  auto in = Reader(tmp_.path());
  EXPECT_TRUE(in->HasStream("data/public.users"));
  EXPECT_TRUE(in->HasStream("schema.pre.sql"));
  EXPECT_EQ(in->Attributes()["capture"]["lsn"], rep->lsn);

  Admin("DROP DATABASE " + db + " WITH (FORCE)");
  RestoreOptions ro;
  ro.jobs = 2;
  auto restored = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(restored) << restored.error().ToString();
  EXPECT_EQ(restored->rows, rep->rows);

  auto after = Fingerprint(Server(db), {});
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_EQ((*after)["tables"], (*before)["tables"]);
  EXPECT_TRUE((*after)["constraints"]["valid"].get<bool>()) << (*after)["constraints"].dump();
  EXPECT_EQ(Scalar(db, "SELECT last_value FROM users_id_seq"), seq_before);
  EXPECT_EQ(Scalar(db, "SELECT md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid LIMIT 1"), lo_before);
  // Post-data ran: indexes, the trigger and the view exist again.
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM pg_trigger WHERE tgname = 'entities_touch_trg'"), "1");
  EXPECT_EQ(Scalar(db, "SELECT count(*) > 0 FROM pg_indexes WHERE tablename = 'entities'"), "t");
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM active_investigations") != "", true);
  EXPECT_EQ(Scalar(db, "SELECT doubled FROM nasty WHERE note = ''"), "");
  // The restore ended with ANALYZE, and its row counts reached the statistics before it: no
  // table counts as modified since, so autovacuum has nothing to analyze again.
  EXPECT_EQ(Scalar(db, "SELECT string_agg(relname || ' ' || n_mod_since_analyze, ', ') FROM pg_stat_user_tables"
                       " WHERE last_analyze IS NULL OR n_mod_since_analyze > 0"),
            "");
}

TEST_F(PostgresLogical, FullRestoreRefusesANonEmptyTargetUnlessDropIsAllowed) {
  std::string src = Clone("refuse_src");
  std::string target = Clone("refuse_target");
  Sql(target, "DELETE FROM audit_logs");
  ASSERT_TRUE(BackupTo(src, {}, tmp_.path()));
  auto in = Reader(tmp_.path());
  auto refused = Restore(Server(target), {}, *in, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(refused.error().message().find("not empty"), std::string::npos) << refused.error().ToString();
  EXPECT_FALSE(refused.error().hint().empty());
  EXPECT_EQ(Scalar(target, "SELECT count(*) FROM audit_logs"), "0");

  RestoreOptions ro;
  ro.allow_drop = true;
  auto ok = Restore(Server(target), ro, *in, nullptr);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(Tables(target), Tables(src));
}

TEST_F(PostgresLogical, AFailedFullRestoreLeavesTheTargetAsItWasAndNoWorkDatabase) {
  std::string src = Clone("atomic_src");
  std::string target = Clone("atomic_target");
  Sql(target, "DELETE FROM audit_logs WHERE id % 2 = 0");  // the target differs from the backup
  auto before = Tables(target);
  ASSERT_TRUE(BackupTo(src, {}, tmp_.path()));
  // A row the server rejects, at the end of one table's stream: the restore fails after
  // other tables were loaded and indexed.
  {
    std::ofstream f(tmp_.sub("data/public.users"), std::ios::app);
    f << "not-a-number\tx\n";
  }
  auto in = Reader(tmp_.path());
  RestoreOptions ro;
  ro.allow_drop = true;
  ro.jobs = 2;
  auto failed = Restore(Server(target), ro, *in, nullptr);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().ToString().find("public.users"), std::string::npos) << failed.error().ToString();
  EXPECT_NE(failed.error().ToString().find("left as it was"), std::string::npos) << failed.error().ToString();
  EXPECT_EQ(Tables(target), before);
  EXPECT_EQ(Scalar("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE '%summit_restoring'"), "0");

  // A restore killed half-way leaves its work database behind: the next one drops it first.
  Admin("CREATE DATABASE " + target + "_summit_restoring");
  BackupOptions o;
  ASSERT_TRUE(BackupTo(src, o, tmp_.sub("clean")));
  auto clean = Reader(tmp_.sub("clean"));
  auto ok = Restore(Server(target), ro, *clean, nullptr);
  ASSERT_TRUE(ok) << ok.error().ToString();
  bool warned = false;
  for (const auto& w : ok->warnings) warned = warned || w.find("did not finish") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_EQ(Tables(target), Tables(src));
  EXPECT_EQ(Scalar("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE '%summit_restoring'"), "0");
  auto fp = Fingerprint(Server(target), {});
  ASSERT_TRUE(fp);
  EXPECT_TRUE((*fp)["constraints"]["valid"].get<bool>()) << (*fp)["constraints"].dump();
}

TEST_F(PostgresLogical, TenantReplaceRestoresThatTenantAndLeavesOthersByteIdentical) {
  std::string db = Clone("tenant");
  const auto acme = Tables(db, Tenant("customer-acme"));
  const auto globex = Tables(db, Tenant("customer-globex"));
  const auto initech = Tables(db, Tenant("customer-initech"));
  const auto all = Tables(db);
  BackupOptions o;
  o.tenant = "customer-acme";
  auto rep = BackupTo(db, o, tmp_.path());
  ASSERT_TRUE(rep) << rep.error().ToString();
  auto in = Reader(tmp_.path());
  EXPECT_FALSE(in->HasStream("data/public.catalog")) << "global tables are not part of a tenant capture";
  EXPECT_TRUE(in->HasStream("data/public.tasks")) << "tasks reach the tenant through runs";
  EXPECT_EQ(in->Attributes()["filter"]["tenant"], "customer-acme");

  // Damage acme (and only acme): deletes, updates and a foreign row, through several tables.
  Sql(db, "DELETE FROM tasks WHERE run_id IN (SELECT id FROM runs WHERE tenant_id = 'customer-acme' ORDER BY id LIMIT 3);"
          "UPDATE users SET email = 'evil-' || email WHERE tenant_id = 'customer-acme';"
          "DELETE FROM nasty WHERE tenant_id = 'customer-acme';"
          "UPDATE billing SET amount = 0 WHERE tenant_id = 'customer-acme'");
  ASSERT_NE(Tables(db, Tenant("customer-acme")), acme);

  RestoreOptions ro;
  ro.mode = RestoreMode::kReplaceFiltered;
  auto restored = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(restored) << restored.error().ToString();
  EXPECT_EQ(Tables(db, Tenant("customer-acme")), acme);
  EXPECT_EQ(Tables(db, Tenant("customer-globex")), globex);
  EXPECT_EQ(Tables(db, Tenant("customer-initech")), initech);
  EXPECT_EQ(Tables(db), all);
  auto fp = Fingerprint(Server(db), {});
  ASSERT_TRUE(fp);
  EXPECT_TRUE((*fp)["constraints"]["valid"].get<bool>()) << (*fp)["constraints"].dump();
}

TEST_F(PostgresLogical, ProjectCaptureHoldsOnlyThatProjectsRows) {
  std::string db = Clone("project");
  std::string project = Scalar(db, "SELECT id FROM investigations ORDER BY id LIMIT 1");
  BackupOptions o;
  o.project = project;
  auto rep = BackupTo(db, o, tmp_.path());
  ASSERT_TRUE(rep) << rep.error().ToString();
  auto in = Reader(tmp_.path());
  EXPECT_FALSE(in->HasStream("data/public.users"));
  uint64_t entities = 0;
  const nlohmann::json attrs = in->Attributes();  // the range below must not dangle
  for (const auto& t : attrs["tables"]) {
    if (t["table"] == "public.entities") entities = t["rows"];
    if (t["table"] == "public.investigations") {
      EXPECT_EQ(t["rows"], 1);
    }
  }
  EXPECT_EQ(std::to_string(entities), Scalar(db, "SELECT count(*) FROM entities WHERE investigation_id = '" + project + "'"))
      << in->Attributes()["tables"].dump();
  // And a project restore brings back exactly that project's rows.
  FingerprintOptions fo;
  fo.project = project;
  auto before = Tables(db, fo);
  Sql(db, "DELETE FROM artifacts WHERE investigation_id = '" + project + "'");
  RestoreOptions ro;
  ro.mode = RestoreMode::kReplaceFiltered;
  auto restored = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(restored) << restored.error().ToString();
  EXPECT_EQ(Tables(db, fo), before);
}

TEST_F(PostgresLogical, SelectiveTableRestoreReplacesOnlyTheListedTables) {
  std::string db = Clone("tables");
  const auto before = Tables(db);
  ASSERT_TRUE(BackupTo(db, {}, tmp_.path()));
  Sql(db, "UPDATE runbooks SET body = 'changed'; DELETE FROM catalog; UPDATE entities SET name = 'changed'");
  auto changed = Tables(db);
  RestoreOptions ro;
  ro.mode = RestoreMode::kTables;
  ro.tables = {"runbooks", "public.catalog"};
  auto in = Reader(tmp_.path());
  auto r = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(r) << r.error().ToString();
  auto after = Tables(db);
  EXPECT_EQ(after["public.runbooks"], before["public.runbooks"]);
  EXPECT_EQ(after["public.catalog"], before["public.catalog"]);
  EXPECT_EQ(after["public.entities"], changed["public.entities"]) << "an unlisted table must stay as it was";
  EXPECT_NE(after["public.entities"], before["public.entities"]);
  EXPECT_EQ(Scalar(db, "SELECT string_agg(relname || ' ' || n_mod_since_analyze, ', ') FROM pg_stat_user_tables"
                       " WHERE relname IN ('runbooks', 'catalog') AND n_mod_since_analyze > 0"),
            "");

  ro.tables = {"no_such_table"};
  auto bad = Restore(Server(db), ro, *in, nullptr);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidInput);
}

// The binary COPY fast path (copy_binary.h) must give exactly what a text COPY gives: every
// type it converts, at the edges of its range, compared as text row by row with the source;
// and a value it does not convert (a BC date) must send that table through text, still exact.
TEST_F(PostgresLogical, BinaryCopyLoadsEveryConvertedTypeExactly) {
  std::string db = Prefix() + "_binary";
  Admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  Admin("CREATE DATABASE " + db);
  Sql(db, R"SQL(
    CREATE TABLE edge (id int PRIMARY KEY, i8 bigint, i4 integer, i2 smallint, o oid, b boolean, f4 real,
      f8 double precision, n numeric, n2 numeric(12,2), u uuid, raw bytea, d date, tz timestamptz,
      ts timestamp, tz3 timestamp(3) with time zone, t text, vc varchar(10), ch character(5), j json, jb jsonb,
      af4 real[], af8 double precision[], ai4 integer[], ai8 bigint[], ai2 smallint[]);
    INSERT INTO edge VALUES
      (1, -9223372036854775808, -2147483648, 32767, 4294967295, true, 'NaN', 'Infinity', 0, 0, '00000000-0000-0000-0000-000000000000',
       '', '0001-01-01', '0001-01-01 00:00:00+00', '1900-01-01 00:00:00.000001', '2000-01-01 00:00:00.5+00', '', '', '', '{}', '{}',
       '{}', '{}', '{}', '{}', '{}'),
      (2, 9223372036854775807, 2147483647, -32768, 0, false, '-Infinity', '-0', -0.000001, 99999999.99,
       'ffffffff-ffff-ffff-ffff-ffffffffffff', (SELECT decode(string_agg(lpad(to_hex(i), 2, '0'), ''), 'hex') FROM generate_series(0, 255) i),
       '5874897-12-31', '294276-12-31 23:59:59.999999+00', '294276-12-31 23:59:59.999999', 'infinity',
       E'tab\there\nnl\\bs \\N', 'Zürich', 'ab', '{"a" :  1, "a": [1e400]}', '{"ü": "\u00e9\n", "n": 1.000000000000000000001}',
       '{-0,NaN,1.4e-45,3.4028235e38,NULL}', '{5e-324,1.7976931348623157e308,-Infinity}', '{NULL}', '{-1,0,1}', '{1,NULL,-2}'),
      (3, 0, 0, 0, 1, NULL, 1.4e-45, 5e-324, 'NaN', -1.5, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\x00', '2000-02-29',
       '1999-12-31 23:59:59.999999+00', '2024-02-29 12:34:56', '-infinity', '日本語', NULL, 'abcde', 'null', '"s"',
       '{0.1,0.2}', '{0.1,0.30000000000000004}', '{1,2,3}', '{9223372036854775807}', '{32767}'),
      (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'Infinity', NULL, NULL, NULL, 'infinity', 'infinity', '-infinity', NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (5, 1, 1, 1, 1, true, 0.1, 0.1, 123456789012345678901234567890.12345678901234567890, 0.05,
       '12345678-1234-1234-1234-123456789abc', '\x5c0a09', '1970-01-01', '1970-01-01 00:00:00+00', '2000-01-01 00:00:00',
       '2025-01-20 10:20:30.123+00', repeat('x', 100000), 'a\b', '  ', '[1, 2]', '[1, 2]', '{1,2}', '{1,2}', '{1,2}', '{1,2}', '{1,2}'),
      (6, 0, 0, 0, 0, false, 0, 0, '-Infinity', 0, NULL, NULL, '-infinity', '-infinity', 'infinity', NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL);
    INSERT INTO edge (id, n, tz) SELECT 100 + i, (i * 7919) / 1000.0, '2025-01-01 00:00:00+00'::timestamptz + i * interval '1.000001 s'
      FROM generate_series(1, 5000) i;
    CREATE TABLE bc_dates (id int PRIMARY KEY, d date, t timestamptz);
    INSERT INTO bc_dates VALUES (1, '2000-01-01', '2000-01-01 00:00:00+00'), (2, '0044-03-15 BC', '0044-03-15 12:00:00+00 BC');
  )SQL");
  auto text_of = [&](const std::string& table) {
    return Scalar(db, "SELECT md5(string_agg(x::text, E'\\n' ORDER BY id)) || ' ' || count(*) FROM " + table + " x");
  };
  const std::string edge = text_of("edge"), bc = text_of("bc_dates");
  ASSERT_NE(edge.find(" 5006"), std::string::npos) << edge;

  BackupOptions o;
  o.jobs = 2;
  ASSERT_TRUE(BackupTo(db, o, tmp_.path()));
  Admin("DROP DATABASE " + db + " WITH (FORCE)");
  auto in = Reader(tmp_.path());
  RestoreOptions ro;
  ro.jobs = 2;
  auto r = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front();
  std::map<std::string, std::string> format;
  for (const auto& t : r->tables) format[t.table] = t.copy_format;
  EXPECT_EQ(format["public.edge"], "binary");
  EXPECT_EQ(format["public.bc_dates"], "text") << "a BC date has no exact binary form here: the table goes in text";
  EXPECT_EQ(text_of("edge"), edge);
  EXPECT_EQ(text_of("bc_dates"), bc);
  // The same values through text, for comparison: both formats give identical tables.
  ro.binary_copy = false;
  ro.allow_drop = true;
  auto r2 = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(r2) << r2.error().ToString();
  for (const auto& t : r2->tables) EXPECT_EQ(t.copy_format, "text") << t.table;
  EXPECT_EQ(text_of("edge"), edge);
}

// Tables whose btree index leads with another column than the primary key are sent grouped by
// that column (load_order.h): the restored heap is in the index's order, every row is there,
// and tables that cannot or should not be grouped keep stream order.
TEST_F(PostgresLogical, OrderedLoadSendsRowsInTheIndexOrderAndKeepsEveryRow) {
  std::string db = Prefix() + "_ordered";
  Admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  Admin("CREATE DATABASE " + db);
  // Tenants with NULLs, escapes, multibyte text, and an integer group whose text order is not
  // its numeric order (10 before 9 as text): the server decides the group order.
  Sql(db, R"SQL(
    CREATE TABLE ev (t timestamptz, id bigint, tenant text, payload text, PRIMARY KEY (t, id));
    CREATE INDEX ev_tenant_idx ON ev (tenant, t DESC, id DESC);
    INSERT INTO ev SELECT '2025-01-01'::timestamptz + (i / 3) * interval '1 s', i,
        (ARRAY['beta', E'tab\there', 'Zürich', 'alpha', NULL, 'ß', E'back\\slash'])[1 + i % 7], repeat('p', i % 50)
      FROM generate_series(1, 60000) i;
    CREATE TABLE tr (t timestamptz, id bigint, tenant text, PRIMARY KEY (t, id));
    CREATE INDEX tr_tenant_idx ON tr (tenant, t);
    INSERT INTO tr SELECT '2025-01-01'::timestamptz + i * interval '1 ms', i, 'customer-' || lpad((i % 21)::text, 3, '0')
      FROM generate_series(1, 60000) i;
    CREATE TABLE ti (id bigint PRIMARY KEY, grp int);
    CREATE INDEX ti_grp_idx ON ti (grp DESC NULLS LAST, id DESC);
    INSERT INTO ti SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE i % 12 END FROM generate_series(1, 20000) i;
    CREATE TABLE many (id bigint PRIMARY KEY, k text);
    CREATE INDEX many_k_idx ON many (k, id);
    INSERT INTO many SELECT i, 'k' || (i % 1000) FROM generate_series(1, 20000) i;
    CREATE TABLE tx (id bigint PRIMARY KEY, tenant text, span interval);  -- no binary form: text
    CREATE INDEX tx_tenant_idx ON tx (tenant, id);
    INSERT INTO tx SELECT i, 'tenant-' || (i % 9), i * interval '1 minute' FROM generate_series(1, 30000) i;
    CREATE TABLE manyt (id bigint PRIMARY KEY, k text, span interval);  -- the same, in text
    CREATE INDEX manyt_k_idx ON manyt (k, id);
    INSERT INTO manyt SELECT i, 'k' || (i % 1000), i * interval '1 s' FROM generate_series(1, 20000) i;
    CREATE TABLE cl (id bigint PRIMARY KEY, tenant text);  -- its owner chose the physical order
    CREATE INDEX cl_tenant_idx ON cl (tenant, id);
    ALTER TABLE cl CLUSTER ON cl_tenant_idx;
    INSERT INTO cl SELECT i, 't' || (i % 5) FROM generate_series(1, 5000) i;
    CREATE TABLE br (id bigint PRIMARY KEY, tenant text);
    CREATE INDEX br_tenant_idx ON br (tenant);
    CREATE INDEX br_id_brin ON br USING brin (id);
    INSERT INTO br SELECT i, 't' || (i % 5) FROM generate_series(1, 20000) i;
  )SQL");
  const auto before = Tables(db);
  ASSERT_EQ(before.size(), 8u);
  BackupOptions bo;
  bo.jobs = 2;
  ASSERT_TRUE(BackupTo(db, bo, tmp_.path()));
  Admin("DROP DATABASE " + db + " WITH (FORCE)");

  TempDir spill;
  auto in = Reader(tmp_.path());
  RestoreOptions ro;
  ro.jobs = 2;
  ro.ordered_load_min_bytes = 1;
  ro.ordered_load_memory_bytes = 0;  // every full block goes through the spill file
  ro.read_buffer_bytes = 4093;        // rows cut between reads everywhere
  ro.spill_dir = spill.path();
  // The dry run's plan says which tables will be grouped, and for which index.
  ro.dry_run = true;
  auto plan = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(plan) << plan.error().ToString();
  std::map<std::string, std::string> planned;
  for (const auto& p : plan->plan)
    if (p.action == "load table") planned[p.object] = p.grouped_for;
  EXPECT_EQ(planned, (std::map<std::string, std::string>{
                         {"public.br", ""}, {"public.cl", ""}, {"public.ev", "ev_tenant_idx"}, {"public.many", "many_k_idx"}, {"public.manyt", "manyt_k_idx"},
                         {"public.ti", "ti_grp_idx"}, {"public.tr", "tr_tenant_idx"}, {"public.tx", "tx_tenant_idx"}}));
  EXPECT_NE(FormatPlan(*plan).find("load table public.ev rows=60000"), std::string::npos) << FormatPlan(*plan);
  EXPECT_NE(FormatPlan(*plan).find("grouped-for-index=ev_tenant_idx"), std::string::npos) << FormatPlan(*plan);
  ro.dry_run = false;
  auto r = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front();
  std::map<std::string, std::string> ordered, format;
  for (const auto& t : r->tables) {
    ordered[t.table] = t.ordered_for;
    format[t.table] = t.copy_format;
  }
  EXPECT_EQ(ordered["public.tx"], "tx_tenant_idx");
  EXPECT_EQ(format["public.tx"], "text") << "held back line by line as captured";
  EXPECT_EQ(ordered["public.ev"], "ev_tenant_idx");
  EXPECT_EQ(ordered["public.tr"], "tr_tenant_idx");
  EXPECT_EQ(ordered["public.ti"], "ti_grp_idx");
  EXPECT_EQ(ordered["public.many"], "") << "1000 groups: more than the stager takes, sent in stream order";
  EXPECT_EQ(ordered["public.manyt"], "");
  EXPECT_EQ(format["public.manyt"], "text");
  EXPECT_EQ(ordered["public.br"], "") << "a BRIN index keeps the stream order";
  EXPECT_EQ(ordered["public.cl"], "") << "CLUSTER ON keeps the stream order";
  EXPECT_EQ(Tables(db), before) << "grouping changes where rows are, never what they are";
  EXPECT_TRUE(fs::is_empty(spill.path())) << "nothing left behind in the spill directory";

  // The heap, read in physical order, is the index's order.
  auto out_of_order = [&](const std::string& table, const std::string& index_order) {
    return Scalar(db, "SELECT count(*) FROM (SELECT row_number() OVER (ORDER BY ctid) a, row_number() OVER (ORDER BY " +
                          index_order + ") b FROM " + table + ") s WHERE a <> b");
  };
  EXPECT_EQ(out_of_order("ev", "tenant, t DESC, id DESC"), "0");
  EXPECT_EQ(out_of_order("tr", "tenant, t, id"), "0");
  EXPECT_EQ(out_of_order("ti", "grp DESC NULLS LAST, id DESC"), "0");
  EXPECT_EQ(out_of_order("tx", "tenant, id"), "0");
  EXPECT_EQ(out_of_order("br", "id"), "0") << "stream order: the primary key's";
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "0");

  // Rows a transform rewrites (text COPY) are grouped by their new values: tr's tenants of odd
  // number become "zz-..." (last in the index's order), and a tenth of its rows are dropped.
  class Rename final : public transform::PgRowTransform {
   public:
    bool Applies(const transform::PgTable& t) const override { return t.name == "tr"; }
    Result<bool> Apply(const transform::PgTable&, transform::PgRow& row) const override {
      if (std::stoll(*row[1]) % 10 == 0) return false;
      if (std::stoi(row[2]->substr(9)) % 2 == 1) *row[2] = "zz-" + *row[2];
      return true;
    }
  } rename;
  ro.allow_drop = true;
  auto renamed = Restore(Server(db), ro, *in, &rename);
  ASSERT_TRUE(renamed) << renamed.error().ToString();
  for (const auto& t : renamed->tables) {
    if (t.table == "public.tr") {
      EXPECT_EQ(t.ordered_for, "tr_tenant_idx");
      EXPECT_EQ(t.copy_format, "text");
      EXPECT_EQ(t.rows, 54000u);
    }
  }
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM tr"), "54000");
  EXPECT_EQ(Scalar(db, "SELECT count(DISTINCT tenant) FILTER (WHERE tenant LIKE 'zz-%') FROM tr"), "10");
  EXPECT_EQ(out_of_order("tr", "tenant, t, id"), "0");
  EXPECT_EQ(out_of_order("ev", "tenant, t DESC, id DESC"), "0");

  // A spill directory that cannot be written: every row still arrives, what was held goes
  // first, and the report says which tables and what to change.
  ro.spill_dir = "/nonexistent/summit-spill";
  auto no_spill = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(no_spill) << no_spill.error().ToString();
  EXPECT_EQ(Tables(db), before);
  std::string warned;
  for (const auto& w : no_spill->warnings) warned += w + "\n";
  EXPECT_NE(warned.find("public.ev partly loaded in primary-key order, not grouped for ev_tenant_idx"), std::string::npos) << warned;
  EXPECT_NE(warned.find("/nonexistent/summit-spill"), std::string::npos) << warned;
  EXPECT_NE(warned.find("sources.postgres.restore.spill_dir"), std::string::npos) << warned;
  EXPECT_EQ(warned.find("public.many "), std::string::npos) << "too many groups is not the user's to fix: " << warned;
  ro.spill_dir = spill.path();

  // Off: every table in stream order, the same rows.
  ro.ordered_load_min_bytes = 0;
  auto plain = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(plain) << plain.error().ToString();
  for (const auto& t : plain->tables) EXPECT_EQ(t.ordered_for, "") << t.table;
  EXPECT_EQ(out_of_order("tr", "t, id"), "0");
  EXPECT_EQ(Tables(db), before);
}

// The bulk-load settings of the restore connections, read back from the server that runs them.
TEST_F(PostgresLogical, RestoreSessionSettingsAreWhatTheServerRuns) {
  auto show = [](PgConn& c, const std::string& name) {
    auto r = c.Exec("SHOW " + name);
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? r->GetString(0, 0) : "";
  };
  auto fresh = PgConn::Open(Server("postgres"));
  ASSERT_TRUE(fresh) << fresh.error().ToString();
  auto conn = PgConn::Open(Server("postgres"));
  ASSERT_TRUE(conn) << conn.error().ToString();
  RestoreOptions o;
  ASSERT_TRUE((*conn)->Exec(RestoreSessionSettings(o)));
  EXPECT_EQ(show(**conn, "synchronous_commit"), "off");
  EXPECT_EQ(show(**conn, "maintenance_work_mem"), "256MB");
  EXPECT_EQ(show(**conn, "max_parallel_maintenance_workers"), "0");

  // "" and -1 keep the server's own settings.
  auto kept = PgConn::Open(Server("postgres"));
  ASSERT_TRUE(kept) << kept.error().ToString();
  o.maintenance_work_mem = "";
  o.max_parallel_maintenance_workers = -1;
  ASSERT_TRUE((*kept)->Exec(RestoreSessionSettings(o)));
  EXPECT_EQ(show(**kept, "maintenance_work_mem"), show(**fresh, "maintenance_work_mem"));
  EXPECT_EQ(show(**kept, "max_parallel_maintenance_workers"), show(**fresh, "max_parallel_maintenance_workers"));
  EXPECT_EQ(show(**kept, "synchronous_commit"), "off");
}

// Checks of restored data run as graph steps once their table is loaded (the CLI verifies the
// audit chain this way), see the default search_path, and fail the whole restore when they fail.
TEST_F(PostgresLogical, ChecksAfterLoadRunInsideTheGraphAndAFailingOneFailsTheRestore) {
  std::string db = Clone("checks");
  const std::string rows = Scalar(db, "SELECT count(*) FROM audit_logs");
  ASSERT_TRUE(BackupTo(db, {}, tmp_.path()));
  Admin("DROP DATABASE " + db + " WITH (FORCE)");
  auto in = Reader(tmp_.path());
  RestoreOptions ro;
  ro.jobs = 2;
  std::string seen;
  ro.checks_after_load.push_back({"public.audit_logs", "counting", [&](PgConn& c) -> Status {
                                    SUMMIT_ASSIGN_OR_RETURN(auto r, c.Exec("SELECT count(*) FROM audit_logs"));
                                    seen = r.GetString(0, 0);
                                    return Ok();
                                  }});
  ro.checks_after_load.push_back({"public.no_such_table", "never", [](PgConn&) -> Status {
                                    return Fail(ErrorCode::kInternal, "a check of a table not in the capture ran");
                                  }});
  auto r = Restore(Server(db), ro, *in, nullptr);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(seen, rows) << "the check sees the loaded table through the default search_path";
  EXPECT_TRUE(std::any_of(r->steps.begin(), r->steps.end(), [](const auto& s) { return s.what == "counting public.audit_logs"; }));

  ro.allow_drop = true;
  ro.checks_after_load = {{"public.users", "refusing", [](PgConn&) -> Status { return Fail(ErrorCode::kCorruption, "users look wrong"); }}};
  Sql(db, "DELETE FROM audit_logs WHERE id = (SELECT min(id) FROM audit_logs)");
  auto failed = Restore(Server(db), ro, *in, nullptr);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("users look wrong"), std::string::npos) << failed.error().ToString();
  EXPECT_EQ(Scalar(db, "SELECT count(*) FROM audit_logs"), std::to_string(std::stoll(rows) - 1)) << "the target stays as it was";
}

TEST_F(PostgresLogical, DryRunReportsThePlanAndChangesNothing) {
  std::string db = Clone("dryrun");
  ASSERT_TRUE(BackupTo(db, {}, tmp_.path()));
  Sql(db, "DELETE FROM events WHERE tenant_id = 'customer-globex'");
  auto before = Fingerprint(Server(db), {});
  ASSERT_TRUE(before);
  auto in = Reader(tmp_.path());
  for (RestoreMode mode : {RestoreMode::kFull, RestoreMode::kTables}) {
    RestoreOptions ro;
    ro.mode = mode;
    ro.dry_run = true;
    ro.allow_drop = true;
    ro.tables = {"events"};
    auto plan = Restore(Server(db), ro, *in, nullptr);
    ASSERT_TRUE(plan) << plan.error().ToString();
    std::string text = FormatPlan(*plan);
    EXPECT_NE(text.find("public.events rows="), std::string::npos) << text;
    if (mode == RestoreMode::kFull) {
      EXPECT_NE(text.find("drop database " + db), std::string::npos) << text;
    }
  }
  auto after = Fingerprint(Server(db), {});
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, *before);
}

TEST_F(PostgresLogical, InputErrorsFailBeforeAnyStreamIsWritten) {
  struct Case {
    const char* what;
    BackupOptions o;
    ErrorCode code;
    const char* needle;
  };
  std::vector<Case> cases;
  {
    BackupOptions o;
    o.include_tables = {"users", "no_such_table"};
    cases.push_back({"unknown table", o, ErrorCode::kInvalidInput, "no_such_table"});
  }
  {
    BackupOptions o;
    o.tenant = "customer-acme";
    o.tenant_column = "org_id";
    cases.push_back({"unknown column", o, ErrorCode::kInvalidInput, "org_id"});
  }
  {
    BackupOptions o;
    o.tenant = "";
    cases.push_back({"empty tenant", o, ErrorCode::kInvalidInput, "empty"});
  }
  {
    BackupOptions o;
    o.tenant = "customer-nobody";
    cases.push_back({"tenant without rows", o, ErrorCode::kNotFound, "customer-nobody has no rows"});
  }
  {
    BackupOptions o;
    o.table_predicates = {{"users", "no_such_column > 1"}};
    cases.push_back({"bad predicate", o, ErrorCode::kNotFound, "no_such_column"});
  }
  for (const auto& c : cases) {
    std::string dir = tmp_.sub(c.what);
    fs::create_directories(dir);
    auto r = BackupTo(SourceDb(), c.o, dir);
    ASSERT_FALSE(r) << c.what;
    EXPECT_EQ(r.error().code(), c.code) << c.what << ": " << r.error().ToString();
    EXPECT_NE(r.error().message().find(c.needle), std::string::npos) << c.what << ": " << r.error().ToString();
    EXPECT_TRUE(fs::is_empty(dir)) << c.what << ": something was written";
  }
}

// Uppercases users.email and drops global runbooks: the seam sanitization uses.
class TestTransform final : public transform::PgRowTransform {
 public:
  bool Applies(const transform::PgTable& t) const override { return t.name == "users" || t.name == "runbooks" || t.name == "nasty"; }
  Result<bool> Apply(const transform::PgTable& t, transform::PgRow& row) const override {
    auto col = [&](const char* n) { return std::find(t.columns.begin(), t.columns.end(), n) - t.columns.begin(); };
    if (t.name == "users") {
      auto& v = row[col("email")];
      if (v) v = "dev_" + *v;
    } else if (t.name == "runbooks") {
      return row[col("tenant_id")].has_value();
    }
    return true;  // nasty: decoded and re-encoded unchanged
  }
};

TEST_F(PostgresLogical, TransformRewritesAndDropsRowsInFlightAndLeavesOthersExact) {
  std::string src = Clone("transform_src");
  ASSERT_TRUE(BackupTo(src, {}, tmp_.path()));
  std::string target = Prefix() + "_transform_dst";
  TestTransform tr;
  auto in = Reader(tmp_.path());
  RestoreOptions ro;
  auto r = Restore(Server(target), ro, *in, &tr);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Scalar(target, "SELECT count(*) FROM users WHERE email NOT LIKE 'dev\\_%'"), "0");
  EXPECT_EQ(Scalar(target, "SELECT count(*) FROM users"), Scalar(src, "SELECT count(*) FROM users"));
  EXPECT_EQ(Scalar(target, "SELECT count(*) FROM runbooks WHERE tenant_id IS NULL"), "0");
  EXPECT_EQ(Scalar(target, "SELECT count(*) FROM runbooks"), Scalar(src, "SELECT count(*) FROM runbooks WHERE tenant_id IS NOT NULL"));
  auto a = Tables(src), b = Tables(target);
  EXPECT_EQ(a["public.nasty"], b["public.nasty"]) << "decode + encode must not change a byte";
  EXPECT_EQ(a["public.entities"], b["public.entities"]);
}

TEST_F(PostgresLogical, MinimalTableSetRestoresIntoAnEmptyDatabase) {
  std::string src = Clone("minimal_src");
  BackupOptions o;
  o.include_tables = {"entities", "investigations", "users", "runs", "tasks", "runbooks"};
  auto rep = BackupTo(src, o, tmp_.path());
  ASSERT_TRUE(rep) << rep.error().ToString();
  auto in = Reader(tmp_.path());
  EXPECT_FALSE(in->HasStream("data/public.events"));
  std::string target = Prefix() + "_minimal_dst";
  auto r = Restore(Server(target), {}, *in, nullptr);
  ASSERT_TRUE(r) << r.error().ToString();
  FingerprintOptions fo;
  fo.tables = o.include_tables;
  EXPECT_EQ(Tables(target, fo), Tables(src, fo));
  bool warned = false;
  for (const auto& w : r->warnings) warned = warned || w.find("public.tenants") != std::string::npos;
  EXPECT_TRUE(warned) << "the users -> tenants foreign key cannot be restored without tenants";
}

TEST_F(PostgresLogical, PlainExportRestoresWithStockPsql) {
  std::string src = Clone("export_src");
  ASSERT_TRUE(BackupTo(src, {}, tmp_.sub("cap")));
  auto in = Reader(tmp_.sub("cap"));
  std::string file = tmp_.sub("export.sql");
  auto sink = OpenFileSink(file);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(Export(*in, {}, **sink));
  std::string target = Prefix() + "_export_dst";
  Admin("CREATE DATABASE " + target);
  ProcessOptions p;
  p.argv = {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file};
  p.env = Server(target).ChildEnvironment();
  auto run = RunChecked(p, "psql -f export.sql");
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_EQ(Tables(target), Tables(src));
  EXPECT_EQ(Scalar(target, "SELECT last_value FROM users_id_seq"), Scalar(src, "SELECT last_value FROM users_id_seq"));
  EXPECT_EQ(Scalar(target, "SELECT md5(lo_get(oid)) FROM pg_largeobject_metadata LIMIT 1"),
            Scalar(src, "SELECT md5(lo_get(oid)) FROM pg_largeobject_metadata LIMIT 1"));
}

TEST_F(PostgresLogical, CustomExportRestoresWithStockPgRestore) {
  std::string src = Clone("custom_src");
  ASSERT_TRUE(BackupTo(src, {}, tmp_.sub("cap")));
  auto in = Reader(tmp_.sub("cap"));
  std::string file = tmp_.sub("export.dump");
  auto sink = OpenFileSink(file);
  ASSERT_TRUE(sink);
  ExportOptions eo;
  eo.format = ExportFormat::kCustom;
  eo.scratch = Server("postgres");
  auto st = Export(*in, eo, **sink);
  ASSERT_TRUE(st) << st.error().ToString();
  std::string target = Prefix() + "_custom_dst";
  Admin("CREATE DATABASE " + target);
  ProcessOptions p;
  p.argv = {"pg_restore", "--exit-on-error", "-j", "2", "-d", target, file};
  p.env = Server(target).ChildEnvironment();
  auto run = RunChecked(p, "pg_restore");
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_EQ(Tables(target), Tables(src));
}

}  // namespace
}  // namespace summit::sources::postgres
