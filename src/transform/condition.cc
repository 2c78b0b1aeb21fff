#include "transform/condition.h"

#include <cctype>

namespace summit::transform {

struct Condition::Node {
  enum class Op { kTrue, kAnd, kOr, kNot, kIsNull, kIsNotNull, kLike, kEndsWith, kStartsWith, kContains, kEq, kNe };
  Op op = Op::kTrue;
  std::shared_ptr<const Node> a, b;
  size_t field = 0;
  std::string literal;
};

namespace {

using Node = Condition::Node;
using Op = Node::Op;

size_t Utf8SeqLen(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

size_t NextChar(std::string_view s, size_t i) {
  size_t n = Utf8SeqLen(static_cast<unsigned char>(s[i]));
  return i + n > s.size() ? s.size() : i + n;
}

bool LikeAt(std::string_view v, size_t vi, std::string_view p, size_t pi) {
  while (pi < p.size()) {
    char c = p[pi];
    if (c == '%') {
      while (pi < p.size() && p[pi] == '%') ++pi;
      if (pi == p.size()) return true;
      std::string_view rest = p.substr(pi);
      if (rest.find_first_of("%_\\") == std::string_view::npos) {
        // '%literal': a suffix test. A byte suffix equal to valid UTF-8 starts on a character
        // boundary, so this agrees with the character-wise match.
        return v.size() - vi >= rest.size() && v.substr(v.size() - rest.size()) == rest;
      }
      for (size_t k = vi; k <= v.size(); k = (k == v.size() ? k + 1 : NextChar(v, k))) {
        if (LikeAt(v, k, p, pi)) return true;
        if (k == v.size()) break;
      }
      return false;
    }
    if (vi >= v.size()) return false;
    if (c == '_') {
      vi = NextChar(v, vi);
      ++pi;
      continue;
    }
    if (c == '\\' && pi + 1 < p.size()) ++pi;
    size_t pn = NextChar(p, pi);
    size_t vn = NextChar(v, vi);
    if (p.substr(pi, pn - pi) != v.substr(vi, vn - vi)) return false;
    pi = pn;
    vi = vn;
  }
  return vi == v.size();
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<std::string>& fields) : s_(text), fields_(fields) {}

  Result<std::shared_ptr<const Node>> ParseAll() {
    SUMMIT_ASSIGN_OR_RETURN(auto n, Or());
    SkipSpace();
    if (pos_ != s_.size()) return Err("unexpected '" + std::string(s_.substr(pos_)) + "'");
    return n;
  }

 private:
  Unexpected Err(const std::string& what) const {
    return Fail(ErrorCode::kInvalidInput, "condition \"" + std::string(s_) + "\" at offset " + std::to_string(pos_) + ": " + what,
                "conditions use IS [NOT] NULL, [NOT] LIKE, [NOT] ENDS WITH, =, AND, OR, NOT and parentheses");
  }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  // Consumes keyword `kw` (case-insensitive, whole word) if next.
  bool Keyword(std::string_view kw) {
    SkipSpace();
    if (s_.size() - pos_ < kw.size()) return false;
    for (size_t i = 0; i < kw.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(s_[pos_ + i])) != kw[i]) return false;
    }
    size_t end = pos_ + kw.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) return false;
    pos_ = end;
    return true;
  }
  bool Symbol(std::string_view sym) {
    SkipSpace();
    if (s_.substr(pos_, sym.size()) == sym) {
      pos_ += sym.size();
      return true;
    }
    return false;
  }
  Result<std::shared_ptr<const Node>> Or() {
    SUMMIT_ASSIGN_OR_RETURN(auto left, And());
    while (Keyword("OR")) {
      SUMMIT_ASSIGN_OR_RETURN(auto right, And());
      left = Make(Op::kOr, left, right);
    }
    return left;
  }
  Result<std::shared_ptr<const Node>> And() {
    SUMMIT_ASSIGN_OR_RETURN(auto left, Not());
    while (Keyword("AND")) {
      SUMMIT_ASSIGN_OR_RETURN(auto right, Not());
      left = Make(Op::kAnd, left, right);
    }
    return left;
  }
  Result<std::shared_ptr<const Node>> Not() {
    if (Keyword("NOT")) {
      SUMMIT_ASSIGN_OR_RETURN(auto inner, Not());
      return Make(Op::kNot, inner, nullptr);
    }
    if (Symbol("(")) {
      SUMMIT_ASSIGN_OR_RETURN(auto inner, Or());
      if (!Symbol(")")) return Err("expected ')'");
      return inner;
    }
    return Pred();
  }
  static std::shared_ptr<const Node> Make(Op op, std::shared_ptr<const Node> a, std::shared_ptr<const Node> b) {
    auto n = std::make_shared<Node>();
    n->op = op;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }
  Result<std::string> Literal() {
    SkipSpace();
    if (pos_ >= s_.size() || s_[pos_] != '\'') return Err("expected a 'quoted string'");
    std::string out;
    for (++pos_; pos_ < s_.size(); ++pos_) {
      if (s_[pos_] == '\'') {
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
          out.push_back('\'');
          ++pos_;
          continue;
        }
        ++pos_;
        return out;
      }
      out.push_back(s_[pos_]);
    }
    return Err("unterminated string");
  }
  Result<size_t> Field() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '.')) ++pos_;
    if (start == pos_) return Err("expected a column or property name");
    std::string name(s_.substr(start, pos_ - start));
    if (size_t dot = name.rfind('.'); dot != std::string::npos) name = name.substr(dot + 1);
    if (name.empty()) return Err("expected a name after '.'");
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i] == name) return i;
    }
    fields_.push_back(name);
    return fields_.size() - 1;
  }
  Result<std::shared_ptr<const Node>> Pred() {
    SUMMIT_ASSIGN_OR_RETURN(size_t field, Field());
    auto n = std::make_shared<Node>();
    n->field = field;
    if (Keyword("IS")) {
      bool negate = Keyword("NOT");
      if (!Keyword("NULL")) return Err("expected NULL after IS");
      n->op = negate ? Op::kIsNotNull : Op::kIsNull;
      return std::shared_ptr<const Node>(n);
    }
    bool negate = Keyword("NOT");
    if (Keyword("LIKE")) {
      n->op = Op::kLike;
    } else if (Keyword("ENDS")) {
      if (!Keyword("WITH")) return Err("expected WITH after ENDS");
      n->op = Op::kEndsWith;
    } else if (Keyword("STARTS")) {
      if (!Keyword("WITH")) return Err("expected WITH after STARTS");
      n->op = Op::kStartsWith;
    } else if (Keyword("CONTAINS")) {
      n->op = Op::kContains;
    } else if (!negate && Symbol("=")) {
      n->op = Op::kEq;
    } else if (!negate && (Symbol("<>") || Symbol("!="))) {
      n->op = Op::kNe;
    } else {
      return Err("expected IS, LIKE, ENDS WITH, STARTS WITH, CONTAINS, = or <>");
    }
    SUMMIT_ASSIGN_OR_RETURN(n->literal, Literal());
    std::shared_ptr<const Node> out = n;
    if (negate) out = Make(Op::kNot, out, nullptr);
    return out;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::vector<std::string>& fields_;
};

