#include <gtest/gtest.h>

#include "storage/memory/memory_backend.h"
#include "storage/wrappers/dry_run.h"
#include "storage/wrappers/metrics.h"
#include "storage/wrappers/read_only.h"
#include "testing/backend_conformance.h"

namespace summit::storage {
namespace {

TEST(ReadOnlyBackend, RefusesPutAndDeleteWithPermissionAndLeavesDataUnchanged) {
  auto mem = std::make_unique<MemoryBackend>();
  MemoryBackend* m = mem.get();
  ASSERT_TRUE(m->Put("a", AsBytes("old")));
  ReadOnlyBackend ro(std::move(mem));
  auto put = ro.Put("a", AsBytes("new"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code(), ErrorCode::kPermission);
  EXPECT_NE(put.error().message().find("a"), std::string::npos);
  EXPECT_FALSE(put.error().hint().empty());
  auto del = ro.Delete("a");
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code(), ErrorCode::kPermission);
  auto got = ro.Get("a");
  ASSERT_TRUE(got);
  EXPECT_EQ(AsString(*got), "old");
  EXPECT_TRUE(ro.Stat("a"));
  EXPECT_EQ(ro.List("")->size(), 1u);
  EXPECT_NE(ro.Describe().find("read-only"), std::string::npos);
}

TEST(DryRunBackend, RecordsAndSkipsMutationsWithTheirSizes) {
  auto mem = std::make_unique<MemoryBackend>();
  MemoryBackend* m = mem.get();
  ASSERT_TRUE(m->Put("old/pack", Bytes(1000, 7)));
  DryRunBackend dry(std::move(mem));
  ASSERT_TRUE(dry.Put("new/pack", Bytes(300, 1)));
  ASSERT_TRUE(dry.Delete("old/pack"));
  ASSERT_TRUE(dry.Delete("never/existed"));
  // Nothing changed underneath.
  EXPECT_EQ(m->ObjectCount(), 1u);
  EXPECT_TRUE(m->Stat("old/pack"));
  EXPECT_FALSE(dry.Stat("new/pack"));
  auto skipped = dry.skipped();
  ASSERT_EQ(skipped.size(), 3u);
  EXPECT_EQ(skipped[0].kind, SkippedMutation::kPut);
  EXPECT_EQ(skipped[0].key, "new/pack");
  EXPECT_EQ(skipped[1].kind, SkippedMutation::kDelete);
  EXPECT_EQ(skipped[1].bytes, 1000u);
  EXPECT_EQ(skipped[2].bytes, 0u);
  EXPECT_EQ(dry.bytes_would_write(), 300u);
  EXPECT_EQ(dry.bytes_would_delete(), 1000u);
}

TEST(MetricsBackend, CountsCallsBytesAndErrorsPerOperation) {
  MetricsBackend mb(std::make_unique<MemoryBackend>());
  ASSERT_TRUE(mb.Put("a", Bytes(10, 1)));
  ASSERT_TRUE(mb.Put("b", Bytes(5, 1)));
  ASSERT_TRUE(mb.Get("a"));
  ASSERT_TRUE(mb.Get("a", 2, 3));
  EXPECT_FALSE(mb.Get("missing"));
  EXPECT_TRUE(mb.Stat("b"));
  EXPECT_TRUE(mb.List(""));
  EXPECT_TRUE(mb.Delete("a"));
  StorageStats s = mb.Snapshot();
  EXPECT_EQ(s.of(StorageOp::kPut).calls, 2u);
  EXPECT_EQ(s.of(StorageOp::kPut).bytes, 15u);
  EXPECT_EQ(s.of(StorageOp::kGet).calls, 3u);
  EXPECT_EQ(s.of(StorageOp::kGet).bytes, 13u);
  EXPECT_EQ(s.of(StorageOp::kGet).errors, 1u);
  EXPECT_EQ(s.of(StorageOp::kGet).not_found, 1u);
  EXPECT_EQ(s.of(StorageOp::kStat).calls, 1u);
  EXPECT_EQ(s.of(StorageOp::kList).calls, 1u);
  EXPECT_EQ(s.of(StorageOp::kDelete).calls, 1u);
  EXPECT_EQ(s.of(StorageOp::kDelete).errors, 0u);
  EXPECT_EQ(StorageOpName(StorageOp::kList), "list");
}

TEST(MetricsBackend, PassesBackendConformance) {
  summit::testing::RunBackendConformance(
      [] { return std::make_unique<MetricsBackend>(std::make_unique<MemoryBackend>()); });
}

}  // namespace
}  // namespace summit::storage
