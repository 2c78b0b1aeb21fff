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
  int line = 0;
};

struct GraphRule {
  std::string label;  // MATCH (n:label); empty: any node
  std::string group;
  Condition where = Condition::Always();
  std::vector<Assignment> set;
  std::vector<std::string> remove_labels;
  std::vector<std::string> add_labels;
  int line = 0;
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
  struct Window { std::string column; int days = 30; };
  std::map<std::string, Window> windows;               // table -> keep the last N days
  std::set<std::string> sample_only;                   // sampled even if listed nowhere else
  std::string seed = "summit-reduction-v1";
  int line = 0;
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
  std::set<std::string> labels;               // Neo4j labels; empty set: not checked
};

// Fails with kInvalidInput listing, one per line with its YAML line, every rule whose table,
// column or label does not exist in `schema`.
Status ValidateRules(const RuleSet& rules, const Schema& schema);

// Redis glob matching, as KEYS/SCAN MATCH.
bool RedisGlobMatch(std::string_view pattern, std::string_view key);

}  // namespace summit::transform
