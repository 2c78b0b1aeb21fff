#include "repo/retention.h"

#include <algorithm>
#include <set>

namespace summit::repo {

namespace {

std::string GroupName(const SnapshotSummary& s) { return s.scope.empty() ? s.set : s.set + "/" + s.scope; }

}  // namespace

BaseClosure ClosureOfBases(const std::map<std::string, std::vector<std::string>>& bases_of,
                           const std::vector<std::string>& ids) {
  BaseClosure out;
  std::vector<std::pair<std::string, std::string>> todo;  // (base, dependent)
  for (const auto& id : ids) {
    auto it = bases_of.find(id);
    if (it == bases_of.end()) continue;
    for (const auto& b : it->second) todo.emplace_back(b, id);
  }
  while (!todo.empty()) {
    auto [base, dependent] = todo.back();
    todo.pop_back();
    if (out.bases.count(base)) continue;
    auto it = bases_of.find(base);
    if (it == bases_of.end()) {
      out.missing.emplace_back(base, dependent);
      continue;
    }
    out.bases.emplace(base, dependent);
    for (const auto& b : it->second) todo.emplace_back(b, base);
  }
  return out;
}

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

  // A kept incremental snapshot keeps its whole chain of bases.
  std::map<std::string, std::vector<std::string>> bases_of;
  for (const auto& s : snapshots) bases_of[s.id] = s.bases;
  std::vector<std::string> kept;
  for (const auto& d : plan.keep) kept.push_back(d.snapshot.id);
  BaseClosure needed = ClosureOfBases(bases_of, kept);
  for (auto it = plan.forget.begin(); it != plan.forget.end();) {
    auto need = needed.bases.find(it->snapshot.id);
    if (need == needed.bases.end()) {
      ++it;
      continue;
    }
    it->reasons = {"base of kept snapshot " + need->second + " (incremental chain)"};
    plan.keep.push_back(std::move(*it));
    it = plan.forget.erase(it);
  }
  for (const auto& [base, dependent] : needed.missing)
    plan.warnings.push_back("snapshot " + dependent + " depends on base " + base +
                            ", which does not exist: it cannot be restored");
  return plan;
}

}  // namespace summit::repo
