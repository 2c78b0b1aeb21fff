#include "sources/postgres/catalog.h"

#include <gtest/gtest.h>

#include "sources/postgres/sql_script.h"
#include "sources/postgres/timescale.h"

namespace summit::sources::postgres {
namespace {

TableInfo T(std::string name, std::vector<std::string> cols, std::vector<ForeignKey> fks = {}) {
  TableInfo t;
  t.schema = "public";
  t.name = std::move(name);
  t.columns = std::move(cols);
  t.types.assign(t.columns.size(), "text");
  t.primary_key = {t.columns.front()};
  t.foreign_keys = std::move(fks);
  return t;
}

// The shape of docs/dataset.md, reduced to the columns that matter for filters.
std::vector<TableInfo> Dataset() {
  return {
      T("tenants", {"id", "name"}),
      T("users", {"id", "tenant_id", "email"}, {{"users_tenant_fk", {"tenant_id"}, "public.tenants", {"id"}}}),
      T("investigations", {"id", "tenant_id", "created_by"},
        {{"inv_user_fk", {"created_by"}, "public.users", {"id"}}}),
      T("runs", {"id", "investigation_id", "tenant_id"}, {{"runs_inv_fk", {"investigation_id"}, "public.investigations", {"id"}}}),
      T("tasks", {"id", "run_id", "name"}, {{"tasks_run_fk", {"run_id"}, "public.runs", {"id"}}}),
      T("task_notes", {"id", "task_id"}, {{"notes_task_fk", {"task_id"}, "public.tasks", {"id"}}}),
      T("catalog", {"id", "name"}),
  };
}

TEST(PlanFilter, FiltersDirectlyByColumnAndThroughForeignKeysRecursively) {
  auto plan = PlanFilter(Dataset(), RowFilter{"tenant", "tenant_id", "customer-acme", {{"public.tenants", "id"}}});
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->where.at("public.users"), "\"tenant_id\" = 'customer-acme'");
  EXPECT_EQ(plan->where.at("public.tenants"), "\"id\" = 'customer-acme'");
  EXPECT_EQ(plan->where.at("public.tasks"),
            "\"run_id\" IN (SELECT \"id\" FROM \"public\".\"runs\" WHERE \"tenant_id\" = 'customer-acme')");
  EXPECT_EQ(plan->where.at("public.task_notes"),
            "\"task_id\" IN (SELECT \"id\" FROM \"public\".\"tasks\" WHERE \"run_id\" IN (SELECT \"id\" FROM "
            "\"public\".\"runs\" WHERE \"tenant_id\" = 'customer-acme'))");
  EXPECT_EQ(plan->excluded, std::vector<std::string>{"public.catalog"});
}

TEST(PlanFilter, ProjectKeysTheInvestigationsTableById) {
  auto plan = PlanFilter(Dataset(), RowFilter{"project", "investigation_id", "inv-1", {{"public.investigations", "id"}}});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->where.at("public.investigations"), "\"id\" = 'inv-1'");
  EXPECT_EQ(plan->where.at("public.runs"), "\"investigation_id\" = 'inv-1'");
  EXPECT_TRUE(plan->where.count("public.tasks"));
  EXPECT_FALSE(plan->where.count("public.users"));  // users have no path to a project
}

TEST(PlanFilter, QuotesTheValueSoItCannotInjectSql) {
  auto plan = PlanFilter(Dataset(), RowFilter{"tenant", "tenant_id", "x' OR '1'='1", {}});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->where.at("public.users"), "\"tenant_id\" = 'x'' OR ''1''=''1'");
}

TEST(PlanFilter, EmptyValueUnknownColumnAndMissingKeyColumnAreInvalidInput) {
  EXPECT_EQ(PlanFilter(Dataset(), RowFilter{"tenant", "tenant_id", "", {}}).error().code(), ErrorCode::kInvalidInput);
  auto none = PlanFilter(Dataset(), RowFilter{"tenant", "org_id", "a", {}});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(none.error().message().find("org_id"), std::string::npos);
  auto key = PlanFilter(Dataset(), RowFilter{"tenant", "tenant_id", "a", {{"public.tenants", "slug"}}});
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().message().find("slug"), std::string::npos);
}

