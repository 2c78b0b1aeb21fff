#include "sources/postgres/incremental.h"

#include <gtest/gtest.h>

#include <map>

namespace summit::sources::postgres {
namespace {

std::unique_ptr<ByteSource> Text(std::string s) { return std::make_unique<StringSource>(std::move(s)); }

// Reads a merged stream in small pieces, so that rows straddle Read calls.
Result<std::string> Drain(ByteSource& src) {
  std::string out;
  uint8_t buf[7];
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, src.Read(std::span<uint8_t>(buf, sizeof buf)));
    if (n == 0) return out;
    out.append(reinterpret_cast<const char*>(buf), n);
  }
}

Result<std::string> Merge(std::vector<size_t> key, std::string keys, std::string delta, std::string base) {
  SUMMIT_ASSIGN_OR_RETURN(auto src, MergeTableStream("snapshot S, table public.t", std::move(key), Text(std::move(keys)),
                                                     Text(std::move(delta)), Text(std::move(base))));
  return Drain(*src);
}

TEST(IncrementalMerge, DeletedUpdatedInsertedAndReinsertedKeys) {
  // Base: 1..5. Then: 2 deleted, 3 updated, 5 deleted and inserted again, 6 inserted.
  std::string base = "1\ta\n2\tb\n3\tc\n4\td\n5\te\n";
  std::string delta = "3\tC\n5\tE again\n6\tf\n";
  std::string keys = "1\n3\n4\n5\n6\n";
  auto merged = Merge({0}, keys, delta, base);
  ASSERT_TRUE(merged.has_value()) << merged.error().message();
  EXPECT_EQ(*merged, "1\ta\n3\tC\n4\td\n5\tE again\n6\tf\n");
}

TEST(IncrementalMerge, KeyNeedNotBeTheFirstColumnAndMayHaveSeveralColumns) {
  // Columns (payload, tenant, id); key (tenant, id).
  std::string base = "p1\tacme\t1\np2\tacme\t2\np3\tzeta\t1\n";
  std::string delta = "P2\tacme\t2\np4\tzeta\t2\n";
  std::string keys = "acme\t1\nacme\t2\nzeta\t2\n";  // (zeta, 1) deleted
  auto merged = Merge({1, 2}, keys, delta, base);
  ASSERT_TRUE(merged.has_value()) << merged.error().message();
  EXPECT_EQ(*merged, "p1\tacme\t1\nP2\tacme\t2\np4\tzeta\t2\n");
}

TEST(IncrementalMerge, KeysWithCopyEscapesCompareAsText) {
  // Key fields holding an escaped tab, newline and backslash: one line and one field each.
  std::string base = "a\\tb\tx\na\\nb\ty\na\\\\b\tz\n";
  std::string delta = "a\\nb\tY\n";
  std::string keys = "a\\tb\na\\nb\na\\\\b\n";
  auto merged = Merge({0}, keys, delta, base);
  ASSERT_TRUE(merged.has_value()) << merged.error().message();
  EXPECT_EQ(*merged, "a\\tb\tx\na\\nb\tY\na\\\\b\tz\n");
}

TEST(IncrementalMerge, EmptyDeltaReproducesTheBaseAndEmptyKeysGiveNothing) {
  std::string base = "1\ta\n2\tb\n";
  EXPECT_EQ(Merge({0}, "1\n2\n", "", base).value(), base);
  EXPECT_EQ(Merge({0}, "", "", base).value(), "");
}

