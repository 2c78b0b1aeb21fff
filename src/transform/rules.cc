#include "transform/rules.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace summit::transform {
namespace {

const char kHint[] = "see docs/sanitization.md for the rule format";

int Line(const YAML::Node& n) { return n.IsDefined() && n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

class Ctx {
 public:
  explicit Ctx(std::string file) : file_(std::move(file)) {}
  Unexpected Err(const YAML::Node& n, const std::string& path, const std::string& what, std::string hint = kHint) const {
    return Fail(ErrorCode::kInvalidInput, file_ + ":" + std::to_string(Line(n)) + ": " + path + ": " + what, std::move(hint));
  }
  Status Keys(const YAML::Node& n, const std::string& path, std::initializer_list<const char*> allowed) const {
    if (!n.IsMap()) return Err(n, path, "must be a mapping");
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>();
      bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; });
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return Err(it->first, path + "." + k, "unknown key '" + k + "'", "allowed here: " + list);
      }
    }
    return Ok();
  }
  Result<std::string> Str(const YAML::Node& map, const std::string& path, const char* key, bool required) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) return Err(map, path + "." + key, std::string("missing required field '") + key + "'");
      return std::string();
    }
    if (!n.IsScalar()) return Err(n, path + "." + key, "must be a string");
    return n.Scalar();
  }
  Result<std::vector<std::string>> List(const YAML::Node& map, const std::string& path, const char* key) const {
    std::vector<std::string> out;
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsSequence()) return Err(n, path + "." + key, "must be a list of strings");
    for (const auto& x : n) {
      if (!x.IsScalar()) return Err(x, path + "." + key, "must be a list of strings");
      out.push_back(x.Scalar());
    }
    return out;
  }

 private:
  std::string file_;
};

Result<std::vector<TemplatePart>> ParseTemplate(std::string_view t) {
  std::vector<TemplatePart> parts;
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) parts.push_back(TemplatePart{TemplatePart::Kind::kLiteral, lit});
    lit.clear();
  };
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if ((c == '{' || c == '}') && i + 1 < t.size() && t[i + 1] == c) {
      lit.push_back(c);
      ++i;
      continue;
    }
    if (c == '}') return Fail(ErrorCode::kInvalidInput, "template \"" + std::string(t) + "\": unmatched '}' (write '}}')");
    if (c != '{') {
      lit.push_back(c);
      continue;
    }
    size_t end = t.find('}', i);
    if (end == std::string_view::npos) return Fail(ErrorCode::kInvalidInput, "template \"" + std::string(t) + "\": unclosed '{'");
    std::string_view inner = t.substr(i + 1, end - i - 1);
    TemplatePart p;
    std::string_view name = inner, spec;
    if (size_t colon = inner.find(':'); colon != std::string_view::npos) {
      name = inner.substr(0, colon);
      spec = inner.substr(colon + 1);
    }
    if (name.empty()) return Fail(ErrorCode::kInvalidInput, "template \"" + std::string(t) + "\": empty field name in {}");
    if (name == "$id") {
      p.kind = TemplatePart::Kind::kNodeId;
    } else {
      p.kind = TemplatePart::Kind::kField;
      p.text = std::string(name);
    }
    if (!spec.empty()) {
      auto number = [&](std::string_view digits) -> Result<size_t> {
        if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char d) { return d >= '0' && d <= '9'; })) {
          return Fail(ErrorCode::kInvalidInput, "template \"" + std::string(t) + "\": bad format '" + std::string(spec) +
                                                    "' (use :07 for LPAD to 7 with '0', :.7 for the first 7 characters)");
        }
        return static_cast<size_t>(std::stoul(std::string(digits)));
      };
      if (spec[0] == '.') {
        p.format = TemplatePart::Format::kPrefix;
        SUMMIT_ASSIGN_OR_RETURN(p.width, number(spec.substr(1)));
      } else if (spec.size() >= 2 && spec[0] == '0') {
        p.format = TemplatePart::Format::kLpad;
        p.pad = '0';
        SUMMIT_ASSIGN_OR_RETURN(p.width, number(spec.substr(1)));
      } else {
        SUMMIT_ASSIGN_OR_RETURN(p.width, number(""));
      }
    }
    flush();
    parts.push_back(std::move(p));
    i = end;
  }
  flush();
  return parts;
}

