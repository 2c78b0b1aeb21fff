#include "repo/retention.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace summit::repo {
namespace {

using namespace std::chrono_literals;
constexpr auto kDay = std::chrono::hours(24);

class RetentionTest : public ::testing::Test {
 protected:
  RetentionTest() : clock_(Start()) {}
  static TimePoint Start() {
    TimePoint t;
    EXPECT_TRUE(ParseUtc("2026-03-01T02:00:00Z", &t));
    return t;
  }
  // A snapshot finished `age` before the clock's now.
  SnapshotSummary Snap(std::string id, std::string set, std::chrono::system_clock::duration age,
                       bool verified = true, std::string scope = "") {
    return SnapshotSummary{std::move(id), std::move(set), std::move(scope), clock_.Now() - age, verified};
  }
  static std::set<std::string> Ids(const std::vector<RetentionDecision>& ds) {
    std::set<std::string> out;
    for (const auto& d : ds) out.insert(d.snapshot.id);
    return out;
  }
  static const RetentionDecision* Find(const std::vector<RetentionDecision>& ds, const std::string& id) {
    for (const auto& d : ds)
      if (d.snapshot.id == id) return &d;
    return nullptr;
  }
  static bool HasReason(const RetentionDecision* d, const std::string& fragment) {
    if (!d) return false;
    for (const auto& r : d->reasons)
      if (r.find(fragment) != std::string::npos) return true;
    return false;
  }
  FakeClock clock_;
};

TEST_F(RetentionTest, KeepsWhatFinishedWithinKeepDaysAndForgetsTheRest) {
  std::vector<SnapshotSummary> snaps;
  for (int k = 0; k < 60; ++k) snaps.push_back(Snap("full-" + std::to_string(k), "full", kDay * k + 1h));
  RetentionPolicy p;
  p.per_set["full"] = {30, std::nullopt};
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->keep.size(), 30u);  // ages 1h .. 29d1h
  EXPECT_EQ(plan->forget.size(), 30u);
  EXPECT_TRUE(HasReason(Find(plan->keep, "full-29"), "within the last 30 days"));
  EXPECT_TRUE(HasReason(Find(plan->forget, "full-30"), "older than 30 days"));
  EXPECT_TRUE(HasReason(Find(plan->keep, "full-0"), "newest verified"));
  EXPECT_TRUE(plan->warnings.empty());
}

TEST_F(RetentionTest, AKeptIncrementalSnapshotKeepsItsWholeChainOfBases) {
  RetentionPolicy p;
  p.per_set["full"] = {7, std::nullopt};
  // full-old <- incr-a <- incr-b (kept) ; unrelated-old has no dependents.
  std::vector<SnapshotSummary> snaps = {Snap("incr-b", "full", kDay * 1), Snap("incr-a", "full", kDay * 20, false),
                                        Snap("full-old", "full", kDay * 30, false),
                                        Snap("unrelated-old", "full", kDay * 31, false)};
  snaps[0].bases = {"incr-a"};
  snaps[1].bases = {"full-old"};
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"incr-b", "incr-a", "full-old"}));
  EXPECT_EQ(Ids(plan->forget), (std::set<std::string>{"unrelated-old"}));
  EXPECT_TRUE(HasReason(Find(plan->keep, "incr-a"), "base of kept snapshot incr-b"));
  EXPECT_TRUE(HasReason(Find(plan->keep, "full-old"), "base of kept snapshot incr-a"));
}

TEST_F(RetentionTest, AMissingBaseIsAWarningNamingBothSnapshots) {
  RetentionPolicy p;
  std::vector<SnapshotSummary> snaps = {Snap("incr", "full", kDay)};
  snaps[0].bases = {"gone"};
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->warnings.size(), 1u);
  EXPECT_NE(plan->warnings[0].find("incr depends on base gone"), std::string::npos) << plan->warnings[0];
}

TEST_F(RetentionTest, TheKeepDaysBoundaryIsInclusive) {
  RetentionPolicy p;
  p.per_set["full"] = {7, std::nullopt};
  std::vector<SnapshotSummary> snaps = {Snap("new", "full", 0s), Snap("edge", "full", kDay * 7),
                                        Snap("past", "full", kDay * 7 + 1s)};
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"new", "edge"}));
  EXPECT_EQ(Ids(plan->forget), (std::set<std::string>{"past"}));
}

