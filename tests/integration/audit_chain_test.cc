// The audit chain check (src/sources/audit/audit_chain.h) against a real server: what it counts,
// which links it calls broken and why, and that nothing else is called broken. The chain is built
// in SQL with the rule of docs/dataset.md, in a database of this test's own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "harness_env.h"
#include "sources/audit/audit_chain.h"
#include "sources/postgres/pg_conn.h"

namespace summit::sources::audit {
namespace {

using postgres::PgConn;

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUMMIT_REQUIRE_SERVICE("postgres");
    db_ = "summit_chain_it_" + std::to_string(getpid());
    Admin("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
    Admin("CREATE DATABASE " + db_);
    auto c = PgConn::Open(testing::HarnessPostgres(db_));
    ASSERT_TRUE(c) << c.error().ToString();
    conn_ = std::move(*c);
    // Summit's audit_logs, except that hash and prev_hash may be NULL (to test that NULL never
    // passes). Three tenants, 30 rows each, ids interleaved across tenants.
    Exec(R"(CREATE TABLE audit_logs (id bigint PRIMARY KEY, tenant_id text NOT NULL, user_id bigint, action text NOT NULL,
              user_ip text, session_data jsonb, created_at timestamptz NOT NULL, prev_hash text, hash text);
            INSERT INTO audit_logs (id, tenant_id, user_id, action, user_ip, session_data, created_at)
              SELECT i, 'tenant-' || (i % 3), CASE WHEN i % 4 = 0 THEN NULL ELSE i * 7 END, 'act' || i,
                     CASE WHEN i % 5 = 0 THEN NULL ELSE '10.0.0.' || i END,
                     CASE WHEN i % 6 = 0 THEN NULL ELSE jsonb_build_object('k', i, 'tab', E'a\tb') END,
                     timestamptz '2026-01-01 00:00:00.5+00' + i * interval '1 minute 1.000001 second'
              FROM generate_series(1, 90) i;)");
    Rechain();
  }
  void TearDown() override {
    conn_.reset();
    if (!db_.empty()) Admin("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
  }

  static void Admin(const std::string& sql) {
    auto c = PgConn::Open(testing::HarnessPostgres("postgres"));
    ASSERT_TRUE(c) << c.error().ToString();
    auto r = (*c)->Exec(sql);
    ASSERT_TRUE(r) << r.error().ToString();
  }
  void Exec(const std::string& sql) {
    auto r = conn_->Exec(sql);
    ASSERT_TRUE(r) << r.error().ToString();
  }
  // Recomputes every row's prev_hash and hash, in id order per tenant, by the canonical rule.
  void Rechain() {
    Exec(R"(DO $$
            DECLARE r record; prev text; last_tenant text := NULL;
            BEGIN
              FOR r IN SELECT * FROM audit_logs ORDER BY tenant_id, id LOOP
                IF last_tenant IS DISTINCT FROM r.tenant_id THEN prev := repeat('0', 64); last_tenant := r.tenant_id; END IF;
                UPDATE audit_logs SET prev_hash = prev, hash = encode(sha256(convert_to(prev || E'\n' ||
                  concat_ws(E'\t', r.id::text, r.tenant_id, coalesce(r.user_id::text, '\N'), r.action, coalesce(r.user_ip, '\N'),
                            coalesce(r.session_data::text, '\N'),
                            to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')), 'UTF8')), 'hex')
                  WHERE id = r.id RETURNING hash INTO prev;
              END LOOP;
            END $$)");
  }
  ChainReport Check(VerifyOptions o = {}) {
    auto r = Verify(*conn_, ChainSpec{}, o);
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? *r : ChainReport{};
  }

  std::string db_;
  std::unique_ptr<PgConn> conn_;
};

// The broken links of a report, one line each: "chain id position: reason".
std::string Broken(const ChainReport& r) {
  std::string out;
  for (const auto& b : r.broken)
    out += b.chain + " " + std::to_string(b.id) + " " + std::to_string(b.position) + ": " + b.reason + "\n";
  return out;
}

TEST_F(AuditChainTest, IntactChainCountsRowsAndChains) {
  ChainReport r = Check();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.rows, 90u);
  EXPECT_EQ(r.chains, 3u);
  EXPECT_EQ(r.table, "audit_logs");
  VerifyOptions one;
  one.partition = "tenant-1";
  r = Check(one);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.rows, 30u);
  EXPECT_EQ(r.chains, 1u);
}

TEST_F(AuditChainTest, AnEditedRowIsTheOnlyBrokenLink) {
  // Row 40 (tenant-1, its 14th row) changes; its stored hash no longer matches, while the next
  // row still links to that stored hash: exactly one broken link.
  Exec("UPDATE audit_logs SET action = 'tampered' WHERE id = 40");
  ChainReport r = Check();
  EXPECT_EQ(Broken(r), "tenant-1 40 14: hash does not match the row\n");
  EXPECT_EQ(r.rows, 90u);
  // The canonical row carries the timestamp to the microsecond.
  Rechain();
  Exec("UPDATE audit_logs SET created_at = created_at + interval '1 microsecond' WHERE id = 41");
  EXPECT_EQ(Broken(Check()), "tenant-2 41 14: hash does not match the row\n");
}

TEST_F(AuditChainTest, ADeletedRowBreaksTheNextLink) {
  Exec("DELETE FROM audit_logs WHERE id = 42");  // tenant-0: ids 3, 6, ..., 42 is its 14th row
  ChainReport r = Check();
  EXPECT_EQ(Broken(r), "tenant-0 45 14: prev_hash does not match the previous row\n");
  EXPECT_EQ(r.rows, 89u);
}

TEST_F(AuditChainTest, NullHashesNeverPass) {
  Exec("UPDATE audit_logs SET hash = NULL WHERE id = 50");
  ChainReport r = Check();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.broken[0].id, 50);
  EXPECT_EQ(r.broken[0].reason, "hash does not match the row");
  Rechain();
  Exec("UPDATE audit_logs SET prev_hash = NULL WHERE id = 51");
  r = Check();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.broken[0].id, 51);
}

TEST_F(AuditChainTest, ATruncatedHeadPassesOnlyWhenAllowed) {
  // Data reduction keeps the newest rows: the first rows of a chain are gone.
  Exec("DELETE FROM audit_logs WHERE id IN (1, 4)");  // tenant-1's first two rows
  EXPECT_EQ(Broken(Check()), "tenant-1 7 1: prev_hash does not match the previous row\n");
  VerifyOptions reduced;
  reduced.allow_truncated_head = true;
  EXPECT_TRUE(Check(reduced).ok());
  // ... but a gap after the head is still found.
  Exec("DELETE FROM audit_logs WHERE id = 13");
  EXPECT_EQ(Broken(Check(reduced)), "tenant-1 16 3: prev_hash does not match the previous row\n");
}

TEST_F(AuditChainTest, ListsTheFirstTwentyInChainOrder) {
  Exec("UPDATE audit_logs SET action = action || '!' WHERE id > 30");
  ChainReport r = Check();
  ASSERT_EQ(r.broken.size(), 20u);
  EXPECT_EQ(r.broken.front().chain, "tenant-0");
  EXPECT_EQ(r.broken.front().id, 33);
  for (size_t i = 1; i < r.broken.size(); ++i) {
    const auto& a = r.broken[i - 1];
    const auto& b = r.broken[i];
    EXPECT_TRUE(a.chain < b.chain || (a.chain == b.chain && a.id < b.id)) << i;
  }
}

TEST_F(AuditChainTest, ANullChainAndAnEmptyChainAreTwoChains) {
  Exec("ALTER TABLE audit_logs ALTER tenant_id DROP NOT NULL;"
       "UPDATE audit_logs SET tenant_id = NULL WHERE tenant_id = 'tenant-0';"
       "UPDATE audit_logs SET tenant_id = '' WHERE tenant_id = 'tenant-1';");
  Rechain();
  ChainReport r = Check();
  EXPECT_EQ(Broken(r), "");
  EXPECT_EQ(r.chains, 3u);
  EXPECT_EQ(r.rows, 90u);
  // A broken link in the NULL chain is listed after the others, as ORDER BY puts NULLs.
  Exec("UPDATE audit_logs SET action = 'x' WHERE id IN (3, 4)");  // 3: the NULL chain, 4: ''
  EXPECT_EQ(Broken(Check()), " 4 2: hash does not match the row\n 3 1: hash does not match the row\n");
}

TEST_F(AuditChainTest, EmptyAndMissingTables) {
  Exec("DELETE FROM audit_logs");
  ChainReport r = Check();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.rows, 0u);
  EXPECT_EQ(r.chains, 0u);
  Exec("DROP TABLE audit_logs");
  auto missing = Verify(*conn_, ChainSpec{}, VerifyOptions{});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find(db_), std::string::npos) << missing.error().message();
}

}  // namespace
}  // namespace summit::sources::audit