TEST(LoadOrder, ParentsComeBeforeChildren) {
  auto order = LoadOrder(Dataset());
  auto pos = [&](const std::string& n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  ASSERT_EQ(order.size(), Dataset().size());
  EXPECT_LT(pos("public.tenants"), pos("public.users"));
  EXPECT_LT(pos("public.users"), pos("public.investigations"));
  EXPECT_LT(pos("public.investigations"), pos("public.runs"));
  EXPECT_LT(pos("public.runs"), pos("public.tasks"));
  EXPECT_LT(pos("public.tasks"), pos("public.task_notes"));
}

TEST(LoadOrder, CyclesAreBrokenNotLooped) {
  std::vector<TableInfo> t = {T("a", {"id", "b_id"}, {{"a_b", {"b_id"}, "public.b", {"id"}}}),
                              T("b", {"id", "a_id"}, {{"b_a", {"a_id"}, "public.a", {"id"}}}),
                              T("c", {"id", "c_id"}, {{"c_c", {"c_id"}, "public.c", {"id"}}})};
  EXPECT_EQ(LoadOrder(t).size(), 3u);
}

TEST(CopyOutSql, OrdersByPrimaryKeyOrByTheWholeRow) {
  TableInfo t = T("events", {"time", "id", "payload"});
  t.primary_key = {"time", "id"};
  EXPECT_EQ(CopyOutSql(t, "\"tenant_id\" = 'a'"),
            "COPY (SELECT \"time\", \"id\", \"payload\" FROM \"public\".\"events\" summit_r WHERE \"tenant_id\" = 'a'"
            " ORDER BY \"time\", \"id\") TO STDOUT");
  t.primary_key.clear();
  EXPECT_EQ(CopyOutSql(t, ""),
            "COPY (SELECT \"time\", \"id\", \"payload\" FROM \"public\".\"events\" summit_r ORDER BY summit_r::text"
            " COLLATE \"C\") TO STDOUT");
}

TEST(TableJson, RoundTrips) {
  TableInfo t = Dataset()[4];
  TableInfo back = TableFromJson(TableToJson(t));
  EXPECT_EQ(back.qualified(), t.qualified());
  EXPECT_EQ(back.columns, t.columns);
  EXPECT_EQ(back.foreign_keys.size(), 1u);
  EXPECT_EQ(back.foreign_keys[0].parent, "public.runs");
}

TEST(SqlScript, StripsRestrictLinesAndRejectsOtherMetaCommands) {
  auto s = StripPsqlMetaCommands("\\restrict abc\nSET x = 1;\n\\unrestrict abc\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "SET x = 1;\n");
  auto body = StripPsqlMetaCommands("CREATE FUNCTION f() RETURNS text AS $fn$\n\\x inside body\n$fn$ LANGUAGE sql;\n");
  ASSERT_TRUE(body);
  EXPECT_NE(body->find("\\x inside body"), std::string::npos);
  auto bad = StripPsqlMetaCommands("\\i /etc/passwd\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kUnsupported);
}

TEST(SqlScript, SplitsPgDumpTocEntriesAndFindsForeignKeyTargets) {
  std::string script =
      "SET a = 1;\n\n--\n-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: pg\n--\n\n"
      "ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);\n\n"
      "--\n-- Name: users users_t_fk; Type: FK CONSTRAINT; Schema: public; Owner: pg\n--\n\n"
      "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_t_fk FOREIGN KEY (tenant_id) REFERENCES public.\"Tenants\"(id);\n";
  auto entries = SplitDumpScript(script);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].type, "");
  EXPECT_EQ(entries[1].type, "CONSTRAINT");
  EXPECT_EQ(entries[2].type, "FK CONSTRAINT");
  EXPECT_EQ(entries[2].name, "users users_t_fk");
  EXPECT_EQ(entries[2].references, "public.Tenants");
  std::string joined;
  for (const auto& e : entries) joined += e.sql;
  EXPECT_EQ(joined, script);
}

TEST(SqlScript, NamesTheTableOfEachPostDataEntry) {
  std::string script =
      "SET a = 1;\n\n--\n-- Name: events_time_idx; Type: INDEX; Schema: public; Owner: pg\n--\n\n"
      "CREATE INDEX events_time_idx ON public.events USING btree (\"time\");\n\n"
      "--\n-- Name: p_idx; Type: INDEX; Schema: public; Owner: pg\n--\n\n"
      "CREATE UNIQUE INDEX p_idx ON ONLY public.\"Part Table\" USING btree (id);\n\n"
      "--\n-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: pg\n--\n\n"
      "ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_pkey PRIMARY KEY (id);\n\n"
      "--\n-- Name: entities entities_touch_trg; Type: TRIGGER; Schema: public; Owner: pg\n--\n\n"
      "CREATE TRIGGER entities_touch_trg BEFORE UPDATE ON public.entities FOR EACH ROW EXECUTE FUNCTION "
      "public.entities_touch();\n";
  auto e = SplitDumpScript(script);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(EntryTable(e[1]), "public.events");
  EXPECT_EQ(EntryTable(e[2]), "public.Part Table");
  EXPECT_EQ(EntryTable(e[3]), "public.users");
  EXPECT_EQ(EntryTable(e[4]), "public.entities");
  EXPECT_EQ(EntryTable(e[0]), "");
}

TEST(SqlScript, SplitsAForeignKeyIntoNotValidAndValidate) {
  DumpEntry fk;
  fk.type = "FK CONSTRAINT";
  fk.sql = "--\n-- Name: events events_e_fk; Type: FK CONSTRAINT; Schema: public; Owner: pg\n--\n\n"
           "ALTER TABLE ONLY public.\"Events\"\n    ADD CONSTRAINT \"e fk\" FOREIGN KEY (entity_id) REFERENCES "
           "public.entities(id) ON DELETE CASCADE;\n\n\n";
  auto s = SplitForeignKeyEntry(fk);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->add_not_valid,
            "ALTER TABLE ONLY public.\"Events\"\n    ADD CONSTRAINT \"e fk\" FOREIGN KEY (entity_id) REFERENCES "
            "public.entities(id) ON DELETE CASCADE NOT VALID;");
  EXPECT_EQ(s->validate, "ALTER TABLE public.\"Events\" VALIDATE CONSTRAINT \"e fk\";");
  EXPECT_EQ(EntryTable(fk), "public.Events");

  DumpEntry already = fk;
  already.sql = "ALTER TABLE ONLY public.a\n    ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES public.b(id) NOT VALID;\n";
  EXPECT_FALSE(SplitForeignKeyEntry(already).has_value());
  DumpEntry two = fk;
  two.sql = "ALTER TABLE ONLY public.a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES public.b(id);\nSELECT 1;\n";
  EXPECT_FALSE(SplitForeignKeyEntry(two).has_value());
  DumpEntry check = fk;
  check.type = "CONSTRAINT";
  EXPECT_FALSE(SplitForeignKeyEntry(check).has_value());
}

TEST(Timescale, CreateHypertableSqlForTimeAndIntegerIntervals) {
  EXPECT_EQ(CreateHypertableSql({"public", "events", "time", "7 days", false}),
            "SELECT public.create_hypertable('\"public\".\"events\"', 'time', chunk_time_interval => INTERVAL '7 days',"
            " if_not_exists => TRUE, migrate_data => TRUE)");
  EXPECT_EQ(CreateHypertableSql({"public", "m", "ts", "1000", true}),
            "SELECT public.create_hypertable('\"public\".\"m\"', 'ts', chunk_time_interval => 1000, if_not_exists => TRUE,"
            " migrate_data => TRUE)");
  auto back = HypertablesFromJson(HypertablesToJson({{"public", "events", "time", "7 days", false}}));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].time_column, "time");
}

}  // namespace
}  // namespace summit::sources::postgres
