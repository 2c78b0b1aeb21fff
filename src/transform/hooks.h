// The seams through which restore-time transforms (sanitization, data reduction, tenant
// filters) reach the stores' sinks. The sinks in src/sources call these per row, node,
// relationship or key while the data is in flight, so that a transformed value never lands in
// the target store. Implementations live in src/transform (rules from config/sanitization.yaml).
//
// Every implementation must be deterministic (the same input gives the same output in every
// run and every store) and thread-safe for concurrent calls on different rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace summit::transform {

// --- PostgreSQL ---------------------------------------------------------------------------
struct PgTable {
  std::string schema;                 // "public"
  std::string name;                   // "users"
  std::vector<std::string> columns;   // in COPY order
  std::vector<std::string> types;     // format_type() of each column: "text", "bigint", "vector(3)"
};

// One decoded COPY text row: nullopt is SQL NULL, otherwise the column's text representation
// (unescaped: a real tab is a tab, not "\t").
using PgRow = std::vector<std::optional<std::string>>;

class PgRowTransform {
 public:
  virtual ~PgRowTransform() = default;
  // False when no row of `table` is ever changed or dropped: the sink then streams the
  // table's COPY data through without decoding it.
  virtual bool Applies(const PgTable& table) const = 0;
  // Rewrites `row` in place. Returns false to drop the row (data reduction).
  virtual Result<bool> Apply(const PgTable& table, PgRow& row) const = 0;
  // Called once after the last row of `table` was applied. Transforms that relate tables (the
  // data reducer's foreign-key integrity) need it; sinks must feed a parent table completely
  // and call EndTable before feeding its children. The default does nothing.
  virtual Status EndTable(const PgTable& table) const { return Ok(); }
  // True when a row's fate depends on rows of other tables (the reducer keeps a child row only
  // when its parent row was kept): sinks then load each parent before its children, at the cost
  // of parallelism. A transform that looks at one row at a time (the sanitizer) says false.
  virtual bool NeedsParentsFirst() const { return false; }
};

// --- Neo4j ---------------------------------------------------------------------------------
// Properties are JSON: strings, numbers, booleans, lists as themselves; the types JSON lacks
// as one-key objects ({"$date": "2025-01-20"}, {"$bytes": "<base64>"}, ...), as written by the
// Neo4j source's export format.
struct GraphNode {
  int64_t id = 0;                     // the source database's element id (numeric part)
  std::vector<std::string> labels;
  nlohmann::json properties = nlohmann::json::object();
};

struct GraphRelationship {
  int64_t id = 0;
  std::string type;
  int64_t start = 0;
  int64_t end = 0;
  nlohmann::json properties = nlohmann::json::object();
};

class GraphTransform {
 public:
  virtual ~GraphTransform() = default;
  // Rewrites the node in place; false drops it (and, in the sink, its relationships).
  virtual Result<bool> ApplyNode(GraphNode& node) const = 0;
  virtual Result<bool> ApplyRelationship(GraphRelationship& rel) const = 0;
};

// --- Redis ---------------------------------------------------------------------------------
struct RedisKeyDecision {
  enum class Kind { kKeep, kDrop, kReplaceString };
  Kind kind = Kind::kKeep;
  std::string value;  // the new string value for kReplaceString
};

class RedisTransform {
 public:
  virtual ~RedisTransform() = default;
  // `string_value` is set when the key holds a plain string; other types can be kept or dropped.
  virtual RedisKeyDecision Apply(int db, std::string_view key, std::optional<std::string_view> string_value) const = 0;
};

}  // namespace summit::transform
