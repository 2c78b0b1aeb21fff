#include "backup/plan.h"

#include <gtest/gtest.h>

#ifndef SUMMIT_SOURCE_DIR
#define SUMMIT_SOURCE_DIR "."
#endif

namespace summit::backup {
namespace {

config::Config Shipped() {
  auto c = config::LoadConfig(std::string(SUMMIT_SOURCE_DIR) + "/config/backup-sets.yaml",
                              config::MapEnv({{"ENCRYPTION_KEY", "k"}}));
  EXPECT_TRUE(c.has_value()) << c.error().ToString();
  return *c;
}

PlanContext Ctx(bool have_kubectl = false) {
  PlanContext ctx;
  ParseUtc("2025-01-20T02:00:00Z", &ctx.now);
  ctx.have_program = [have_kubectl](const std::string& p) { return have_kubectl && p == "kubectl"; };
  return ctx;
}

std::vector<std::string> Names(const BackupPlan& p) {
  std::vector<std::string> n;
  for (const auto& c : p.components) n.push_back(c.name);
  return n;
}

const ComponentPlan* Find(const BackupPlan& p, const std::string& name) {
  for (const auto& c : p.components)
    if (c.name == name) return &c;
  return nullptr;
}

TEST(PlanBackup, IncrementalTakesItsLimitsFromTheConfigAndBaseImpliesIncremental) {
  config::Config c = Shipped();
  EXPECT_EQ(c.sources.postgres_incremental.max_chain, 24);
  EXPECT_DOUBLE_EQ(c.sources.postgres_incremental.max_delta_fraction, 0.2);
  c.sources.postgres_incremental = {3, 0.05};
  auto off = PlanBackup(c, {.set = "full"}, Ctx());
  ASSERT_TRUE(off.has_value());
  EXPECT_FALSE(off->incremental.enabled);
  auto on = PlanBackup(c, {.set = "full", .base = "summit-backup-full-20250119T020000Z"}, Ctx());
  ASSERT_TRUE(on.has_value());
  EXPECT_TRUE(on->incremental.enabled);
  EXPECT_EQ(on->incremental.base, "summit-backup-full-20250119T020000Z");
  EXPECT_EQ(on->incremental.max_chain, 3);
  EXPECT_DOUBLE_EQ(on->incremental.max_delta_fraction, 0.05);
}

TEST(PlanBackup, FullSetHasEverySpecComponent) {
  auto p = PlanBackup(Shipped(), {.set = "full"}, Ctx());
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(p->id, "summit-backup-full-20250120T020000Z");
  EXPECT_EQ(Names(*p), (std::vector<std::string>{"postgres", "neo4j", "redis", "config", "secrets"}));
  const auto* pg = Find(*p, "postgres");
  EXPECT_TRUE(pg->postgres.include_tables.empty());  // every table: hypertables, stores, audit chain included
  EXPECT_EQ(pg->audit_tables, std::vector<std::string>{"audit_logs"});
  EXPECT_TRUE(Find(*p, "redis")->redis_full);
  for (const char* t : {"timescaledb", "provenance", "policy", "catalog", "audit_chain", "config_files", "secrets"})
    EXPECT_TRUE(p->coverage.contains(t)) << t;
  EXPECT_EQ(Find(*p, "config")->files.exclude, Find(*p, "secrets")->files.include);
}

TEST(PlanBackup, MinimalSetTakesCoreTablesAndLeavesSessionsOut) {
  auto p = PlanBackup(Shipped(), {.set = "minimal"}, Ctx());
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(Names(*p), (std::vector<std::string>{"postgres", "neo4j", "redis"}));
  EXPECT_EQ(Find(*p, "postgres")->postgres.include_tables,
            (std::vector<std::string>{"entities", "investigations", "users", "runs", "tasks", "runbooks"}));
  const auto* r = Find(*p, "redis");
  EXPECT_FALSE(r->redis_full);
  EXPECT_FALSE(r->redis_filter.SelectsKey("session:abc"));
  EXPECT_FALSE(r->redis_filter.SelectsKey("tmp:x"));
  EXPECT_TRUE(r->redis_filter.SelectsKey("cache:customer-acme:entity:1"));
  EXPECT_FALSE(Find(*p, "neo4j")->neo4j.filter.labels.empty());
}

TEST(PlanBackup, TenantAndProjectSetsFilterEveryStore) {
  auto t = PlanBackup(Shipped(), {.set = "tenant", .tenant = "customer-acme"}, Ctx());
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(t->id, "summit-backup-tenant-customer-acme-20250120T020000Z");
  EXPECT_EQ(*Find(*t, "postgres")->postgres.tenant, "customer-acme");
  EXPECT_EQ(*Find(*t, "neo4j")->neo4j.filter.tenant, "customer-acme");
  EXPECT_EQ(Find(*t, "config")->files.include, std::vector<std::string>{"tenants/customer-acme/**"});
  EXPECT_EQ(Find(*t, "redis"), nullptr);

  auto p = PlanBackup(Shipped(), {.set = "project", .project = "investigation-2025-001"}, Ctx());
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  const auto* pg = Find(*p, "postgres");
  EXPECT_EQ(*pg->postgres.project, "investigation-2025-001");
  auto tables = pg->postgres.include_tables;
  EXPECT_NE(std::find(tables.begin(), tables.end(), "provenance"), tables.end());
  EXPECT_NE(std::find(tables.begin(), tables.end(), "artifacts"), tables.end());
  EXPECT_EQ(*Find(*p, "neo4j")->neo4j.filter.project, "investigation-2025-001");
}

TEST(PlanBackup, ConfigOnlyAndDisasterRecovery) {
  auto c = PlanBackup(Shipped(), {.set = "config_only"}, Ctx());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Names(*c), (std::vector<std::string>{"config", "secrets"}));
  auto dr = PlanBackup(Shipped(), {.set = "disaster_recovery"}, Ctx(/*have_kubectl=*/true));
  ASSERT_TRUE(dr.has_value()) << dr.error().ToString();
  EXPECT_EQ(Names(*dr), (std::vector<std::string>{"postgres", "neo4j", "redis", "config", "secrets", "kubernetes",
                                                  "terraform"}));
  EXPECT_EQ(Find(*dr, "kubernetes")->command.at(0), "kubectl");
  EXPECT_TRUE(Find(*dr, "terraform")->command.empty());  // no terraform here: its state files instead
  EXPECT_FALSE(dr->notes.empty());
  EXPECT_TRUE(dr->replicate);
  EXPECT_EQ(dr->storage, (std::vector<std::string>{"primary", "dr"}));
}

TEST(PlanBackup, OnlyNarrowsAndRejectsAbsentComponents) {
  auto p = PlanBackup(Shipped(), {.set = "full", .only = {"redis", "postgres"}}, Ctx());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(Names(*p), (std::vector<std::string>{"postgres", "redis"}));
  EXPECT_EQ(p->only, (std::vector<std::string>{"redis", "postgres"}));  // recorded in the metadata's labels
  auto bad = PlanBackup(Shipped(), {.set = "minimal", .only = {"secrets"}}, Ctx());
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("no secrets component"), std::string::npos);
  EXPECT_FALSE(PlanBackup(Shipped(), {.set = "tenant"}, Ctx()).has_value());
}

}  // namespace
}  // namespace summit::backup