Result<ValueExpr> ParseExpr(const Ctx& ctx, const YAML::Node& n, const std::string& path) {
  ValueExpr e;
  if (!n.IsMap() || n.size() != 1) {
    return ctx.Err(n, path, "must be a mapping with exactly one of template, constant, null, md5, mask, pseudonym, vector");
  }
  std::string kind = n.begin()->first.as<std::string>();
  YAML::Node v = n.begin()->second;
  auto tmpl = [&](const YAML::Node& s) -> Result<std::vector<TemplatePart>> {
    if (!s.IsScalar()) return ctx.Err(s, path + "." + kind, "must be a template string");
    auto parts = ParseTemplate(s.Scalar());
    if (!parts) return ctx.Err(s, path + "." + kind, parts.error().message());
    return std::move(*parts);
  };
  if (kind == "template") {
    e.kind = ValueExpr::Kind::kTemplate;
    SUMMIT_ASSIGN_OR_RETURN(e.parts, tmpl(v));
  } else if (kind == "constant") {
    if (!v.IsScalar()) return ctx.Err(v, path + ".constant", "must be a string");
    e.kind = ValueExpr::Kind::kConstant;
    e.constant = v.Scalar();
  } else if (kind == "null") {
    if (!v.IsScalar() || v.Scalar() != "true") return ctx.Err(v, path + ".null", "write 'null: true'");
    e.kind = ValueExpr::Kind::kNull;
  } else if (kind == "md5") {
    e.kind = ValueExpr::Kind::kMd5;
    SUMMIT_ASSIGN_OR_RETURN(e.parts, tmpl(v));
  } else if (kind == "mask") {
    e.kind = ValueExpr::Kind::kMask;
    if (!v.IsMap()) return ctx.Err(v, path + ".mask", "must be a mapping {keep_last: N, char: '*'}");
    SUMMIT_TRY(ctx.Keys(v, path + ".mask", {"keep_last", "char"}));
    e.keep_last = v["keep_last"].IsDefined() ? v["keep_last"].as<size_t>() : 0;
    std::string ch = v["char"].IsDefined() ? v["char"].Scalar() : "*";
    if (ch.size() != 1) return ctx.Err(v["char"], path + ".mask.char", "must be one ASCII character");
    e.mask_char = ch[0];
  } else if (kind == "pseudonym") {
    e.kind = ValueExpr::Kind::kPseudonym;
    if (!v.IsMap()) return ctx.Err(v, path + ".pseudonym", "must be a mapping {format: email|phone|hex, prefix, input}");
    SUMMIT_TRY(ctx.Keys(v, path + ".pseudonym", {"format", "prefix", "input"}));
    SUMMIT_ASSIGN_OR_RETURN(e.format, ctx.Str(v, path + ".pseudonym", "format", false));
    if (e.format.empty()) e.format = "hex";
    if (e.format != "email" && e.format != "phone" && e.format != "hex") {
      return ctx.Err(v["format"], path + ".pseudonym.format", "unknown format '" + e.format + "'", "use email, phone or hex");
    }
    SUMMIT_ASSIGN_OR_RETURN(e.prefix, ctx.Str(v, path + ".pseudonym", "prefix", false));
    if (v["input"].IsDefined()) {
      SUMMIT_ASSIGN_OR_RETURN(e.parts, tmpl(v["input"]));
    }
  } else if (kind == "vector") {
    if (v.IsScalar() && v.Scalar() == "zero") {
      e.kind = ValueExpr::Kind::kVectorZero;
    } else if (v.IsMap() && v["noise"].IsDefined()) {
      SUMMIT_TRY(ctx.Keys(v, path + ".vector", {"noise"}));
      e.kind = ValueExpr::Kind::kVectorNoise;
      e.scale = v["noise"].as<double>();
      if (!(e.scale > 0)) return ctx.Err(v["noise"], path + ".vector.noise", "must be a positive scale");
    } else {
      return ctx.Err(v, path + ".vector", "write 'vector: zero' or 'vector: {noise: 0.05}' (use 'null: true' to drop)");
    }
  } else {
    return ctx.Err(n.begin()->first, path + "." + kind, "unknown expression kind '" + kind + "'",
                   "use template, constant, null, md5, mask, pseudonym or vector");
  }
  return e;
}