TEST_F(RetentionTest, KeepLastKeepsTheNewestNRegardlessOfAge) {
  std::vector<SnapshotSummary> snaps;
  for (int k = 0; k < 10; ++k) snaps.push_back(Snap("m" + std::to_string(k), "minimal", kDay * (100 + k)));
  RetentionPolicy p;
  p.per_set["minimal"] = {std::nullopt, 3};
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"m0", "m1", "m2"}));
  EXPECT_TRUE(HasReason(Find(plan->keep, "m2"), "3 newest of minimal"));
  EXPECT_TRUE(HasReason(Find(plan->forget, "m3"), "not among the 3 newest"));
}

TEST_F(RetentionTest, DaysAndLastAreAUnion) {
  RetentionPolicy p;
  p.per_set["full"] = {2, 4};
  std::vector<SnapshotSummary> snaps;
  for (int k = 0; k < 8; ++k) snaps.push_back(Snap("f" + std::to_string(k), "full", std::chrono::hours(18) * k));
  // ages 0, .75, 1.5, 2.25, 3, ... days: three within 2 days, four newest
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"f0", "f1", "f2", "f3"}));
  EXPECT_TRUE(HasReason(Find(plan->forget, "f4"), "older than 2 days and not among the 4 newest"));
}

TEST_F(RetentionTest, NeverForgetsTheNewestVerifiedSnapshotEvenWhenEverythingExpired) {
  RetentionPolicy p;
  p.per_set["full"] = {7, 1};
  std::vector<SnapshotSummary> snaps = {
      Snap("newest-unverified", "full", kDay * 100, false),
      Snap("verified-old", "full", kDay * 101, true),
      Snap("verified-older", "full", kDay * 102, true),
  };
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"newest-unverified", "verified-old"}));
  EXPECT_TRUE(HasReason(Find(plan->keep, "verified-old"), "newest verified snapshot of full"));
  EXPECT_EQ(Ids(plan->forget), (std::set<std::string>{"verified-older"}));

  p.per_set["full"] = {0, 0};  // the most aggressive rule possible
  auto harsh = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(harsh);
  EXPECT_EQ(Ids(harsh->keep), (std::set<std::string>{"verified-old"}));
}

TEST_F(RetentionTest, EachTenantAndProjectKeepsItsOwnNewestVerifiedSnapshot) {
  RetentionPolicy p;
  p.per_set["tenant"] = {14, std::nullopt};
  p.per_set["project"] = {90, std::nullopt};
  std::vector<SnapshotSummary> snaps = {
      Snap("acme-1", "tenant", kDay * 20, true, "acme"),       Snap("acme-2", "tenant", kDay * 30, true, "acme"),
      Snap("globex-1", "tenant", kDay * 1, true, "globex"),    Snap("globex-2", "tenant", kDay * 40, true, "globex"),
      Snap("inv-1", "project", kDay * 200, false, "inv-2025"), Snap("inv-2", "project", kDay * 300, true, "inv-2025"),
  };
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"acme-1", "globex-1", "inv-2"}));
  EXPECT_TRUE(HasReason(Find(plan->keep, "acme-1"), "newest verified snapshot of tenant/acme"));
  EXPECT_TRUE(HasReason(Find(plan->keep, "inv-2"), "newest verified snapshot of project/inv-2025"));
  EXPECT_EQ(Ids(plan->forget), (std::set<std::string>{"acme-2", "globex-2", "inv-1"}));
}

TEST_F(RetentionTest, KeepLastCountsWithinEachTenantNotAcrossTenants) {
  RetentionPolicy p;
  p.per_set["tenant"] = {std::nullopt, 1};
  std::vector<SnapshotSummary> snaps;
  for (int k = 0; k < 5; ++k) snaps.push_back(Snap("a" + std::to_string(k), "tenant", 1h * k, false, "a"));
  snaps.push_back(Snap("b0", "tenant", kDay * 50, false, "b"));
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"a0", "b0"}));
  EXPECT_EQ(plan->warnings.size(), 2u);  // neither tenant has a verified snapshot
}

TEST_F(RetentionTest, RetentionDaysOverridesEverySetsKeepDays) {
  RetentionPolicy p;
  p.per_set["full"] = {30, std::nullopt};
  p.per_set["minimal"] = {7, 2};
  p.retention_days_override = 3;
  std::vector<SnapshotSummary> snaps;
  for (int k = 0; k < 10; ++k) {
    snaps.push_back(Snap("f" + std::to_string(k), "full", kDay * k + 1h, k == 9));
    snaps.push_back(Snap("m" + std::to_string(k), "minimal", kDay * k + 1h, false));
  }
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"f0", "f1", "f2", "f9", "m0", "m1", "m2"}));
  EXPECT_TRUE(HasReason(Find(plan->keep, "f2"), "within the last 3 days"));
  EXPECT_TRUE(HasReason(Find(plan->keep, "f9"), "newest verified"));
  EXPECT_TRUE(HasReason(Find(plan->forget, "m5"), "older than 3 days"));
}

