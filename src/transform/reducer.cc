#include "transform/reducer.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>

#include "transform/digest.h"
#include "transform/sanitizer.h"

namespace summit::transform {

struct Reducer::TableState {
  std::string name;
  Policy policy = Policy::kSample;
  const TableSchema* schema = nullptr;
  // Foreign keys to other tables in the schema.
  struct Fk {
    std::string column;
    TableState* parent;
    std::string parent_column;
    int index = -1;  // column index, bound on first row
  };
  std::vector<Fk> fks;
  std::set<std::string> referenced;  // columns of this table that children reference
  bool record_kept = false;          // recorded holds kept values (sampled tables) or dropped ones

  std::mutex mu;  // guards the fields below until `ended`
  bool bound = false;
  std::vector<std::string> columns;
  std::vector<size_t> pk_index;
  int time_index = -1;
  std::map<std::string, int> referenced_index;
  std::map<std::string, std::unordered_set<std::string>> recorded;
  std::atomic<bool> ended{false};
  std::atomic<uint64_t> kept{0}, dropped{0}, dropped_for_parent{0};
};

Reducer::~Reducer() = default;

Result<std::unique_ptr<Reducer>> Reducer::Create(const ReductionRules& rules, double factor, Schema schema, TimePoint reference) {
  if (!(factor > 0.0 && factor <= 1.0)) {
    return Fail(ErrorCode::kInvalidInput, "data reduction factor must be in (0, 1], got " + std::to_string(factor),
                "dev keeps 0.10, test 0.20");
  }
  std::unique_ptr<Reducer> r(new Reducer());
  r->rules_ = rules;
  r->factor_ = factor;
  r->schema_ = std::move(schema);
  r->reference_ = reference;
  auto seed_digest = Sha256(rules.seed);
  std::copy_n(seed_digest.begin(), 16, r->sample_key_.begin());
  for (const auto& [name, ts] : r->schema_.tables) {
    auto st = std::make_unique<TableState>();
    st->name = name;
    st->schema = &ts;
    if (rules.critical.count(name)) st->policy = Policy::kCritical;
    else if (rules.windows.count(name)) st->policy = Policy::kWindow;
    else st->policy = Policy::kSample;
    st->record_kept = st->policy == Policy::kSample;
    r->tables_[name] = std::move(st);
  }
  // Edges parent -> child, ignoring self-references and parents outside the schema.
  std::map<std::string, std::set<std::string>> children;
  std::map<std::string, int> indegree;
  for (auto& [name, st] : r->tables_) indegree[name];
  for (auto& [name, st] : r->tables_) {
    for (const auto& fk : st->schema->foreign_keys) {
      auto p = r->tables_.find(fk.parent_table);
      if (p == r->tables_.end() || fk.parent_table == name) continue;
      st->fks.push_back({fk.column, p->second.get(), fk.parent_column});
      p->second->referenced.insert(fk.parent_column);
      if (children[fk.parent_table].insert(name).second) ++indegree[name];
    }
  }
  std::set<std::string> ready;
  for (const auto& [n, d] : indegree) {
    if (d == 0) ready.insert(n);
  }
  while (!ready.empty()) {
    std::string n = *ready.begin();
    ready.erase(ready.begin());
    r->order_.push_back(n);
    for (const auto& c : children[n]) {
      if (--indegree[c] == 0) ready.insert(c);
    }
  }
  if (r->order_.size() != r->tables_.size()) {
    std::string cyc;
    for (const auto& [n, d] : indegree) {
      if (d > 0) cyc += (cyc.empty() ? "" : ", ") + n;
    }
    return Fail(ErrorCode::kInvalidInput, "data reduction: foreign keys form a cycle between tables " + cyc,
                "mark one of these tables critical in the reduction rules so it is kept whole");
  }
  return r;
}

Result<Reducer::TableState*> Reducer::State(const PgTable& table) const {
  auto it = tables_.find(TableKey(table));
  if (it == tables_.end()) return static_cast<TableState*>(nullptr);
  TableState* st = it->second.get();
  std::lock_guard lock(st->mu);
  if (st->bound) {
    if (st->columns != table.columns) {
      return Fail(ErrorCode::kInternal, "data reduction: table " + st->name + " was fed with two different column lists");
    }
    return st;
  }
  auto index = [&](const std::string& c) -> int {
    auto f = std::find(table.columns.begin(), table.columns.end(), c);
    return f == table.columns.end() ? -1 : static_cast<int>(f - table.columns.begin());
  };
  for (const auto& pk : st->schema->primary_key) {
    int i = index(pk);
    if (i < 0) return Fail(ErrorCode::kNotFound, "data reduction: primary key column " + st->name + "." + pk + " is not in the restored data");
    st->pk_index.push_back(static_cast<size_t>(i));
  }
  if (st->policy == Policy::kWindow) {
    const auto& w = rules_.windows.at(st->name);
    st->time_index = index(w.column);
    if (st->time_index < 0) {
      return Fail(ErrorCode::kNotFound, "data reduction: time column " + st->name + "." + w.column + " is not in the restored data",
                  "fix reduction.windows in sanitization.yaml");
    }
  }
  for (auto& fk : st->fks) {
    fk.index = index(fk.column);
    if (fk.index < 0) return Fail(ErrorCode::kNotFound, "data reduction: foreign key column " + st->name + "." + fk.column + " is not in the restored data");
  }
  for (const auto& c : st->referenced) {
    int i = index(c);
    if (i < 0) return Fail(ErrorCode::kNotFound, "data reduction: referenced column " + st->name + "." + c + " is not in the restored data");
    st->referenced_index[c] = i;
  }
  st->columns = table.columns;
  st->bound = true;
  return st;
}

bool Reducer::SampleKeeps(const std::string& table, const std::string& key) const {
  if (factor_ >= 1.0) return true;
  std::string input = table;
  input.push_back('\0');
  input += key;
  double u = static_cast<double>(SipHash24(sample_key_, input) >> 11) / 9007199254740992.0;  // [0, 1)
  return u < factor_;
}

bool Reducer::Applies(const PgTable& table) const { return tables_.count(TableKey(table)) > 0; }

Result<bool> Reducer::Apply(const PgTable& table, PgRow& row) const {
  SUMMIT_ASSIGN_OR_RETURN(TableState * st, State(table));
  if (st == nullptr) return true;
  if (st->ended.load(std::memory_order_acquire)) {
    return Fail(ErrorCode::kInternal, "data reduction: a row of table " + st->name + " arrived after EndTable");
  }
  if (row.size() != st->columns.size()) {
    return Fail(ErrorCode::kCorruption, "data reduction: a row of " + st->name + " has " + std::to_string(row.size()) +
                                            " fields, the table " + std::to_string(st->columns.size()) + " columns");
  }
  bool keep = true;
  bool for_parent = false;
  for (const auto& fk : st->fks) {
    if (!fk.parent->ended.load(std::memory_order_acquire)) {
      return Fail(ErrorCode::kInternal,
                  "data reduction: table " + st->name + " was fed before its parent " + fk.parent->name + " ended",
                  "feed tables in Reducer::TableOrder() and call EndTable after each");
    }
    const auto& v = row[static_cast<size_t>(fk.index)];
    if (!v) continue;  // a NULL foreign key references nothing
    const auto& set = fk.parent->recorded.at(fk.parent_column);
    bool present = set.count(*v) > 0;
    if (fk.parent->record_kept ? !present : present) {
      keep = false;
      for_parent = true;
      break;
    }
  }
  if (keep) {
    switch (st->policy) {
      case Policy::kCritical: break;
      case Policy::kWindow: {
        const auto& v = row[static_cast<size_t>(st->time_index)];
        if (!v) break;  // DELETE ... WHERE t < cutoff keeps NULLs
        TimePoint t;
        if (!ParsePgTimestamp(*v, &t)) {
          return Fail(ErrorCode::kCorruption, "data reduction: " + st->name + "." + st->columns[st->time_index] +
                                                  " holds '" + *v + "', which is not a timestamp");
        }
        auto cutoff = reference_ - std::chrono::hours(24) * rules_.windows.at(st->name).days;
        keep = t >= cutoff;
        break;
      }
      case Policy::kSample: {
        std::string key;
        if (st->pk_index.empty()) {
          for (const auto& f : row) key += (f ? "v" + *f : std::string("n")) + '\x1f';
        } else {
          for (size_t i : st->pk_index) key += (row[i] ? "v" + *row[i] : std::string("n")) + '\x1f';
        }
        keep = SampleKeeps(st->name, key);
        break;
      }
    }
  }
  if (!st->referenced.empty() && keep == st->record_kept) {
    std::lock_guard lock(st->mu);
    for (const auto& [col, idx] : st->referenced_index) {
      if (row[static_cast<size_t>(idx)]) st->recorded[col].insert(*row[static_cast<size_t>(idx)]);
    }
  }
  (keep ? st->kept : st->dropped).fetch_add(1, std::memory_order_relaxed);
  if (for_parent) st->dropped_for_parent.fetch_add(1, std::memory_order_relaxed);
  return keep;
}

Status Reducer::EndTable(const PgTable& table) const {
  auto it = tables_.find(TableKey(table));
  if (it == tables_.end()) return Ok();
  TableState* st = it->second.get();
  {
    std::lock_guard lock(st->mu);
    for (const auto& c : st->referenced) st->recorded[c];  // an empty table still answers lookups
  }
  st->ended.store(true, std::memory_order_release);
  return Ok();
}

Reducer::Stats Reducer::StatsFor(const std::string& table) const {
  auto it = tables_.find(table);
  if (it == tables_.end()) return {};
  return {it->second->kept.load(), it->second->dropped.load(), it->second->dropped_for_parent.load()};
}

bool ParsePgTimestamp(std::string_view s, TimePoint* out) {
  using namespace std::chrono;
  if (s == "infinity") {
    *out = TimePoint::max();
    return true;
  }
  if (s == "-infinity") {
    *out = TimePoint::min();
    return true;
  }
  size_t i = 0;
  auto num = [&](size_t digits, int* v) {
    if (i + digits > s.size()) return false;
    int x = 0;
    for (size_t k = 0; k < digits; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      x = x * 10 + (c - '0');
    }
    *v = x;
    i += digits;
    return true;
  };
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!num(4, &y) || i >= s.size() || s[i++] != '-' || !num(2, &mo) || i >= s.size() || s[i++] != '-' || !num(2, &d)) return false;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return false;
  microseconds frac{0};
  long offset_s = 0;
  if (i < s.size()) {
    if (s[i] != ' ' && s[i] != 'T') return false;
    ++i;
    if (!num(2, &h) || i >= s.size() || s[i++] != ':' || !num(2, &mi)) return false;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!num(2, &se)) return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long f = 0;
      int digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (digits < 6) {
          f = f * 10 + (s[i] - '0');
          ++digits;
        }
        ++i;
      }
      while (digits++ < 6) f *= 10;
      frac = microseconds(f);
    }
    if (i < s.size()) {
      if (s[i] == 'Z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int sign = s[i++] == '-' ? -1 : 1;
        int oh = 0, om = 0, os = 0;
        if (!num(2, &oh)) return false;
        if (i < s.size() && s[i] == ':') {
          ++i;
          if (!num(2, &om)) return false;
          if (i < s.size() && s[i] == ':') {
            ++i;
            if (!num(2, &os)) return false;
          }
        }
        offset_s = sign * (oh * 3600L + om * 60L + os);
      } else {
        return false;
      }
    }
    if (i != s.size() || h > 24 || mi > 59 || se > 60) return false;
  }
  auto tp = sys_days(ymd) + hours(h) + minutes(mi) + seconds(se) + frac - seconds(offset_s);
  *out = time_point_cast<TimePoint::duration>(tp);
  return true;
}

}  // namespace summit::transform
