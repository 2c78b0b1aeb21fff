// Sanitization and reduction rules as data: the parsed form of config/sanitization.yaml.
//
// A PostgreSQL rule is one UPDATE statement of the spec: a table, a `where` condition and a
// set of column assignments whose expressions all read the row as it was before the rule
// (as SQL evaluates every SET expression against the old row). Rules run in file order, each
// seeing the previous rules' results, like consecutive UPDATE statements. Neo4j rules are the
// spec's MATCH/WHERE/SET/REMOVE statements; Redis rules match key patterns.
//
// Expressions (one kind each):
//   template: "dev_{id}@example.com"   {col} the value; {col:07} LPAD(col, 7, '0') exactly as
//             PostgreSQL (pads, or truncates to 7 characters); {col:.7} the first 7 characters
//             (Cypher substring(s, 0, 7)); {$id} the Neo4j node id. NULL if any input is NULL.
//   constant: "..."          null: true
//   md5: "{user_ip}dev_salt"   lower-case hex MD5 of the template (NULL stays NULL)
//   mask: {keep_last: 4, char: "*"}   letters and digits but the last N replaced; separators kept
//   pseudonym: {format: email|phone|hex, prefix: "user_"}   HMAC-SHA-256 of the value under the
//             environment's salt, so one input maps to one output in every store
//   vector: zero | noise (with scale)   pgvector "[..]" or array "{..}" text; noise is
//             deterministic per (salt, original value)
//
// Immutable after parsing: thread-safe to share.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "transform/condition.h"

namespace summit::transform {

struct TemplatePart {
  enum class Kind { kLiteral, kField, kNodeId };
  enum class Format { kPlain, kLpad, kPrefix };
  Kind kind = Kind::kLiteral;
  std::string text;  // literal text or field name
  Format format = Format::kPlain;
  size_t width = 0;
  char pad = '0';
};

struct ValueExpr {
  enum class Kind { kTemplate, kConstant, kNull, kMd5, kMask, kPseudonym, kVectorZero, kVectorNoise };
  Kind kind = Kind::kNull;
  std::vector<TemplatePart> parts;  // kTemplate, kMd5; kPseudonym's input (default: the column)
  std::string constant;             // kConstant
  size_t keep_last = 0;             // kMask
  char mask_char = '*';
  std::string format;               // kPseudonym: email | phone | hex
  std::string prefix;               // kPseudonym
  double scale = 0.0;               // kVectorNoise
  // Field names the expression reads (excluding the assigned column for kMask/kVector*).
  std::vector<std::string> Inputs() const;
};

struct Assignment {
  std::string target;  // column or property
  ValueExpr expr;
  int line = 0;
};

struct PgRule {
  std::string table;  // "users" (schema public) or "schema.table"
  std::string group;  // pii, sensitive, credentials, financial, derived_vectors ...
  Condition where = Condition::Always();
  std::vector<Assignment> set;
  int line = 0;        // the rule's first line
  int table_line = 0;  // the line of `table:`
  int where_line = 0;  // the line of `where:` (0: no where)
};

struct GraphRule {
  std::string label;  // MATCH (n:label); empty: any node
  std::string group;
  Condition where = Condition::Always();
  std::vector<Assignment> set;
  std::vector<std::string> remove_labels;
  std::vector<std::string> add_labels;
  int line = 0;
  int match_line = 0;  // the line of `match:` (0: any node)
  int where_line = 0;
};

struct RedisRule {
  enum class Action { kDrop, kReplace };
  std::string pattern;  // Redis glob: * ? [abc] [^a] [a-z] and \ escape
  std::string group;
  Action action = Action::kDrop;
  ValueExpr value;  // kReplace; fields: {key} the key, {value} the string value
  int line = 0;
};

struct Profile {
  std::string name;
  std::set<std::string> groups;  // rule groups applied
  std::string salt;              // pseudonym / noise key
};

struct ReductionRules {
  std::set<std::string> critical;                      // kept whole
  struct Window { std::string column; int days = 30; int line = 0; };
  std::map<std::string, Window> windows;               // table -> keep the last N days
  std::set<std::string> sample_only;                   // sampled even if listed nowhere else
  std::string seed = "summit-reduction-v1";
  int line = 0;
  int critical_line = 0, sample_line = 0;
};

struct RuleSet {
  std::string file;
  std::vector<PgRule> postgres;
  std::vector<GraphRule> neo4j;
  std::vector<RedisRule> redis;
  std::map<std::string, Profile> profiles;
  ReductionRules reduction;

  // The profile for an environment; kNotFound naming the known ones.
  Result<Profile> ProfileFor(std::string_view environment) const;
};

// Parses sanitization rules; errors name "file:line: path: what" (kInvalidInput).
Result<RuleSet> ParseRules(std::string_view yaml_text, const std::string& file);
// Reads and parses a file (kNotFound when unreadable).
Result<RuleSet> LoadRules(const std::string& path);

// What a backup holds, for ValidateRules and for the reducer's key and foreign-key knowledge.
struct ForeignKey {
  std::string column;
  std::string parent_table;
  std::string parent_column;
};
struct TableSchema {
  std::vector<std::string> columns;
  std::vector<std::string> primary_key;
  std::vector<ForeignKey> foreign_keys;
};
struct Schema {
  std::map<std::string, TableSchema> tables;  // "users", or "schema.table" outside public
  // True when the tables are a subset of the database (a tenant, project or minimal capture):
  // a rule's table that is missing is then a warning, not an error. Columns of a table that is
  // present are always checked.
  bool partial_tables = false;
  std::set<std::string> labels;               // Neo4j labels; empty set: not checked
  // Neo4j property keys per label, and over all nodes; empty: properties not checked.
  std::map<std::string, std::set<std::string>> label_properties;
  std::set<std::string> properties;
  bool partial_graph = false;                 // a filtered capture: a missing label is a warning
};

// One mismatch between a rules file and a backup's schema, at its YAML line. `message` reads
// "table 'users' has no column 'emial' in <where>", where <where> is ValidateRules' `in`.
struct RuleProblem {
  std::string file;
  int line = 0;
  std::string message;
  bool warning = false;  // the object may exist outside a partial capture: not an error
  std::string ToString() const { return file + ":" + std::to_string(line) + ": " + message; }
};

// Every rule (of every group, profiles aside) whose table, column (in `set`, `where` or a
// template), label or node property does not exist in `schema`, and every reduction table or
// window column that does not; each at the line of the offending entry. `in` ends each message
// ("backup summit-backup-full-...", default "the backup").
std::vector<RuleProblem> CheckRules(const RuleSet& rules, const Schema& schema, std::string_view in = "the backup");

// Fails with kInvalidInput listing the errors of CheckRules, one per line ("file:line: what").
Status ValidateRules(const RuleSet& rules, const Schema& schema, std::string_view in = "the backup");

// The tables, columns, primary and foreign keys that a PostgreSQL capture records in its
// attributes ("tables": [{schema, name, columns, primary_key, foreign_keys}], "partial").
Schema SchemaFromPgAttributes(const nlohmann::json& attributes);

// Redis glob matching, as KEYS/SCAN MATCH.
bool RedisGlobMatch(std::string_view pattern, std::string_view key);

}  // namespace summit::transform