TEST(IncrementalMerge, AKeyInNeitherDeltaNorBaseIsAnErrorNamingSnapshotTableAndKey) {
  auto merged = Merge({0}, "1\n7\n", "", "1\ta\n2\tb\n");
  ASSERT_FALSE(merged.has_value());
  EXPECT_EQ(merged.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(merged.error().message().find("snapshot S, table public.t"), std::string::npos) << merged.error().message();
  EXPECT_NE(merged.error().message().find("key (7)"), std::string::npos) << merged.error().message();
}

TEST(IncrementalMerge, BaseOrderDifferentFromKeyOrderIsAnErrorNotSilentLoss) {
  // Walking the base forward past key 2 while looking for key 1 must fail, not skip rows.
  auto merged = Merge({0}, "2\n1\n", "", "1\ta\n2\tb\n");
  ASSERT_FALSE(merged.has_value());
  EXPECT_EQ(merged.error().code(), ErrorCode::kCorruption);
}

TEST(IncrementalMerge, ADeltaRowWhoseKeyIsNotListedIsAnError) {
  auto merged = Merge({0}, "1\n", "9\tz\n", "1\ta\n");
  ASSERT_FALSE(merged.has_value());
  EXPECT_NE(merged.error().message().find("not in the key list"), std::string::npos) << merged.error().message();
}

// A capture held in memory, for MaterializeCapture.
class MemoryCapture final : public CaptureSource {
 public:
  MemoryCapture(std::map<std::string, std::string> streams, nlohmann::json attributes)
      : streams_(std::move(streams)), attributes_(std::move(attributes)) {}
  std::vector<std::string> ListStreams() const override {
    std::vector<std::string> out;
    for (const auto& [name, data] : streams_) out.push_back(name);
    return out;
  }
  Result<std::unique_ptr<ByteSource>> OpenStream(std::string_view name) override {
    auto it = streams_.find(std::string(name));
    if (it == streams_.end()) return Fail(ErrorCode::kNotFound, "no stream " + std::string(name));
    return Text(it->second);
  }
  Result<uint64_t> StreamSize(std::string_view name) const override {
    auto it = streams_.find(std::string(name));
    if (it == streams_.end()) return Fail(ErrorCode::kNotFound, "no stream " + std::string(name));
    return it->second.size();
  }
  nlohmann::json Attributes() const override { return attributes_; }

 private:
  std::map<std::string, std::string> streams_;
  nlohmann::json attributes_;
};

nlohmann::json TableEntry(const std::string& mode, const std::string& base = "") {
  nlohmann::json t = {{"table", "public.t"},      {"stream", "data/public.t"}, {"columns", {"id", "v"}},
                      {"types", {"int", "text"}}, {"primary_key", {"id"}},     {"rows", 0},
                      {"mode", mode}};
  if (mode == "delta") t["base"] = base, t["base_stream"] = "data/public.t", t["delta_rows"] = 1;
  return t;
}

class ChainTest : public ::testing::Test {
 protected:
  void Add(const std::string& id, std::map<std::string, std::string> streams, nlohmann::json table) {
    stored_[id] = {std::move(streams), {{"tables", {std::move(table)}}}};
  }
  Result<std::unique_ptr<CaptureSource>> Open(const std::string& id) {
    auto it = stored_.find(id);
    if (it == stored_.end()) return Fail(ErrorCode::kNotFound, "snapshot " + id + " does not exist");
    return MaterializeCapture(std::make_unique<MemoryCapture>(it->second.first, it->second.second), id,
                              [this](const std::string& base) { return Open(base); });
  }
  std::map<std::string, std::pair<std::map<std::string, std::string>, nlohmann::json>> stored_;
};

TEST_F(ChainTest, AChainOfThreeMaterializesTheNewestStateAndLooksFull) {
  Add("s1", {{"data/public.t", "1\ta\n2\tb\n3\tc\n"}, {"schema.pre.sql", "CREATE"}}, TableEntry("full"));
  Add("s2", {{"data/public.t.delta", "2\tB\n4\td\n"}, {"data/public.t.keys", "1\n2\n3\n4\n"}}, TableEntry("delta", "s1"));
  Add("s3", {{"data/public.t.delta", "1\tA\n5\te\n"}, {"data/public.t.keys", "1\n2\n4\n5\n"}}, TableEntry("delta", "s2"));
  auto cap = Open("s3");
  ASSERT_TRUE(cap.has_value()) << cap.error().message();
  EXPECT_EQ((*cap)->ListStreams(), std::vector<std::string>{"data/public.t"});
  auto tables = (*cap)->Attributes()["tables"];
  EXPECT_FALSE(tables[0].contains("base"));
  EXPECT_FALSE(tables[0].contains("mode"));
  auto src = (*cap)->OpenStream("data/public.t");
  ASSERT_TRUE(src.has_value()) << src.error().message();
  EXPECT_EQ(Drain(**src).value(), "1\tA\n2\tB\n4\td\n5\te\n");
  auto middle = Open("s2");
  ASSERT_TRUE(middle.has_value());
  EXPECT_EQ(Drain(**(*middle)->OpenStream("data/public.t")).value(), "1\ta\n2\tB\n3\tc\n4\td\n");
}

TEST_F(ChainTest, AMissingBaseFailsAtOpenNamingBothSnapshots) {
  Add("s2", {{"data/public.t.delta", ""}, {"data/public.t.keys", "1\n"}}, TableEntry("delta", "s1"));
  auto cap = Open("s2");
  ASSERT_FALSE(cap.has_value());
  EXPECT_EQ(cap.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(cap.error().message().find("s2"), std::string::npos) << cap.error().message();
  EXPECT_NE(cap.error().message().find("s1"), std::string::npos) << cap.error().message();
}

TEST_F(ChainTest, AFullCaptureIsReturnedAsItIs) {
  Add("s1", {{"data/public.t", "1\ta\n"}}, TableEntry("full"));
  auto cap = Open("s1");
  ASSERT_TRUE(cap.has_value());
  EXPECT_EQ(Drain(**(*cap)->OpenStream("data/public.t")).value(), "1\ta\n");
  EXPECT_EQ(DeltaBases(stored_["s1"].second), std::vector<std::string>{});
}

}  // namespace
}  // namespace summit::sources::postgres