Result<std::vector<Assignment>> ParseSet(const Ctx& ctx, const YAML::Node& rule, const std::string& path) {
  std::vector<Assignment> out;
  YAML::Node s = rule["set"];
  if (!s.IsDefined() || s.IsNull()) return out;
  if (!s.IsMap()) return ctx.Err(s, path + ".set", "must be a mapping of column to expression");
  for (auto it = s.begin(); it != s.end(); ++it) {
    Assignment a;
    a.target = it->first.as<std::string>();
    a.line = Line(it->first);
    SUMMIT_ASSIGN_OR_RETURN(a.expr, ParseExpr(ctx, it->second, path + ".set." + a.target));
    out.push_back(std::move(a));
  }
  return out;
}

Result<Condition> ParseWhere(const Ctx& ctx, const YAML::Node& rule, const std::string& path) {
  YAML::Node w = rule["where"];
  if (!w.IsDefined() || w.IsNull()) return Condition::Always();
  if (!w.IsScalar()) return ctx.Err(w, path + ".where", "must be a condition string");
  auto c = Condition::Parse(w.Scalar());
  if (!c) return ctx.Err(w, path + ".where", c.error().message(), c.error().hint());
  return std::move(*c);
}

}  // namespace

std::vector<std::string> ValueExpr::Inputs() const {
  std::vector<std::string> out;
  for (const auto& p : parts) {
    if (p.kind == TemplatePart::Kind::kField) out.push_back(p.text);
  }
  return out;
}

Result<Profile> RuleSet::ProfileFor(std::string_view environment) const {
  auto it = profiles.find(std::string(environment));
  if (it == profiles.end()) {
    std::string names;
    for (const auto& [n, p] : profiles) names += (names.empty() ? "" : ", ") + n;
    return Fail(ErrorCode::kNotFound, "no sanitization profile for environment '" + std::string(environment) + "' in " + file,
                "profiles: " + names);
  }
  return it->second;
}