Tri FromBool(bool b) { return b ? Tri::kTrue : Tri::kFalse; }

Tri Eval(const Node& n, const std::function<FieldValue(size_t)>& lookup) {
  switch (n.op) {
    case Op::kTrue: return Tri::kTrue;
    case Op::kAnd: {
      Tri a = Eval(*n.a, lookup);
      if (a == Tri::kFalse) return Tri::kFalse;
      Tri b = Eval(*n.b, lookup);
      if (b == Tri::kFalse) return Tri::kFalse;
      return (a == Tri::kTrue && b == Tri::kTrue) ? Tri::kTrue : Tri::kUnknown;
    }
    case Op::kOr: {
      Tri a = Eval(*n.a, lookup);
      if (a == Tri::kTrue) return Tri::kTrue;
      Tri b = Eval(*n.b, lookup);
      if (b == Tri::kTrue) return Tri::kTrue;
      return (a == Tri::kFalse && b == Tri::kFalse) ? Tri::kFalse : Tri::kUnknown;
    }
    case Op::kNot: {
      Tri a = Eval(*n.a, lookup);
      return a == Tri::kUnknown ? a : (a == Tri::kTrue ? Tri::kFalse : Tri::kTrue);
    }
    case Op::kIsNull: return FromBool(lookup(n.field).kind == FieldValue::Kind::kNull);
    case Op::kIsNotNull: return FromBool(lookup(n.field).kind != FieldValue::Kind::kNull);
    default: break;
  }
  FieldValue v = lookup(n.field);
  if (v.kind != FieldValue::Kind::kString) return Tri::kUnknown;
  std::string_view t = v.text;
  const std::string& lit = n.literal;
  switch (n.op) {
    case Op::kLike: return FromBool(SqlLike(t, lit));
    case Op::kEndsWith: return FromBool(t.size() >= lit.size() && t.substr(t.size() - lit.size()) == lit);
    case Op::kStartsWith: return FromBool(t.substr(0, lit.size()) == lit);
    case Op::kContains: return FromBool(t.find(lit) != std::string_view::npos);
    case Op::kEq: return FromBool(t == lit);
    case Op::kNe: return FromBool(t != lit);
    default: return Tri::kUnknown;
  }
}

}  // namespace

Result<Condition> Condition::Parse(std::string_view text) {
  Condition c;
  c.text_ = std::string(text);
  Parser p(c.text_, c.fields_);
  SUMMIT_ASSIGN_OR_RETURN(c.root_, p.ParseAll());
  return c;
}

Condition Condition::Always() {
  Condition c;
  c.root_ = std::make_shared<Node>();
  return c;
}

Tri Condition::Evaluate(const std::function<FieldValue(size_t)>& lookup) const {
  return root_ ? Eval(*root_, lookup) : Tri::kTrue;
}

bool SqlLike(std::string_view value, std::string_view pattern) { return LikeAt(value, 0, pattern, 0); }

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i = NextChar(s, i)) ++n;
  return n;
}

std::string_view Utf8Prefix(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t k = 0; k < n && i < s.size(); ++k) i = NextChar(s, i);
  return s.substr(0, i);
}

}  // namespace summit::transform
