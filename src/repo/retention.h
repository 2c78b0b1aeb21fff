// The retention policy of `prune` (issue 3 item 7): a pure function from the snapshots of a
// repository and the per-set rules of config/backup-sets.yaml to what to keep and what to
// forget, each with its reasons, so that `prune --dry-run` can explain itself.
//
// Snapshots are grouped by (set, scope), where scope is the tenant or project id of the
// `tenant` and `project` sets and empty otherwise; rules apply within each group, so one
// tenant's backups never push another tenant's out. A snapshot is kept when any of these
// holds: it finished within keep_days of `now`; it is among the keep_last newest of its group;
// it is the newest verified snapshot of its group (the invariant: never forgotten, whatever
// the rules say); its set has no rule; it is a base, directly or through other bases, of a
// snapshot that is kept (an incremental capture cannot be restored without its chain).
// RETENTION_DAYS, when given, replaces the keep_days of every set that has a rule.
//
// Pure: no I/O, no clock (the caller passes `now`); thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace summit::repo {

struct SnapshotSummary {
  std::string id;
  std::string set;    // "full", "minimal", "tenant", "project", "config", "disaster_recovery", ...
  std::string scope;  // tenant or project id for the tenant/project sets; empty otherwise
  TimePoint finished;
  bool verified = false;
  std::vector<std::string> bases;  // snapshots it depends on (SnapshotManifest::bases)
};

// The chains of incremental snapshots: what `ids` depend on, transitively.
struct BaseClosure {
  // Every snapshot some id depends on, directly or through another base, with the first
  // dependent found that needs it (for messages: "base of X").
  std::map<std::string, std::string> bases;
  // (missing base, the snapshot that names it): bases absent from `bases_of`.
  std::vector<std::pair<std::string, std::string>> missing;
};

// `bases_of` maps every existing snapshot id to its direct bases.
BaseClosure ClosureOfBases(const std::map<std::string, std::vector<std::string>>& bases_of,
                           const std::vector<std::string>& ids);

struct RetentionRule {
  std::optional<int> keep_days;  // keep what finished within the last N days
  std::optional<int> keep_last;  // keep the N newest of each group
};

struct RetentionPolicy {
  std::map<std::string, RetentionRule> per_set;
  // RETENTION_DAYS: replaces keep_days of every set that has a rule (keep_days or keep_last);
  // sets without one keep everything.
  std::optional<int> retention_days_override;
};

struct RetentionDecision {
  SnapshotSummary snapshot;
  std::vector<std::string> reasons;  // why kept, or why forgotten
};

struct RetentionPlan {
  std::vector<RetentionDecision> keep;    // newest first within each group, groups by name
  std::vector<RetentionDecision> forget;  // same order
  // E.g. "set tenant/acme has no verified snapshot": nothing protects it against the rules.
  std::vector<std::string> warnings;
};

// Decides what to keep. Fails with kInvalidInput for a negative keep_days/keep_last/override
// (naming the set) or two snapshots with the same id.
Result<RetentionPlan> PlanRetention(const std::vector<SnapshotSummary>& snapshots, const RetentionPolicy& policy,
                                    TimePoint now);

}  // namespace summit::repo