Result<RuleSet> ParseRules(std::string_view yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidInput, file + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg, kHint);
  }
  Ctx ctx(file);
  RuleSet rs;
  rs.file = file;
  try {
    SUMMIT_TRY(ctx.Keys(root, "(top)", {"version", "profiles", "postgres", "neo4j", "redis", "reduction"}));
    YAML::Node profiles = root["profiles"];
    if (!profiles.IsMap()) return ctx.Err(root, "profiles", "missing required mapping 'profiles'");
    for (auto it = profiles.begin(); it != profiles.end(); ++it) {
      Profile p;
      p.name = it->first.as<std::string>();
      std::string path = "profiles." + p.name;
      SUMMIT_TRY(ctx.Keys(it->second, path, {"groups", "salt"}));
      SUMMIT_ASSIGN_OR_RETURN(auto groups, ctx.List(it->second, path, "groups"));
      p.groups.insert(groups.begin(), groups.end());
      SUMMIT_ASSIGN_OR_RETURN(p.salt, ctx.Str(it->second, path, "salt", false));
      rs.profiles[p.name] = std::move(p);
    }
    std::set<std::string> known_groups;
    YAML::Node pg = root["postgres"];
    for (size_t i = 0; pg.IsDefined() && i < pg.size(); ++i) {
      const YAML::Node& r = pg[i];
      std::string path = "postgres[" + std::to_string(i) + "]";
      SUMMIT_TRY(ctx.Keys(r, path, {"table", "group", "where", "set"}));
      PgRule rule;
      rule.line = Line(r);
      rule.table_line = r["table"].IsDefined() ? Line(r["table"]) : rule.line;
      rule.where_line = r["where"].IsDefined() ? Line(r["where"]) : 0;
      SUMMIT_ASSIGN_OR_RETURN(rule.table, ctx.Str(r, path, "table", true));
      SUMMIT_ASSIGN_OR_RETURN(rule.group, ctx.Str(r, path, "group", true));
      SUMMIT_ASSIGN_OR_RETURN(rule.where, ParseWhere(ctx, r, path));
      SUMMIT_ASSIGN_OR_RETURN(rule.set, ParseSet(ctx, r, path));
      if (rule.set.empty()) return ctx.Err(r, path + ".set", "a postgres rule needs at least one column in 'set'");
      known_groups.insert(rule.group);
      rs.postgres.push_back(std::move(rule));
    }
    YAML::Node neo = root["neo4j"];
    for (size_t i = 0; neo.IsDefined() && i < neo.size(); ++i) {
      const YAML::Node& r = neo[i];
      std::string path = "neo4j[" + std::to_string(i) + "]";
      SUMMIT_TRY(ctx.Keys(r, path, {"match", "group", "where", "set", "remove_labels", "add_labels"}));
      GraphRule rule;
      rule.line = Line(r);
      rule.match_line = r["match"].IsDefined() ? Line(r["match"]) : 0;
      rule.where_line = r["where"].IsDefined() ? Line(r["where"]) : 0;
      SUMMIT_ASSIGN_OR_RETURN(rule.label, ctx.Str(r, path, "match", false));
      SUMMIT_ASSIGN_OR_RETURN(rule.group, ctx.Str(r, path, "group", true));
      SUMMIT_ASSIGN_OR_RETURN(rule.where, ParseWhere(ctx, r, path));
      SUMMIT_ASSIGN_OR_RETURN(rule.set, ParseSet(ctx, r, path));
      SUMMIT_ASSIGN_OR_RETURN(rule.remove_labels, ctx.List(r, path, "remove_labels"));
      SUMMIT_ASSIGN_OR_RETURN(rule.add_labels, ctx.List(r, path, "add_labels"));
      known_groups.insert(rule.group);
      rs.neo4j.push_back(std::move(rule));
    }
    YAML::Node redis = root["redis"];
    for (size_t i = 0; redis.IsDefined() && i < redis.size(); ++i) {
      const YAML::Node& r = redis[i];
      std::string path = "redis[" + std::to_string(i) + "]";
      SUMMIT_TRY(ctx.Keys(r, path, {"pattern", "group", "action", "value"}));
      RedisRule rule;
      rule.line = Line(r);
      SUMMIT_ASSIGN_OR_RETURN(rule.pattern, ctx.Str(r, path, "pattern", true));
      SUMMIT_ASSIGN_OR_RETURN(rule.group, ctx.Str(r, path, "group", true));
      SUMMIT_ASSIGN_OR_RETURN(std::string action, ctx.Str(r, path, "action", true));
      if (action == "drop") {
        rule.action = RedisRule::Action::kDrop;
      } else if (action == "replace") {
        rule.action = RedisRule::Action::kReplace;
        if (!r["value"].IsDefined()) return ctx.Err(r, path + ".value", "a replace rule needs a 'value' expression");
        SUMMIT_ASSIGN_OR_RETURN(rule.value, ParseExpr(ctx, r["value"], path + ".value"));
      } else {
        return ctx.Err(r["action"], path + ".action", "unknown action '" + action + "'", "use drop or replace");
      }
      known_groups.insert(rule.group);
      rs.redis.push_back(std::move(rule));
    }
    // A profile naming a group no rule has is almost certainly a typo.
    for (auto it = profiles.begin(); it != profiles.end(); ++it) {
      for (const auto& g : rs.profiles[it->first.as<std::string>()].groups) {
        if (!known_groups.count(g)) {
          return ctx.Err(it->second["groups"], "profiles." + it->first.as<std::string>() + ".groups",
                         "no rule belongs to group '" + g + "'");
        }
      }
    }
    YAML::Node red = root["reduction"];
    if (red.IsDefined() && !red.IsNull()) {
      SUMMIT_TRY(ctx.Keys(red, "reduction", {"critical", "windows", "sample", "seed"}));
      rs.reduction.line = Line(red);
      rs.reduction.critical_line = red["critical"].IsDefined() ? Line(red["critical"]) : rs.reduction.line;
      rs.reduction.sample_line = red["sample"].IsDefined() ? Line(red["sample"]) : rs.reduction.line;
      SUMMIT_ASSIGN_OR_RETURN(auto critical, ctx.List(red, "reduction", "critical"));
      rs.reduction.critical.insert(critical.begin(), critical.end());
      SUMMIT_ASSIGN_OR_RETURN(auto sample, ctx.List(red, "reduction", "sample"));
      rs.reduction.sample_only.insert(sample.begin(), sample.end());
      SUMMIT_ASSIGN_OR_RETURN(auto seed, ctx.Str(red, "reduction", "seed", false));
      if (!seed.empty()) rs.reduction.seed = seed;
      YAML::Node w = red["windows"];
      if (w.IsDefined()) {
        if (!w.IsMap()) return ctx.Err(w, "reduction.windows", "must be a mapping of table to {column, days}");
        for (auto it = w.begin(); it != w.end(); ++it) {
          std::string t = it->first.as<std::string>();
          std::string path = "reduction.windows." + t;
          SUMMIT_TRY(ctx.Keys(it->second, path, {"column", "days"}));
          ReductionRules::Window win;
          win.line = Line(it->first);
          SUMMIT_ASSIGN_OR_RETURN(win.column, ctx.Str(it->second, path, "column", true));
          win.days = it->second["days"].IsDefined() ? it->second["days"].as<int>() : 30;
          if (win.days <= 0) return ctx.Err(it->second["days"], path + ".days", "must be a positive number of days");
          rs.reduction.windows[t] = win;
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidInput, file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg, kHint);
  }
  return rs;
}

Result<RuleSet> LoadRules(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kNotFound, "cannot read sanitization rules " + path, "check the 'sanitization' entry of the config");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseRules(ss.str(), path);
}

