#include "transform/sanitizer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <deque>
#include <mutex>

#include "transform/digest.h"

namespace summit::transform {
namespace {

std::string Hex(const uint8_t* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

// PostgreSQL lpad(s, n, fill): pads on the left, or truncates to the first n characters.
std::string Lpad(std::string_view s, size_t n, char fill) {
  size_t len = Utf8Length(s);
  if (len >= n) return std::string(Utf8Prefix(s, n));
  return std::string(n - len, fill) + std::string(s);
}

std::optional<std::string> Render(const std::vector<TemplatePart>& parts, const std::function<FieldValue(std::string_view)>& field,
                                  std::optional<int64_t> node_id) {
  std::string out;
  for (const auto& p : parts) {
    std::string value;
    switch (p.kind) {
      case TemplatePart::Kind::kLiteral: out += p.text; continue;
      case TemplatePart::Kind::kNodeId:
        if (!node_id) return std::nullopt;
        value = std::to_string(*node_id);
        break;
      case TemplatePart::Kind::kField: {
        FieldValue v = field(p.text);
        if (v.kind == FieldValue::Kind::kNull) return std::nullopt;  // NULL || x is NULL; null + x is null
        value = std::string(v.text);
        break;
      }
    }
    switch (p.format) {
      case TemplatePart::Format::kPlain: out += value; break;
      case TemplatePart::Format::kLpad: out += Lpad(value, p.width, p.pad); break;
      case TemplatePart::Format::kPrefix: out += Utf8Prefix(value, p.width); break;
    }
  }
  return out;
}

bool Maskable(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

std::string Mask(std::string_view s, size_t keep_last, char mask_char) {
  // Count maskable characters (a multibyte character counts once).
  size_t total = 0;
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8Prefix(s.substr(i), 1).size();
    if (Maskable(static_cast<unsigned char>(s[i]))) ++total;
    i += n;
  }
  size_t to_mask = total > keep_last ? total - keep_last : 0;
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8Prefix(s.substr(i), 1).size();
    if (Maskable(static_cast<unsigned char>(s[i])) && to_mask > 0) {
      out.push_back(mask_char);
      --to_mask;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string Pseudonym(const ValueExpr& e, std::string_view input, std::string_view salt) {
  auto mac = HmacSha256(salt, input);
  if (e.format == "email") return (e.prefix.empty() ? "user_" : e.prefix) + Hex(mac.data(), 8) + "@example.com";
  if (e.format == "phone") {
    std::string digits = std::to_string(First64(mac) % 10000000ULL);
    return e.prefix + "+1-555-" + std::string(7 - digits.size(), '0') + digits;
  }
  return e.prefix + Hex(mac.data(), 16);
}

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// pgvector "[1,2,3]" or an array "{1,2,3}". Elements that are not numbers (NULL) are kept.
std::optional<std::string> VectorOp(const ValueExpr& e, std::string_view v, std::string_view salt) {
  std::string_view t = v;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  if (t.size() < 2 || !((t.front() == '[' && t.back() == ']') || (t.front() == '{' && t.back() == '}'))) {
    return std::nullopt;  // not a vector: fail closed (NULL) rather than leak it
  }
  uint64_t state = First64(HmacSha256(salt, "vector:" + std::string(v)));
  std::string out(1, t.front());
  std::string_view body = t.substr(1, t.size() - 2);
  size_t start = 0;
  bool first = true;
  while (start <= body.size() && !body.empty()) {
    size_t comma = body.find(',', start);
    std::string_view el = body.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!el.empty() && std::isspace(static_cast<unsigned char>(el.front()))) el.remove_prefix(1);
    while (!el.empty() && std::isspace(static_cast<unsigned char>(el.back()))) el.remove_suffix(1);
    if (!first) out.push_back(',');
    first = false;
    float x = 0;
    auto [p, ec] = std::from_chars(el.data(), el.data() + el.size(), x);
    if (ec != std::errc() || p != el.data() + el.size()) {
      out.append(el);
    } else {
      float y = 0;
      if (e.kind == ValueExpr::Kind::kVectorNoise) {
        double u = static_cast<double>(SplitMix(state) >> 11) / 9007199254740992.0;  // [0, 1)
        y = static_cast<float>(x + e.scale * (2.0 * u - 1.0));
      }
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof(buf), y);
      out.append(buf, r.ptr);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  out.push_back(t.back());
  return out;
}

bool UsesSalt(const ValueExpr& e) {
  return e.kind == ValueExpr::Kind::kPseudonym || e.kind == ValueExpr::Kind::kVectorNoise;
}

Status CheckSalt(const std::string& salt, const Profile& profile, bool needed) {
  if (needed && salt.empty()) {
    return Fail(ErrorCode::kInvalidInput,
                "sanitization profile '" + profile.name + "' uses pseudonym or noise rules but has no salt",
                "set profiles." + profile.name + ".salt in sanitization.yaml or SUMMIT_SANITIZE_SALT");
  }
  return Ok();
}

}  // namespace

std::optional<std::string> EvaluateExpr(const ValueExpr& e, const std::function<FieldValue(std::string_view)>& field,
                                        FieldValue current, std::optional<int64_t> node_id, std::string_view salt) {
  bool current_null = current.kind == FieldValue::Kind::kNull;
  switch (e.kind) {
    case ValueExpr::Kind::kTemplate: return Render(e.parts, field, node_id);
    case ValueExpr::Kind::kConstant: return e.constant;
    case ValueExpr::Kind::kNull: return std::nullopt;
    case ValueExpr::Kind::kMd5: {
      auto in = Render(e.parts, field, node_id);
      if (!in) return std::nullopt;
      return Md5Hex(*in);
    }
    case ValueExpr::Kind::kMask:
      if (current_null) return std::nullopt;
      return Mask(current.text, e.keep_last, e.mask_char);
    case ValueExpr::Kind::kPseudonym: {
      std::optional<std::string> in;
      if (!e.parts.empty()) in = Render(e.parts, field, node_id);
      else if (!current_null) in = std::string(current.text);
      if (!in) return std::nullopt;
      return Pseudonym(e, *in, salt);
    }
    case ValueExpr::Kind::kVectorZero:
    case ValueExpr::Kind::kVectorNoise:
      if (current_null) return std::nullopt;
      return VectorOp(e, current.text, salt);
  }
  return std::nullopt;
}

std::string TableKey(const PgTable& t) {
  return (t.schema.empty() || t.schema == "public") ? t.name : t.schema + "." + t.name;
}

// --- PostgreSQL ------------------------------------------------------------------------------

struct PgSanitizer::Bound {
  struct Assign {
    size_t target;
    const ValueExpr* expr;
  };
  struct Rule {
    const PgRule* rule;
    std::vector<size_t> where_cols;  // by condition field index
    std::vector<Assign> set;
  };
  std::vector<std::string> columns;
  std::vector<Rule> rules;
};

Result<std::unique_ptr<PgSanitizer>> PgSanitizer::Create(const RuleSet& rules, const Profile& profile, std::string salt_override) {
  std::unique_ptr<PgSanitizer> s(new PgSanitizer());
  s->file_ = rules.file;
  s->salt_ = salt_override.empty() ? profile.salt : std::move(salt_override);
  bool needs_salt = false;
  for (const auto& r : rules.postgres) {
    if (!profile.groups.count(r.group)) continue;
    for (const auto& a : r.set) needs_salt |= UsesSalt(a.expr);
    s->rules_[r.table].push_back(r);
  }
  SUMMIT_TRY(CheckSalt(s->salt_, profile, needs_salt));
  return s;
}

bool PgSanitizer::Applies(const PgTable& table) const { return rules_.count(TableKey(table)) > 0; }

Result<std::shared_ptr<const PgSanitizer::Bound>> PgSanitizer::Bind(const PgTable& table) const {
  std::string key = TableKey(table);
  {
    std::shared_lock lock(mu_);
    auto it = bound_.find(key);
    if (it != bound_.end() && it->second->columns == table.columns) return it->second;
  }
  auto b = std::make_shared<Bound>();
  b->columns = table.columns;
  auto index = [&](const std::string& name, int line) -> Result<size_t> {
    auto it = std::find(table.columns.begin(), table.columns.end(), name);
    if (it == table.columns.end()) {
      return Fail(ErrorCode::kNotFound,
                  "sanitizing table " + key + ": column '" + name + "' (rule at " + file_ + ":" + std::to_string(line) +
                      ") does not exist in the restored table",
                  "run 'summit-dr config check' against this backup, or fix the rule");
    }
    return static_cast<size_t>(it - table.columns.begin());
  };
  auto rit = rules_.find(key);
  if (rit != rules_.end()) {
    for (const auto& r : rit->second) {
      Bound::Rule br{&r, {}, {}};
      for (const auto& f : r.where.fields()) {
        SUMMIT_ASSIGN_OR_RETURN(size_t i, index(f, r.line));
        br.where_cols.push_back(i);
      }
      for (const auto& a : r.set) {
        SUMMIT_ASSIGN_OR_RETURN(size_t t, index(a.target, a.line));
        for (const auto& in : a.expr.Inputs()) SUMMIT_TRY(index(in, a.line));
        br.set.push_back({t, &a.expr});
      }
      b->rules.push_back(std::move(br));
    }
  }
  std::unique_lock lock(mu_);
  bound_[key] = b;  // a table fed with another column list rebinds
  return std::shared_ptr<const Bound>(b);
}

Result<bool> PgSanitizer::Apply(const PgTable& table, PgRow& row) const {
  if (!Applies(table)) return true;
  SUMMIT_ASSIGN_OR_RETURN(auto b, Bind(table));
  if (row.size() != b->columns.size()) {
    return Fail(ErrorCode::kCorruption, "sanitizing table " + TableKey(table) + ": a row has " + std::to_string(row.size()) +
                                            " fields, the table " + std::to_string(b->columns.size()) + " columns");
  }
  auto value_of = [&](size_t i) {
    return row[i] ? FieldValue{FieldValue::Kind::kString, *row[i]} : FieldValue{};
  };
  std::vector<std::optional<std::string>> results;
  results.reserve(8);
  for (const auto& r : b->rules) {
    Tri t = r.rule->where.Evaluate([&](size_t f) { return value_of(r.where_cols[f]); });
    if (t != Tri::kTrue) continue;
    // Every SET expression reads the row as it was before this statement.
    auto field = [&](std::string_view name) {
      for (size_t i = 0; i < b->columns.size(); ++i) {
        if (b->columns[i] == name) return value_of(i);
      }
      return FieldValue{};
    };
    results.clear();
    for (const auto& a : r.set) results.push_back(EvaluateExpr(*a.expr, field, value_of(a.target), std::nullopt, salt_));
    for (size_t k = 0; k < r.set.size(); ++k) row[r.set[k].target] = std::move(results[k]);
  }
  return true;
}

// --- Neo4j -----------------------------------------------------------------------------------

Result<std::unique_ptr<GraphSanitizer>> GraphSanitizer::Create(const RuleSet& rules, const Profile& profile, std::string salt_override) {
  std::unique_ptr<GraphSanitizer> s(new GraphSanitizer());
  s->salt_ = salt_override.empty() ? profile.salt : std::move(salt_override);
  bool needs_salt = false;
  for (const auto& r : rules.neo4j) {
    if (!profile.groups.count(r.group)) continue;
    for (const auto& a : r.set) needs_salt |= UsesSalt(a.expr);
    s->rules_.push_back(r);
  }
  SUMMIT_TRY(CheckSalt(s->salt_, profile, needs_salt));
  return s;
}

Result<bool> GraphSanitizer::ApplyNode(GraphNode& node) const {
  if (!node.properties.is_object()) {
    return Fail(ErrorCode::kCorruption, "sanitizing node " + std::to_string(node.id) + ": properties are not a JSON object");
  }
  std::deque<std::string> renders;  // keeps non-string renderings alive (stable addresses) for FieldValue views
  auto prop = [&](std::string_view name) -> FieldValue {
    auto it = node.properties.find(std::string(name));
    if (it == node.properties.end() || it->is_null()) return FieldValue{};
    if (it->is_string()) return FieldValue{FieldValue::Kind::kString, it->get_ref<const std::string&>()};
    renders.push_back(it->dump());
    return FieldValue{FieldValue::Kind::kOther, renders.back()};
  };
  for (const auto& r : rules_) {
    if (!r.label.empty() && std::find(node.labels.begin(), node.labels.end(), r.label) == node.labels.end()) continue;
    renders.clear();
    Tri t = r.where.Evaluate([&](size_t f) { return prop(r.where.fields()[f]); });
    if (t != Tri::kTrue) continue;
    std::vector<std::optional<std::string>> results;
    for (const auto& a : r.set) results.push_back(EvaluateExpr(a.expr, prop, prop(a.target), node.id, salt_));
    for (size_t k = 0; k < r.set.size(); ++k) {
      if (results[k]) node.properties[r.set[k].target] = *results[k];
      else node.properties.erase(r.set[k].target);  // SET n.p = null removes the property
    }
    for (const auto& l : r.remove_labels) {
      node.labels.erase(std::remove(node.labels.begin(), node.labels.end(), l), node.labels.end());
    }
    for (const auto& l : r.add_labels) {
      if (std::find(node.labels.begin(), node.labels.end(), l) == node.labels.end()) node.labels.push_back(l);
    }
  }
  return true;
}

Result<bool> GraphSanitizer::ApplyRelationship(GraphRelationship&) const { return true; }

// --- Redis -----------------------------------------------------------------------------------

Result<std::unique_ptr<RedisSanitizer>> RedisSanitizer::Create(const RuleSet& rules, const Profile& profile, std::string salt_override) {
  std::unique_ptr<RedisSanitizer> s(new RedisSanitizer());
  s->salt_ = salt_override.empty() ? profile.salt : std::move(salt_override);
  bool needs_salt = false;
  for (const auto& r : rules.redis) {
    if (!profile.groups.count(r.group)) continue;
    needs_salt |= r.action == RedisRule::Action::kReplace && UsesSalt(r.value);
    s->rules_.push_back(r);
  }
  SUMMIT_TRY(CheckSalt(s->salt_, profile, needs_salt));
  return s;
}

RedisKeyDecision RedisSanitizer::Apply(int, std::string_view key, std::optional<std::string_view> string_value) const {
  for (const auto& r : rules_) {
    if (!RedisGlobMatch(r.pattern, key)) continue;
    if (r.action == RedisRule::Action::kDrop || !string_value) return {RedisKeyDecision::Kind::kDrop, {}};
    FieldValue current{FieldValue::Kind::kString, *string_value};
    auto field = [&](std::string_view name) -> FieldValue {
      if (name == "key") return FieldValue{FieldValue::Kind::kString, key};
      if (name == "value") return current;
      return FieldValue{};
    };
    auto v = EvaluateExpr(r.value, field, current, std::nullopt, salt_);
    if (!v) return {RedisKeyDecision::Kind::kDrop, {}};
    return {RedisKeyDecision::Kind::kReplaceString, std::move(*v)};
  }
  return {};
}

// --- Chain -----------------------------------------------------------------------------------

bool ChainedPgTransform::Applies(const PgTable& table) const {
  return std::any_of(parts_.begin(), parts_.end(), [&](const PgRowTransform* p) { return p->Applies(table); });
}

Result<bool> ChainedPgTransform::Apply(const PgTable& table, PgRow& row) const {
  for (const auto* p : parts_) {
    if (!p->Applies(table)) continue;
    SUMMIT_ASSIGN_OR_RETURN(bool keep, p->Apply(table, row));
    if (!keep) return false;
  }
  return true;
}

bool ChainedPgTransform::NeedsParentsFirst() const {
  return std::any_of(parts_.begin(), parts_.end(), [](const PgRowTransform* p) { return p->NeedsParentsFirst(); });
}

Status ChainedPgTransform::EndTable(const PgTable& table) const {
  for (const auto* p : parts_) SUMMIT_TRY(p->EndTable(table));
  return Ok();
}

}  // namespace summit::transform
