#include "transform/reducer.h"
#include "transform/sanitizer.h"

#include <gtest/gtest.h>

#include <set>

namespace summit::transform {
namespace {

TimePoint At(const char* text) {
  TimePoint t;
  EXPECT_TRUE(ParsePgTimestamp(text, &t)) << text;
  return t;
}

ReductionRules Rules() {
  ReductionRules r;
  r.critical = {"tenants", "users"};
  r.windows["audit_logs"] = {"created_at", 30};
  r.windows["events"] = {"time", 30};
  return r;
}

// tenants <- users; tenants <- investigations <- runs <- tasks; events (window), analytics_traces.
Schema Summit() {
  Schema s;
  s.tables["tenants"] = {{"id", "name"}, {"id"}, {}};
  s.tables["users"] = {{"id", "tenant_id", "email"}, {"id"}, {{"tenant_id", "tenants", "id"}}};
  s.tables["investigations"] = {{"id", "tenant_id", "created_by"}, {"id"}, {{"tenant_id", "tenants", "id"}, {"created_by", "users", "id"}}};
  s.tables["runs"] = {{"id", "investigation_id"}, {"id"}, {{"investigation_id", "investigations", "id"}}};
  s.tables["tasks"] = {{"id", "run_id", "parent_task"}, {"id"}, {{"run_id", "runs", "id"}, {"parent_task", "tasks", "id"}}};
  s.tables["audit_logs"] = {{"id", "user_id", "created_at"}, {"id"}, {{"user_id", "users", "id"}}};
  s.tables["analytics_traces"] = {{"time", "trace_id"}, {"time", "trace_id"}, {}};
  return s;
}

PgTable T(const Schema& s, const std::string& name) { return PgTable{"public", name, s.tables.at(name).columns, {}}; }

bool Keep(const Reducer& r, const PgTable& t, PgRow row) {
  auto k = r.Apply(t, row);
  EXPECT_TRUE(k.has_value()) << k.error().ToString();
  return k.has_value() && *k;
}

TEST(Reducer, TableOrderPutsParentsFirst) {
  auto r = Reducer::Create(Rules(), 0.1, Summit(), At("2025-01-20 00:00:00+00"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  const auto& order = (*r)->TableOrder();
  auto pos = [&](const char* t) { return std::find(order.begin(), order.end(), t) - order.begin(); };
  EXPECT_EQ(order.size(), 7u);
  EXPECT_LT(pos("tenants"), pos("users"));
  EXPECT_LT(pos("users"), pos("investigations"));
  EXPECT_LT(pos("investigations"), pos("runs"));
  EXPECT_LT(pos("runs"), pos("tasks"));
  EXPECT_LT(pos("users"), pos("audit_logs"));
}

TEST(Reducer, AsksForParentsFirstAndSoDoesAChainHoldingIt) {
  auto r = Reducer::Create(Rules(), 0.1, Summit(), At("2025-01-20 00:00:00+00"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE((*r)->NeedsParentsFirst());
  EXPECT_TRUE(ChainedPgTransform({r->get()}).NeedsParentsFirst());
  EXPECT_FALSE(ChainedPgTransform({}).NeedsParentsFirst());
}

TEST(Reducer, SamplesAboutTheFactorDeterministically) {
  Schema s = Summit();
  std::set<int> first;
  for (int pass = 0; pass < 2; ++pass) {
    auto r = Reducer::Create(Rules(), 0.1, s, At("2025-01-20 00:00:00+00"));
    ASSERT_TRUE(r.has_value());
    std::set<int> kept;
    for (int i = 0; i < 20000; ++i) {
      if (Keep(**r, T(s, "analytics_traces"), {"2025-01-19 00:00:00+00", "trace-" + std::to_string(i)})) kept.insert(i);
    }
    EXPECT_NEAR(static_cast<double>(kept.size()) / 20000.0, 0.1, 0.01);
    if (pass == 0) first = kept;
    else EXPECT_EQ(kept, first);
    EXPECT_EQ((*r)->StatsFor("analytics_traces").kept, kept.size());
  }
  // A larger factor keeps a superset: test (20 %) contains every row dev (10 %) keeps.
  auto r20 = Reducer::Create(Rules(), 0.2, s, At("2025-01-20 00:00:00+00"));
  for (int i : first) EXPECT_TRUE(Keep(**r20, T(s, "analytics_traces"), {"2025-01-19 00:00:00+00", "trace-" + std::to_string(i)}));
}

TEST(Reducer, CriticalTablesAreKeptWhole) {
  Schema s = Summit();
  auto r = Reducer::Create(Rules(), 0.1, s, At("2025-01-20 00:00:00+00"));
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(Keep(**r, T(s, "tenants"), {"t" + std::to_string(i), "n"}));
}

TEST(Reducer, WindowKeepsLastThirtyDaysRelativeToTheReferenceTime) {
  Schema s = Summit();
  auto r = Reducer::Create(Rules(), 0.1, s, At("2025-01-31 12:00:00+00"));
  ASSERT_TRUE((*r)->EndTable(T(s, "tenants")).has_value());
  ASSERT_TRUE((*r)->EndTable(T(s, "users")).has_value());
  PgTable t = T(s, "audit_logs");
  EXPECT_TRUE(Keep(**r, t, {"1", std::optional<std::string>("1"), "2025-01-31 11:00:00+00"}));
  EXPECT_TRUE(Keep(**r, t, {"2", std::nullopt, "2025-01-01 12:00:00+00"}));      // exactly 30 days
  EXPECT_FALSE(Keep(**r, t, {"3", std::nullopt, "2025-01-01 11:59:59.999+00"}));
  EXPECT_FALSE(Keep(**r, t, {"4", std::nullopt, "2025-01-01 13:30:00+02"}));      // 11:30 UTC: too old
  EXPECT_TRUE(Keep(**r, t, {"7", std::nullopt, "2025-01-01 08:30:00-04"}));       // 12:30 UTC: inside
  EXPECT_TRUE(Keep(**r, t, {"5", std::nullopt, std::nullopt}));                   // NULL time is kept (DELETE keeps NULL)
  PgRow bad = {"6", std::nullopt, "yesterday"};
  auto res = (*r)->Apply(t, bad);
  ASSERT_FALSE(res.has_value());
  EXPECT_NE(res.error().message().find("audit_logs.created_at"), std::string::npos);
}

TEST(Reducer, ChildrenOfDroppedParentsAreDroppedAndNullForeignKeysKept) {
  Schema s = Summit();
  auto r = Reducer::Create(Rules(), 0.3, s, At("2025-01-20 00:00:00+00"));
  ASSERT_TRUE(r.has_value());
  for (const auto& table : (*r)->TableOrder()) {
    if (table == "tenants") {
      ASSERT_TRUE(Keep(**r, T(s, table), {"acme", "Acme"}));
    } else if (table == "users") {
      ASSERT_TRUE(Keep(**r, T(s, table), {"1", "acme", "a@b.c"}));
    } else if (table == "investigations") {
      for (int i = 0; i < 200; ++i) Keep(**r, T(s, table), {"inv-" + std::to_string(i), "acme", "1"});
    } else if (table == "runs") {
      for (int i = 0; i < 2000; ++i) Keep(**r, T(s, table), {std::to_string(i), "inv-" + std::to_string(i % 200)});
    }
    ASSERT_TRUE((*r)->EndTable(T(s, table)).has_value());
  }
  // Recompute independently which investigations survived and check every kept run points at one.
  auto check = Reducer::Create(Rules(), 0.3, s, At("2025-01-20 00:00:00+00"));
  for (const char* t : {"tenants", "users"}) ASSERT_TRUE((*check)->EndTable(T(s, t)).has_value());
  std::set<std::string> kept_inv;
  for (int i = 0; i < 200; ++i) {
    if (Keep(**check, T(s, "investigations"), {"inv-" + std::to_string(i), "acme", "1"})) kept_inv.insert("inv-" + std::to_string(i));
  }
  ASSERT_TRUE((*check)->EndTable(T(s, "investigations")).has_value());
  int kept_runs = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string inv = "inv-" + std::to_string(i % 200);
    bool keep = Keep(**check, T(s, "runs"), {std::to_string(i), inv});
    if (keep) {
      ++kept_runs;
      EXPECT_TRUE(kept_inv.count(inv)) << "run " << i << " kept although " << inv << " was dropped";
    }
  }
  EXPECT_GT(kept_runs, 0);
  EXPECT_GT((*check)->StatsFor("runs").dropped_for_parent, 0u);
  EXPECT_NEAR(kept_runs / 2000.0, 0.3 * 0.3, 0.03);
  // A NULL parent reference never drops a row: with factor 1.0 it is kept.
  auto all = Reducer::Create(Rules(), 1.0, s, At("2025-01-20 00:00:00+00"));
  for (const char* t : {"tenants", "users", "investigations"}) ASSERT_TRUE((*all)->EndTable(T(s, t)).has_value());
  EXPECT_TRUE(Keep(**all, T(s, "runs"), {"9999", std::nullopt}));
}

TEST(Reducer, CriticalRowReferencingADroppedParentIsDroppedForIntegrity) {
  Schema s;
  s.tables["projects"] = {{"id"}, {"id"}, {}};
  s.tables["tenants"] = {{"id", "project_id"}, {"id"}, {{"project_id", "projects", "id"}}};
  ReductionRules rules;
  rules.critical = {"tenants"};
  auto r = Reducer::Create(rules, 0.05, s, At("2025-01-20"));
  std::set<std::string> dropped;
  for (int i = 0; i < 100; ++i) {
    if (!Keep(**r, T(s, "projects"), {"p" + std::to_string(i)})) dropped.insert("p" + std::to_string(i));
  }
  ASSERT_TRUE((*r)->EndTable(T(s, "projects")).has_value());
  ASSERT_FALSE(dropped.empty());
  EXPECT_FALSE(Keep(**r, T(s, "tenants"), {"t", *dropped.begin()}));
}

TEST(Reducer, FeedingAChildBeforeItsParentEndedFails) {
  Schema s = Summit();
  auto r = Reducer::Create(Rules(), 0.1, s, At("2025-01-20 00:00:00+00"));
  PgRow row = {"1", "acme", "a@b.c"};
  auto res = (*r)->Apply(T(s, "users"), row);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code(), ErrorCode::kInternal);
  EXPECT_NE(res.error().message().find("before its parent tenants"), std::string::npos) << res.error().message();
}

TEST(Reducer, CyclesAndBadFactorsAreRejected) {
  Schema s;
  s.tables["a"] = {{"id", "b_id"}, {"id"}, {{"b_id", "b", "id"}}};
  s.tables["b"] = {{"id", "a_id"}, {"id"}, {{"a_id", "a", "id"}}};
  auto r = Reducer::Create({}, 0.1, s, TimePoint{});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("cycle"), std::string::npos);
  EXPECT_FALSE(Reducer::Create({}, 0.0, Schema{}, TimePoint{}).has_value());
  EXPECT_FALSE(Reducer::Create({}, 1.5, Schema{}, TimePoint{}).has_value());
}

TEST(PgTimestamp, ParsesPostgresTextForms) {
  EXPECT_EQ(FormatRfc3339(At("2025-01-20 02:00:00+00")), "2025-01-20T02:00:00Z");
  EXPECT_EQ(FormatRfc3339(At("2025-01-20 02:00:00-05:30")), "2025-01-20T07:30:00Z");
  EXPECT_EQ(FormatRfc3339(At("2025-01-20 02:00:00.123456+01")), "2025-01-20T01:00:00Z");
  EXPECT_EQ(FormatRfc3339(At("2025-01-20")), "2025-01-20T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(At("2025-01-20T02:00:00Z")), "2025-01-20T02:00:00Z");
  TimePoint t;
  EXPECT_TRUE(ParsePgTimestamp("infinity", &t));
  EXPECT_EQ(t, TimePoint::max());
  for (const char* bad : {"", "2025-13-01", "2025-02-30", "20250120", "2025-01-20 2:00", "2025-01-20 02:00:00 UTC"}) {
    EXPECT_FALSE(ParsePgTimestamp(bad, &t)) << bad;
  }
}

}  // namespace
}  // namespace summit::transform

#include "transform/digest.h"

namespace summit::transform {
namespace {

TEST(SipHash, ReferenceVectors) {
  std::array<uint8_t, 16> key;
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  std::string msg;
  EXPECT_EQ(SipHash24(key, msg), 0x726fdb47dd0e0e31ULL);
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(key, msg), 0xa129ca6149be45e5ULL);  // the SipHash paper's example
}

TEST(Reducer, SeedChangesTheSample) {
  Schema s = Summit();
  ReductionRules other = Rules();
  other.seed = "another-seed";
  auto a = Reducer::Create(Rules(), 0.5, s, At("2025-01-20"));
  auto b = Reducer::Create(other, 0.5, s, At("2025-01-20"));
  int differ = 0;
  for (int i = 0; i < 200; ++i) {
    PgRow r = {"2025-01-19", std::to_string(i)};
    differ += Keep(**a, T(s, "analytics_traces"), r) != Keep(**b, T(s, "analytics_traces"), r);
  }
  EXPECT_GT(differ, 50);
}

}  // namespace
}  // namespace summit::transform