std::vector<RuleProblem> CheckRules(const RuleSet& rules, const Schema& schema, std::string_view in_text) {
  std::vector<RuleProblem> out;
  const std::string in(in_text);
  auto add = [&](int line, std::string message, bool warning = false) {
    out.push_back(RuleProblem{rules.file, line, std::move(message) + " in " + in, warning});
  };
  auto missing_table = [&](int line, const std::string& table, const std::string& what) {
    if (schema.partial_tables) add(line, what + "table '" + table + "' is not captured (partial backup, not checked)", true);
    else add(line, what + "table '" + table + "' does not exist", false);
  };
  for (const auto& r : rules.postgres) {
    auto t = schema.tables.find(r.table);
    if (t == schema.tables.end()) {
      missing_table(r.table_line ? r.table_line : r.line, r.table, "");
      continue;
    }
    const auto& cols = t->second.columns;
    auto has = [&](const std::string& c) { return std::find(cols.begin(), cols.end(), c) != cols.end(); };
    std::set<std::string> reported;  // one report per column and line
    auto column = [&](int line, const std::string& c) {
      if (has(c) || !reported.insert(std::to_string(line) + "\n" + c).second) return;
      add(line, "table '" + r.table + "' has no column '" + c + "'");
    };
    for (const auto& f : r.where.fields()) column(r.where_line ? r.where_line : r.line, f);
    for (const auto& a : r.set) {
      column(a.line, a.target);
      for (const auto& f : a.expr.Inputs()) column(a.line, f);
    }
  }
  // Neo4j: labels exist only while nodes carry them, and property keys while a node has them.
  auto props_of = [&](const std::string& label) -> const std::set<std::string>* {
    if (label.empty()) return &schema.properties;
    auto it = schema.label_properties.find(label);
    return it == schema.label_properties.end() ? nullptr : &it->second;
  };
  for (const auto& r : rules.neo4j) {
    int line = r.match_line ? r.match_line : r.line;
    if (!r.label.empty() && !schema.labels.empty() && !schema.labels.count(r.label)) {
      if (schema.partial_graph) add(line, "label '" + r.label + "' is not captured (filtered graph, not checked)", true);
      else add(line, "label '" + r.label + "' does not exist");
      continue;
    }
    if (schema.properties.empty()) continue;
    const std::set<std::string>* keys = props_of(r.label);
    if (keys == nullptr) continue;
    std::string who = r.label.empty() ? "no node" : "no node labelled '" + r.label + "'";
    std::set<std::string> reported;
    auto property = [&](int at, const std::string& p) {
      if (keys->count(p) || !reported.insert(std::to_string(at) + "\n" + p).second) return;
      add(at, who + " has property '" + p + "'", schema.partial_graph);
    };
    for (const auto& f : r.where.fields()) property(r.where_line ? r.where_line : r.line, f);
    for (const auto& a : r.set) {
      property(a.line, a.target);
      for (const auto& f : a.expr.Inputs()) property(a.line, f);
    }
  }
  const auto& red = rules.reduction;
  for (const auto& [table, w] : red.windows) {
    int line = w.line ? w.line : red.line;
    auto t = schema.tables.find(table);
    if (t == schema.tables.end()) {
      missing_table(line, table, "reduction window: ");
    } else if (std::find(t->second.columns.begin(), t->second.columns.end(), w.column) == t->second.columns.end()) {
      add(line, "table '" + table + "' has no column '" + w.column + "'");
    }
  }
  if (!schema.tables.empty()) {
    for (const auto& table : red.critical)
      if (!schema.tables.count(table)) missing_table(red.critical_line ? red.critical_line : red.line, table, "reduction critical: ");
    for (const auto& table : red.sample_only)
      if (!schema.tables.count(table)) missing_table(red.sample_line ? red.sample_line : red.line, table, "reduction sample: ");
  }
  return out;
}

