#include "backup/backup_id.h"

#include <gtest/gtest.h>

namespace summit::backup {
namespace {

TEST(BackupId, FormatsAsTheSpecShowsAndParsesBack) {
  TimePoint t;
  ASSERT_TRUE(ParseUtc("2025-01-20T02:00:00Z", &t));
  EXPECT_EQ(FormatBackupId({"full", "", t}), "summit-backup-full-20250120T020000Z");
  EXPECT_EQ(FormatBackupId({"disaster_recovery", "", t}), "summit-backup-disaster_recovery-20250120T020000Z");
  std::string tenant = FormatBackupId({"tenant", "customer-acme", t});
  EXPECT_EQ(tenant, "summit-backup-tenant-customer-acme-20250120T020000Z");
  auto parsed = ParseBackupId(tenant);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->set, "tenant");
  EXPECT_EQ(parsed->qualifier, "customer-acme");
  EXPECT_EQ(parsed->time, t);
  auto project = ParseBackupId("summit-backup-project-investigation-2025-001-20250120T020000Z");
  ASSERT_TRUE(project.has_value());
  EXPECT_EQ(project->qualifier, "investigation-2025-001");
}

TEST(BackupId, RejectsWhatIsNotAnId) {
  EXPECT_FALSE(ParseBackupId("backup-full-20250120T020000Z").has_value());
  EXPECT_FALSE(ParseBackupId("summit-backup-full-yesterday").has_value());
  EXPECT_FALSE(ParseBackupId("summit-backup-20250120T020000Z").has_value());
  EXPECT_FALSE(ValidateQualifier("", "TENANT_ID").has_value());
  EXPECT_FALSE(ValidateQualifier("acme/../../etc", "TENANT_ID").has_value());
  EXPECT_EQ(ValidateQualifier("a b", "TENANT_ID").error().message(), "TENANT_ID 'a b' contains ' '");
  EXPECT_TRUE(ValidateQualifier("customer-acme", "TENANT_ID").has_value());
}

}  // namespace
}  // namespace summit::backup
