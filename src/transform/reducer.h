// Data reduction for dev and test restores, as a PgRowTransform the PostgreSQL sink calls per
// row: critical tables are kept whole; tables with a time window (audit_logs, events) keep the
// rows of the last N days before a reference time given by the caller (never the wall clock);
// every other table (analytics_traces among them) keeps a deterministic sample: a row stays when
// the keyed hash of its primary key falls below the reduction factor.
//
// Referential integrity: a row whose foreign key points at a dropped parent row is dropped
// too. The reducer remembers, per referenced (table, column), the kept values (for sampled
// parents, the small side) or the dropped values (for the others), so tables must be fed in
// TableOrder(): each parent completely, then EndTable(parent), before any row of its children.
// Feeding a child first fails with kInternal. Self-references are not followed.
//
// Deterministic: the same rows, factor, seed and reference time give the same result.
// Thread-safe: rows of different tables may be applied concurrently once their parents ended.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_set>

#include "core/clock.h"
#include "transform/hooks.h"
#include "transform/rules.h"

namespace summit::transform {

class Reducer final : public PgRowTransform {
 public:
  // `factor` in (0, 1]: the fraction of non-critical rows kept. `schema` gives primary keys and
  // foreign keys (table -> [(column, parent table, parent column)]) of the restored tables.
  // Fails with kInvalidInput on a bad factor or a foreign-key cycle between different tables.
  static Result<std::unique_ptr<Reducer>> Create(const ReductionRules& rules, double factor, Schema schema,
                                                 TimePoint reference);

  ~Reducer() override;

  // Tables of the schema ordered so that every parent precedes its children.
  const std::vector<std::string>& TableOrder() const { return order_; }

  bool Applies(const PgTable& table) const override;
  Result<bool> Apply(const PgTable& table, PgRow& row) const override;
  Status EndTable(const PgTable& table) const override;
  bool NeedsParentsFirst() const override { return true; }

  struct Stats {
    uint64_t kept = 0;
    uint64_t dropped = 0;
    uint64_t dropped_for_parent = 0;  // of dropped: because a referenced parent row was dropped
  };
  Stats StatsFor(const std::string& table) const;

 private:
  enum class Policy { kCritical, kWindow, kSample };
  struct TableState;
  Reducer() = default;
  Result<TableState*> State(const PgTable& table) const;
  bool SampleKeeps(const std::string& table, const std::string& key) const;

  ReductionRules rules_;
  double factor_ = 1.0;
  Schema schema_;
  TimePoint reference_;
  std::array<uint8_t, 16> sample_key_{};  // SipHash key: the first 16 bytes of SHA-256(seed)
  std::vector<std::string> order_;
  std::map<std::string, std::unique_ptr<TableState>> tables_;  // fixed after Create
};

// Parses PostgreSQL timestamp / timestamptz / date text ("2025-01-20 02:00:00.5+05:30",
// "2025-01-20"); text without an offset is UTC. "infinity" and "-infinity" map to the extremes.
// Returns false when the text is not a timestamp.
bool ParsePgTimestamp(std::string_view text, TimePoint* out);

}  // namespace summit::transform