Status ValidateRules(const RuleSet& rules, const Schema& schema, std::string_view in) {
  std::string msg;
  for (const auto& p : CheckRules(rules, schema, in)) {
    if (!p.warning) msg += "\n  " + p.ToString();
  }
  if (msg.empty()) return Ok();
  return Fail(ErrorCode::kInvalidInput, "sanitization rules do not match the backup:" + msg,
              "fix or remove the rule, or check against a backup that has these objects");
}

Schema SchemaFromPgAttributes(const nlohmann::json& a) {
  Schema schema;
  if (!a.is_object()) return schema;
  schema.partial_tables = a.value("partial", false);
  for (const auto& t : a.value("tables", nlohmann::json::array())) {
    if (!t.is_object()) continue;
    std::string schema_name = t.value("schema", "public"), name = t.value("name", "");
    std::string key = schema_name == "public" ? name : schema_name + "." + name;
    TableSchema ts;
    ts.columns = t.value("columns", std::vector<std::string>{});
    ts.primary_key = t.value("primary_key", std::vector<std::string>{});
    for (const auto& fk : t.value("foreign_keys", nlohmann::json::array())) {
      auto cols = fk.value("columns", std::vector<std::string>{});
      auto pcols = fk.value("parent_columns", std::vector<std::string>{});
      std::string parent = fk.value("parent", "");
      if (parent.starts_with("public.")) parent = parent.substr(7);
      if (cols.size() == 1 && pcols.size() == 1) ts.foreign_keys.push_back({cols[0], parent, pcols[0]});
    }
    schema.tables[key] = std::move(ts);
  }
  return schema;
}

bool RedisGlobMatch(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0;
  while (pi < p.size()) {
    char c = p[pi];
    if (c == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      if (pi == p.size()) return true;
      for (size_t k = si; k <= s.size(); ++k) {
        if (RedisGlobMatch(p.substr(pi), s.substr(k))) return true;
      }
      return false;
    }
    if (si >= s.size()) return false;
    if (c == '?') {
      ++pi;
      ++si;
      continue;
    }
    if (c == '[') {
      size_t j = pi + 1;
      bool negate = j < p.size() && p[j] == '^';
      if (negate) ++j;
      bool match = false;
      for (; j < p.size() && p[j] != ']'; ++j) {
        if (p[j] == '\\' && j + 1 < p.size()) {
          ++j;
          if (p[j] == s[si]) match = true;
        } else if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          char lo = std::min(p[j], p[j + 2]), hi = std::max(p[j], p[j + 2]);
          if (s[si] >= lo && s[si] <= hi) match = true;
          j += 2;
        } else if (p[j] == s[si]) {
          match = true;
        }
      }
      if (match == negate) return false;
      pi = j < p.size() ? j + 1 : j;
      ++si;
      continue;
    }
    if (c == '\\' && pi + 1 < p.size()) c = p[++pi];
    if (c != s[si]) return false;
    ++pi;
    ++si;
  }
  return si == s.size();
}

}  // namespace summit::transform