TEST_F(RetentionTest, SetsWithoutARuleKeepEverything) {
  RetentionPolicy p;
  p.per_set["full"] = {1, std::nullopt};
  p.per_set["config"] = {};  // a rule with neither field is no rule
  p.retention_days_override = 1;
  std::vector<SnapshotSummary> snaps = {Snap("dr-1", "disaster_recovery", kDay * 400, false),
                                        Snap("cfg-1", "config", kDay * 400, false),
                                        Snap("full-1", "full", kDay * 400, false)};
  auto plan = PlanRetention(snaps, p, clock_.Now());
  ASSERT_TRUE(plan);
  EXPECT_EQ(Ids(plan->keep), (std::set<std::string>{"dr-1", "cfg-1"}));
  EXPECT_TRUE(HasReason(Find(plan->keep, "dr-1"), "no retention rule"));
  EXPECT_EQ(Ids(plan->forget), (std::set<std::string>{"full-1"}));
}

TEST_F(RetentionTest, RejectsNegativeRulesAndDuplicateIds) {
  RetentionPolicy p;
  p.per_set["full"] = {-1, std::nullopt};
  auto bad_rule = PlanRetention({}, p, clock_.Now());
  ASSERT_FALSE(bad_rule);
  EXPECT_EQ(bad_rule.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(bad_rule.error().message().find("full"), std::string::npos);
  RetentionPolicy q;
  q.retention_days_override = -5;
  auto bad_override = PlanRetention({}, q, clock_.Now());
  ASSERT_FALSE(bad_override);
  EXPECT_NE(bad_override.error().message().find("RETENTION_DAYS"), std::string::npos);
  auto dup = PlanRetention({Snap("x", "full", 0s), Snap("x", "full", 1h)}, {}, clock_.Now());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), ErrorCode::kInvalidInput);
}

TEST_F(RetentionTest, RandomHistoriesPartitionExactlyAndKeepTheInvariant) {
  std::mt19937 rng(2026);
  const std::vector<std::string> sets = {"full", "minimal", "tenant", "project", "config"};
  for (int round = 0; round < 50; ++round) {
    RetentionPolicy p;
    for (const auto& s : sets) {
      if (rng() % 5 == 0) continue;
      RetentionRule r;
      if (rng() % 2) r.keep_days = static_cast<int>(rng() % 40);
      if (rng() % 2) r.keep_last = static_cast<int>(rng() % 5);
      p.per_set[s] = r;
    }
    if (rng() % 3 == 0) p.retention_days_override = static_cast<int>(rng() % 10);
    std::vector<SnapshotSummary> snaps;
    int n = static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      std::string set = sets[rng() % sets.size()];
      std::string scope = (set == "tenant" || set == "project") ? "s" + std::to_string(rng() % 3) : "";
      snaps.push_back(Snap("id" + std::to_string(i), set, std::chrono::minutes(rng() % (60 * 24 * 90)),
                           rng() % 3 == 0, scope));
    }
    clock_.Advance(1h);  // "now" moves between rounds; snapshots are relative to it
    auto plan = PlanRetention(snaps, p, clock_.Now());
    ASSERT_TRUE(plan);
    ASSERT_EQ(plan->keep.size() + plan->forget.size(), snaps.size());
    std::set<std::string> all = Ids(plan->keep);
    for (const auto& id : Ids(plan->forget)) {
      ASSERT_TRUE(all.insert(id).second) << "kept and forgotten: " << id;
    }
    ASSERT_EQ(all.size(), snaps.size());
    // Invariant: the newest verified snapshot of every group survives.
    std::map<std::string, const SnapshotSummary*> newest_verified;
    for (const auto& s : snaps) {
      if (!s.verified) continue;
      std::string g = s.set + "/" + s.scope;
      auto& cur = newest_verified[g];
      if (!cur || s.finished > cur->finished || (s.finished == cur->finished && s.id > cur->id)) cur = &s;
    }
    for (const auto& [g, s] : newest_verified) {
      EXPECT_NE(Find(plan->keep, s->id), nullptr) << g;
    }
    // Every forgotten snapshot is outside its set's days window.
    for (const auto& d : plan->forget) {
      const auto& rule = p.per_set.at(d.snapshot.set);
      std::optional<int> days = p.retention_days_override ? p.retention_days_override : rule.keep_days;
      if (days) {
        EXPECT_GT(clock_.Now() - d.snapshot.finished, kDay * *days);
      }
      EXPECT_FALSE(d.reasons.empty());
    }
  }
}

}  // namespace
}  // namespace summit::repo
