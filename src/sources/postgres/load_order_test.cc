#include "sources/postgres/load_order.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace summit::sources::postgres {
namespace {

namespace fs = std::filesystem;

DumpEntry Index(const std::string& name, const std::string& sql) {
  return DumpEntry{name, "INDEX", "public", "--\n-- Name: " + name + "; Type: INDEX; Schema: public; Owner: -\n--\n\n" + sql + "\n"};
}

TEST(ParseIndexEntry, ReadsPlainKeysWithDirectionsAndNulls) {
  auto d = ParseIndexEntry(Index("events_tenant_time_idx",
                                 "CREATE INDEX events_tenant_time_idx ON public.events USING btree (tenant_id, \"time\" DESC);"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->name, "events_tenant_time_idx");
  EXPECT_EQ(d->table, "public.events");
  EXPECT_EQ(d->method, "btree");
  EXPECT_FALSE(d->partial);
  ASSERT_EQ(d->keys.size(), 2u);
  EXPECT_EQ(d->keys[0].column, "tenant_id");
  EXPECT_FALSE(d->keys[0].desc);
  EXPECT_FALSE(d->keys[0].nulls_first);
  EXPECT_EQ(d->keys[1].column, "time");
  EXPECT_TRUE(d->keys[1].desc);
  EXPECT_TRUE(d->keys[1].nulls_first) << "DESC sorts NULLs first unless told otherwise";

  d = ParseIndexEntry(Index("u", "CREATE UNIQUE INDEX u ON ONLY public.\"Odd Table\" USING btree (\"a,b\" NULLS FIRST, c DESC NULLS LAST) "
                                 "INCLUDE (d) WHERE (c > 0);"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->table, "public.Odd Table");
  EXPECT_TRUE(d->partial);
  ASSERT_EQ(d->keys.size(), 2u);
  EXPECT_EQ(d->keys[0].column, "a,b");
  EXPECT_TRUE(d->keys[0].nulls_first);
  EXPECT_TRUE(d->keys[1].desc);
  EXPECT_FALSE(d->keys[1].nulls_first);
}

TEST(ParseIndexEntry, KeysThatAreNotPlainColumnsLeaveTheKeyListEmpty) {
  for (const char* list : {"(lower(name))", "(name COLLATE \"C\")", "(name text_pattern_ops)", "(a, (b + 1))", "(a, b.c)"}) {
    auto d = ParseIndexEntry(Index("i", std::string("CREATE INDEX i ON public.t USING btree ") + list + ";"));
    ASSERT_TRUE(d) << list;
    EXPECT_TRUE(d->keys.empty()) << list;
  }
  auto gin = ParseIndexEntry(Index("g", "CREATE INDEX g ON public.entities USING gin (attributes);"));
  ASSERT_TRUE(gin);
  EXPECT_EQ(gin->method, "gin");
  EXPECT_FALSE(ParseIndexEntry(DumpEntry{"t", "TABLE", "public", "CREATE TABLE t (a int);"}));
  EXPECT_FALSE(ParseIndexEntry(Index("x", "CREATE INDEX x ON public.t USING btree (a")));
}

TableInfo Table(std::vector<std::string> columns, std::vector<std::string> pk) {
  TableInfo t;
  t.schema = "public";
  t.name = "t";
  t.columns = std::move(columns);
  t.types.assign(t.columns.size(), "text");
  t.primary_key = std::move(pk);
  return t;
}

std::optional<LoadOrderPlan> Choose(const TableInfo& t, const std::vector<DumpEntry>& entries) {
  std::vector<const DumpEntry*> p;
  for (const auto& e : entries) p.push_back(&e);
  return ChooseLoadOrder(t, p);
}

TEST(ChooseLoadOrder, GroupsByTheLeadingColumnOfAnIndexWhoseOtherKeysFollowThePrimaryKey) {
  TableInfo events = Table({"time", "id", "tenant_id", "payload"}, {"time", "id"});
  auto asc = Choose(events, {Index("a", "CREATE INDEX a ON public.t USING btree (tenant_id, \"time\");")});
  ASSERT_TRUE(asc);
  EXPECT_EQ(asc->index, "a");
  EXPECT_EQ(asc->column, 2u);
  EXPECT_FALSE(asc->reverse_rows);
  EXPECT_FALSE(asc->column_desc);

  auto desc = Choose(events, {Index("d", "CREATE INDEX d ON public.t USING btree (tenant_id, \"time\" DESC, id DESC);")});
  ASSERT_TRUE(desc);
  EXPECT_TRUE(desc->reverse_rows) << "rows come in primary-key order: reversed, they follow time DESC, id DESC";

  auto lead_desc = Choose(events, {Index("l", "CREATE INDEX l ON public.t USING btree (tenant_id DESC NULLS LAST);")});
  ASSERT_TRUE(lead_desc);
  EXPECT_TRUE(lead_desc->column_desc);
  EXPECT_FALSE(lead_desc->nulls_first);
  EXPECT_FALSE(lead_desc->reverse_rows);

  // More keys win, then the first name.
  auto both = Choose(events, {Index("z", "CREATE INDEX z ON public.t USING btree (tenant_id, \"time\");"),
                              Index("b", "CREATE INDEX b ON public.t USING btree (payload);"),
                              Index("c", "CREATE INDEX c ON public.t USING btree (payload, \"time\");")});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->index, "c");
}

TEST(ChooseLoadOrder, LeavesTablesInStreamOrderWhenNoIndexFitsOrTheTableCaresAboutPhysicalOrder) {
  TableInfo audit = Table({"id", "tenant_id", "created_at"}, {"id"});
  const DumpEntry tenant_created = Index("a", "CREATE INDEX a ON public.t USING btree (tenant_id, created_at);");
  EXPECT_FALSE(Choose(audit, {tenant_created})) << "created_at is not the primary key: the groups would not be sorted";
  EXPECT_FALSE(Choose(audit, {Index("p", "CREATE INDEX p ON public.t USING btree (id, tenant_id);")}))
      << "led by the primary key's column: stream order serves it already";
  EXPECT_FALSE(Choose(Table({"time", "id", "tenant_id"}, {"time", "id"}),
                      {Index("m", "CREATE INDEX m ON public.t USING btree (tenant_id, \"time\" DESC, id);")}))
      << "mixed directions";
  const DumpEntry tenant = Index("t", "CREATE INDEX t ON public.t USING btree (tenant_id);");
  ASSERT_TRUE(Choose(audit, {tenant}));
  EXPECT_FALSE(Choose(audit, {tenant, Index("b", "CREATE INDEX b ON public.t USING brin (created_at);")}))
      << "a BRIN index relies on physical order";
  DumpEntry clustered = tenant;
  clustered.sql += "\nALTER TABLE public.t CLUSTER ON t;\n";
  EXPECT_FALSE(Choose(audit, {clustered})) << "CLUSTER ON: the owner chose the physical order";
  EXPECT_FALSE(Choose(Table({"id", "tenant_id"}, {}), {tenant})) << "no primary key: no known stream order";
  EXPECT_FALSE(Choose(audit, {Index("w", "CREATE INDEX w ON public.t USING btree (tenant_id) WHERE (id > 0);")}));
  EXPECT_FALSE(Choose(audit, {Index("g", "CREATE INDEX g ON public.t USING gin (tenant_id);")}));
  EXPECT_FALSE(Choose(audit, {Index("e", "CREATE INDEX e ON public.t USING btree (lower(tenant_id));")}));
  EXPECT_FALSE(Choose(audit, {Index("n", "CREATE INDEX n ON public.t USING btree (no_such_column);")}));
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/summit-stage-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string EmitAll(RowStager& s, const std::vector<size_t>& order, bool reverse) {
  std::string out;
  auto st = s.Emit(order, reverse, [&](std::string_view d) {
    out.append(d);
    return Ok();
  });
  EXPECT_TRUE(st) << st.error().ToString();
  return out;
}

// Rows "k:n;" for n = 0..count-1, keys cycling through `keys`.
void Fill(RowStager& s, const std::vector<std::string>& keys, int count) {
  for (int n = 0; n < count; ++n) {
    const std::string& k = keys[static_cast<size_t>(n) % keys.size()];
    auto g = s.Group(k);
    ASSERT_TRUE(g);
    ASSERT_TRUE(s.Add(*g, k + ":" + std::to_string(n) + ";"));
  }
}

std::string Expected(const std::vector<std::string>& keys, int count, const std::vector<std::string>& order, bool reverse) {
  std::string out;
  for (const auto& k : order) {
    std::vector<std::string> rows;
    for (int n = 0; n < count; ++n)
      if (keys[static_cast<size_t>(n) % keys.size()] == k) rows.push_back(k + ":" + std::to_string(n) + ";");
    if (reverse) std::reverse(rows.begin(), rows.end());
    for (const auto& r : rows) out += r;
  }
  return out;
}

TEST(RowStager, EmitsEachGroupInTheGivenOrderWithItsRowsForwardOrReversed) {
  const std::vector<std::string> keys = {"b", "a", "c"};
  for (bool reverse : {false, true}) {
    RowStager s(RowStager::Options{});
    Fill(s, keys, 1000);
    EXPECT_EQ(s.groups(), 3u);
    EXPECT_EQ(s.key(0), "b");
    EXPECT_EQ(s.rows(), 1000u);
    EXPECT_EQ(s.spilled_bytes(), 0u);
    // Groups by first appearance: b=0, a=1, c=2; emit a, b, c.
    EXPECT_EQ(EmitAll(s, {1, 0, 2}, reverse), Expected(keys, 1000, {"a", "b", "c"}, reverse));
    EXPECT_EQ(s.groups(), 0u) << "emptied";
  }
}

TEST(RowStager, RowsBeyondTheMemoryBudgetGoToAnUnlinkedFileAndComeBackExactly) {
  TempDir dir;
  const std::vector<std::string> keys = {"x", "yy", "zzz", "w"};
  for (bool reverse : {false, true}) {
    RowStager::Options o;
    o.memory_bytes = 0;
    o.block_bytes = 64;
    o.spill_dir = dir.path();
    RowStager s(o);
    Fill(s, keys, 5000);
    EXPECT_GT(s.spilled_bytes(), s.bytes() / 2);
    EXPECT_TRUE(fs::is_empty(dir.path())) << "the spill file has no name";
    EXPECT_EQ(EmitAll(s, {3, 2, 1, 0}, reverse), Expected(keys, 5000, {"w", "zzz", "yy", "x"}, reverse));
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(RowStager, ARowLargerThanABlockIsKeptWhole) {
  RowStager::Options o;
  o.block_bytes = 8;
  o.memory_bytes = 0;
  RowStager s(o);
  const std::string big(100, 'q');
  auto g = s.Group("k");
  ASSERT_TRUE(g);
  ASSERT_TRUE(s.Add(*g, "a;"));
  ASSERT_TRUE(s.Add(*g, big));
  ASSERT_TRUE(s.Add(*g, "b;"));
  EXPECT_EQ(EmitAll(s, {0}, true), "b;" + big + "a;");
}

TEST(RowStager, RefusesMoreGroupsThanItsLimitAndAnOrderThatIsNotAPermutation) {
  RowStager::Options o;
  o.max_groups = 2;
  RowStager s(o);
  ASSERT_TRUE(s.Group("a"));
  ASSERT_TRUE(s.Group("b"));
  EXPECT_EQ(s.Group("a"), std::optional<size_t>(0));
  EXPECT_FALSE(s.Group("c"));
  ASSERT_TRUE(s.Add(0, "a1"));
  auto none = [](std::string_view) { return Ok(); };
  EXPECT_EQ(s.Emit({0}, false, none).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(s.Emit({0, 0}, false, none).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(s.Emit({0, 2}, false, none).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(EmitAll(s, {1, 0}, false), "a1");
}

TEST(RowStager, AnUnwritableSpillDirectoryFailsTheAddAndKeepsEveryRowAddedBefore) {
  RowStager::Options o;
  o.memory_bytes = 0;
  o.block_bytes = 4;
  o.spill_dir = "/nonexistent/summit-stage";
  RowStager s(o);
  auto g = s.Group("k");
  ASSERT_TRUE(g);
  ASSERT_TRUE(s.Add(*g, "r1;"));
  Status st = Ok();
  int added = 1;
  for (int i = 2; i < 10 && st; ++i) {
    st = s.Add(*g, "r" + std::to_string(i) + ";");
    if (st) ++added;
  }
  ASSERT_FALSE(st) << "the spill file cannot be created";
  EXPECT_NE(st.error().message().find("/nonexistent/summit-stage"), std::string::npos) << st.error().message();
  std::string expected;
  for (int i = 1; i <= added; ++i) expected += "r" + std::to_string(i) + ";";
  EXPECT_EQ(EmitAll(s, {0}, false), expected);
}

TEST(RowStager, HoldsATableBackOnlyWhenItsFileSystemHasRoomForItAndAMargin) {
  TempDir dir;
  RowStager::Options o;
  o.spill_dir = dir.path();
  EXPECT_EQ(RowStager::SpillDir(o), dir.path());
  EXPECT_TRUE(RowStager::HasRoomFor(1 << 20, o));
  EXPECT_FALSE(RowStager::HasRoomFor(uint64_t{1} << 62, o)) << "4 EiB: no file system here has that";
  o.spill_dir = "/nonexistent/summit-stage";
  EXPECT_TRUE(RowStager::HasRoomFor(uint64_t{1} << 62, o)) << "cannot be asked: the spill itself reports";
  o.spill_dir.clear();
  const char* saved = std::getenv("TMPDIR");
  std::string keep = saved != nullptr ? saved : "";
  setenv("TMPDIR", dir.path().c_str(), 1);
  EXPECT_EQ(RowStager::SpillDir(o), dir.path());
  unsetenv("TMPDIR");
  EXPECT_EQ(RowStager::SpillDir(o), "/tmp");
  if (saved != nullptr) setenv("TMPDIR", keep.c_str(), 1);
}

}  // namespace
}  // namespace summit::sources::postgres
