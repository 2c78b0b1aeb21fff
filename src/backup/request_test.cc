#include "backup/request.h"

#include <gtest/gtest.h>

namespace summit::backup {
namespace {

TEST(BackupRequest, TenantSetNeedsTenantIdAndSaysHow) {
  BackupRequest r{.set = "tenant"};
  auto s = ValidateBackupRequest(r);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(s.error().hint().find("TENANT_ID"), std::string::npos);
  r.tenant = "customer-acme";
  EXPECT_TRUE(ValidateBackupRequest(r).has_value());
  r.tenant = "../../etc";
  EXPECT_FALSE(ValidateBackupRequest(r).has_value());
}

TEST(BackupRequest, UnknownSetAndComponentAreRejected) {
  EXPECT_EQ(ValidateBackupRequest({.set = "fulll"}).error().message(), "unknown backup set 'fulll'");
  EXPECT_FALSE(ValidateBackupRequest({.set = ""}).has_value());
  EXPECT_FALSE(ValidateBackupRequest({.set = "full", .only = {"mysql"}}).has_value());
  EXPECT_TRUE(ValidateBackupRequest({.set = "project", .project = "investigation-2025-001"}).has_value());
  EXPECT_FALSE(ValidateBackupRequest({.set = "project"}).has_value());
  EXPECT_FALSE(ValidateBackupRequest({.set = "full", .retention_days = 0}).has_value());
}

TEST(RestoreRequest, RestoreVariablesSelectComponents) {
  auto none = ComponentsFromRestoreVariables({{"HOME", "/root"}});
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto some = ComponentsFromRestoreVariables(
      {{"RESTORE_POSTGRES", "true"}, {"RESTORE_NEO4J", "false"}, {"RESTORE_REDIS", "0"}, {"RESTORE_CONFIG", "yes"}});
  ASSERT_TRUE(some.has_value());
  EXPECT_EQ(**some, (std::vector<std::string>{"postgres", "config"}));
  auto bad = ComponentsFromRestoreVariables({{"RESTORE_POSTGRES", "maybe"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("RESTORE_POSTGRES"), std::string::npos);
}

TEST(RestoreRequest, ModesTargetsAndValidation) {
  EXPECT_EQ(*ParseRestoreMode("verify-only"), RestoreMode::kVerifyOnly);
  EXPECT_FALSE(ParseRestoreMode("partial").has_value());
  auto t = ParseTarget("postgres=postgresql://127.0.0.1:5432/summit_dev");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->first, "postgres");
  EXPECT_FALSE(ParseTarget("postgres").has_value());
  EXPECT_FALSE(ParseTarget("oracle=x").has_value());
  EXPECT_EQ(*ParseComponentList("postgres,redis,postgres"), (std::vector<std::string>{"postgres", "redis"}));
  RestoreRequest r{.backup_id = "summit-backup-full-20250120T020000Z", .mode = RestoreMode::kSelective};
  EXPECT_FALSE(ValidateRestoreRequest(r).has_value());
  r.only = {"postgres"};
  EXPECT_TRUE(ValidateRestoreRequest(r).has_value());
  r.env = "qa";
  EXPECT_FALSE(ValidateRestoreRequest(r).has_value());
  EXPECT_FALSE(ValidateRestoreRequest({.backup_id = "latest"}).has_value());
}

}  // namespace
}  // namespace summit::backup
