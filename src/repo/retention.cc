#include "repo/retention.h"

#include <algorithm>
#include <set>

namespace summit::repo {

namespace {

std::string GroupName(const SnapshotSummary& s) { return s.scope.empty() ? s.set : s.set + "/" + s.scope; }

}  // namespace

Result<RetentionPlan> PlanRetention(const std::vector<SnapshotSummary>& snapshots, const RetentionPolicy& policy,
                                    TimePoint now) {
  if (policy.retention_days_override && *policy.retention_days_override < 0)
    return Fail(ErrorCode::kInvalidInput,
                "RETENTION_DAYS=" + std::to_string(*policy.retention_days_override) + " is negative",
                "set RETENTION_DAYS to a number of days >= 0");
  for (const auto& [set, rule] : policy.per_set) {
    if ((rule.keep_days && *rule.keep_days < 0) || (rule.keep_last && *rule.keep_last < 0))
      return Fail(ErrorCode::kInvalidInput, "retention of set '" + set + "': negative keep_days or keep_last",
                  "fix the set's retention in config/backup-sets.yaml");
  }
  std::set<std::string> ids;
  std::map<std::string, std::vector<const SnapshotSummary*>> groups;
  for (const auto& s : snapshots) {
    if (!ids.insert(s.id).second)
      return Fail(ErrorCode::kInvalidInput, "snapshot id " + s.id + " appears twice in the retention input");
    groups[GroupName(s)].push_back(&s);
  }

  RetentionPlan plan;
  for (auto& [group, members] : groups) {
    // Newest first; ties broken by id so that the plan is deterministic.
    std::sort(members.begin(), members.end(), [](const SnapshotSummary* a, const SnapshotSummary* b) {
      if (a->finished != b->finished) return a->finished > b->finished;
      return a->id > b->id;
    });
    const std::string& set = members.front()->set;
    auto rule_it = policy.per_set.find(set);
    std::optional<int> days;
    std::optional<int> last;
    // A rule with neither field is no rule; RETENTION_DAYS only overrides existing rules, so
    // it never starts expiring a set the configuration keeps forever.
    bool has_rule = rule_it != policy.per_set.end() &&
                    (rule_it->second.keep_days.has_value() || rule_it->second.keep_last.has_value());
    if (has_rule) {
      days = rule_it->second.keep_days;
      last = rule_it->second.keep_last;
      if (policy.retention_days_override) days = policy.retention_days_override;
    }
    const SnapshotSummary* newest_verified = nullptr;
    for (const auto* s : members) {
      if (s->verified) {
        newest_verified = s;
        break;
      }
    }
    if (!newest_verified)
      plan.warnings.push_back("set " + group + " has no verified snapshot: run `summit-dr verify` so that "
                              "retention always leaves one restorable snapshot");

    for (size_t i = 0; i < members.size(); ++i) {
      const SnapshotSummary& s = *members[i];
      RetentionDecision d{s, {}};
      if (!has_rule) {
        d.reasons.push_back("set " + set + " has no retention rule");
      } else {
        if (days && now - s.finished <= std::chrono::hours(24) * *days)
          d.reasons.push_back("finished within the last " + std::to_string(*days) + " days");
        if (last && static_cast<int64_t>(i) < *last)
          d.reasons.push_back("one of the " + std::to_string(*last) + " newest of " + group);
      }
      if (&s == newest_verified) d.reasons.push_back("newest verified snapshot of " + group);
      if (!d.reasons.empty()) {
        plan.keep.push_back(std::move(d));
        continue;
      }
      std::string why = "in " + group + ":";
      if (days) why += " older than " + std::to_string(*days) + " days";
      if (last) why += std::string(days ? " and" : "") + " not among the " + std::to_string(*last) + " newest";
      d.reasons.push_back(why);
      plan.forget.push_back(std::move(d));
    }
  }
  return plan;
}

}  // namespace summit::repo
