// The `where` language of config/sanitization.yaml: the subset of SQL and Cypher predicates
// the spec's sanitization statements use, evaluated with SQL's three-valued logic so that a
// rule applies to exactly the rows the spec's UPDATE (or Cypher MATCH ... WHERE) touches.
//
//   expr  := or ;  or := and ('OR' and)* ;  and := not ('AND' not)* ;
//   not   := 'NOT' not | '(' expr ')' | pred
//   pred  := field 'IS' ['NOT'] 'NULL'
//          | field ['NOT'] 'LIKE' 'str'            -- PostgreSQL LIKE: % _ and \ escape
//          | field ['NOT'] ('ENDS' | 'STARTS') 'WITH' 'str' | field ['NOT'] 'CONTAINS' 'str'
//          | field ('=' | '<>' | '!=') 'str'
//   field := name | alias.name   (the alias, as in Cypher's u.email, is ignored)
// Keywords are case-insensitive; strings use single quotes with '' for a quote.
//
// A comparison with NULL (or, for Cypher, a non-string) is UNKNOWN; NOT UNKNOWN is UNKNOWN;
// a rule applies only when its condition is TRUE. Immutable after parsing: thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace summit::transform {

// A field's value as a predicate sees it.
struct FieldValue {
  enum class Kind { kNull, kString, kOther };  // kOther: a Cypher number, list, ... (not a string)
  Kind kind = Kind::kNull;
  std::string_view text;  // the string (kString) or its rendering (kOther)
};

enum class Tri { kFalse, kTrue, kUnknown };

class Condition {
 public:
  // Parses `text`; fails with kInvalidInput saying where the text stopped making sense.
  static Result<Condition> Parse(std::string_view text);
  // The condition that is always true (no `where`).
  static Condition Always();

  // Evaluates with `lookup(field index)`; indices refer to fields().
  Tri Evaluate(const std::function<FieldValue(size_t)>& lookup) const;
  // The field names the condition reads, in first-use order.
  const std::vector<std::string>& fields() const { return fields_; }
  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  std::vector<std::string> fields_;
  std::string text_;
};

// PostgreSQL LIKE on UTF-8 text: '%' any run of characters, '_' exactly one character (not
// one byte), '\' escapes the next pattern character; case-sensitive.
bool SqlLike(std::string_view value, std::string_view pattern);

// Number of UTF-8 code points (invalid bytes count as one each).
size_t Utf8Length(std::string_view s);
// The first `n` code points of `s`.
std::string_view Utf8Prefix(std::string_view s, size_t n);

}  // namespace summit::transform
