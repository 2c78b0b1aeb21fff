#include "sources/postgres/sql_script.h"

#include <algorithm>
#include <cctype>

namespace summit::sources::postgres {

Result<std::string> StripPsqlMetaCommands(std::string_view script) {
  std::string out;
  out.reserve(script.size());
  bool in_dollar = false;
  std::string dollar_tag;
  size_t pos = 0;
  while (pos < script.size()) {
    size_t nl = script.find('\n', pos);
    size_t end = nl == std::string_view::npos ? script.size() : nl + 1;
    std::string_view line = script.substr(pos, end - pos);
    pos = end;
    if (!in_dollar && line.starts_with("\\")) {
      if (line.starts_with("\\restrict") || line.starts_with("\\unrestrict") || line.starts_with("\\connect")) continue;
      std::string first(line.substr(0, line.find_first_of(" \n")));
      return Fail(Error(ErrorCode::kUnsupported, "schema script: psql meta-command " + first + " cannot run through libpq")
                      .WithHint("restore this capture with the exported plain script and psql"));
    }
    // Track dollar quoting ($tag$ ... $tag$) so that a body line starting with '\' is kept.
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '$') continue;
      size_t j = i + 1;
      while (j < line.size() && (std::isalnum(static_cast<unsigned char>(line[j])) || line[j] == '_')) ++j;
      if (j < line.size() && line[j] == '$') {
        std::string tag(line.substr(i, j - i + 1));
        if (!in_dollar) {
          in_dollar = true;
          dollar_tag = tag;
        } else if (tag == dollar_tag) {
          in_dollar = false;
        }
        i = j;
      }
    }
    out.append(line);
  }
  return out;
}

namespace {

std::string FieldOf(std::string_view header, std::string_view key) {
  size_t p = header.find(key);
  if (p == std::string_view::npos) return "";
  p += key.size();
  size_t e = header.find_first_of(";\n", p);
  return std::string(header.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p));
}

}  // namespace

std::vector<DumpEntry> SplitDumpScript(std::string_view script) {
  static constexpr std::string_view kHeader = "--\n-- Name: ";
  std::vector<size_t> starts = {0};
  for (size_t p = script.find(kHeader); p != std::string_view::npos; p = script.find(kHeader, p + 1)) {
    if (p == 0 || script[p - 1] == '\n') {
      if (p != 0) starts.push_back(p);
    }
  }
  starts.push_back(script.size());
  std::vector<DumpEntry> out;
  for (size_t i = 0; i + 1 < starts.size(); ++i) {
    DumpEntry e;
    e.sql = std::string(script.substr(starts[i], starts[i + 1] - starts[i]));
    if (std::string_view(e.sql).starts_with(kHeader)) {
      std::string_view header = std::string_view(e.sql).substr(3);
      header = header.substr(0, header.find('\n', 3));
      e.name = FieldOf(header, "Name: ");
      e.type = FieldOf(header, "Type: ");
      e.schema = FieldOf(header, "Schema: ");
      if (e.type == "FK CONSTRAINT") {
        size_t r = e.sql.find("REFERENCES ");
        if (r != std::string::npos) {
          r += 11;
          size_t paren = e.sql.find('(', r);
          std::string target = e.sql.substr(r, paren - r);
          std::string unq;
          for (char c : target) {
            if (c != '"' && c != ' ') unq.push_back(c);
          }
          e.references = unq;
        }
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// The statement text after pg_dump's header comment.
std::string_view StatementOf(std::string_view sql) {
  size_t p = 0;
  while (p < sql.size()) {
    size_t nl = sql.find('\n', p);
    std::string_view line = sql.substr(p, nl == std::string_view::npos ? std::string_view::npos : nl - p);
    bool skip = line.empty() || line.starts_with("--");
    if (!skip) break;
    if (nl == std::string_view::npos) return {};
    p = nl + 1;
  }
  return sql.substr(p);
}

void SkipSpace(std::string_view s, size_t& p) {
  while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
}

// Reads a possibly qualified, possibly quoted name at `p`: {as written, unquoted}.
std::pair<std::string, std::string> ReadName(std::string_view s, size_t& p) {
  SkipSpace(s, p);
  size_t start = p;
  std::string unquoted;
  while (p < s.size()) {
    char c = s[p];
    if (c == '"') {
      ++p;
      while (p < s.size()) {
        if (s[p] == '"' && p + 1 < s.size() && s[p + 1] == '"') {
          unquoted.push_back('"');
          p += 2;
        } else if (s[p] == '"') {
          ++p;
          break;
        } else {
          unquoted.push_back(s[p++]);
        }
      }
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '.' ||
               static_cast<unsigned char>(c) >= 0x80) {
      unquoted.push_back(c);
      ++p;
    } else {
      break;
    }
  }
  return {std::string(s.substr(start, p - start)), unquoted};
}

bool ConsumeWord(std::string_view s, size_t& p, std::string_view word) {
  size_t q = p;
  SkipSpace(s, q);
  if (s.substr(q, word.size()) != word) return false;
  size_t e = q + word.size();
  if (e < s.size() && !std::isspace(static_cast<unsigned char>(s[e]))) return false;
  p = e;
  return true;
}

// After "ALTER TABLE [ONLY] ": the table name.
std::optional<std::pair<std::string, std::string>> AlterTableName(std::string_view stmt, size_t& p) {
  p = 0;
  if (!ConsumeWord(stmt, p, "ALTER") || !ConsumeWord(stmt, p, "TABLE")) return std::nullopt;
  ConsumeWord(stmt, p, "ONLY");
  auto name = ReadName(stmt, p);
  if (name.second.empty()) return std::nullopt;
  return name;
}

}  // namespace

std::string EntryTable(const DumpEntry& e) {
  std::string_view stmt = StatementOf(e.sql);
  size_t p = 0;
  if (e.type == "INDEX" || e.type == "TRIGGER") {
    // CREATE [UNIQUE] INDEX name ON [ONLY] table ... / CREATE TRIGGER name ... ON table ...
    size_t on = stmt.find(" ON ");
    if (on == std::string_view::npos) return "";
    p = on + 3;
    ConsumeWord(stmt, p, "ONLY");
    return ReadName(stmt, p).second;
  }
  auto name = AlterTableName(stmt, p);
  return name ? name->second : "";
}

std::optional<IndexDef> ParseIndexEntry(const DumpEntry& e) {
  if (e.type != "INDEX") return std::nullopt;
  std::string_view stmt = StatementOf(e.sql);
  size_t p = 0;
  if (!ConsumeWord(stmt, p, "CREATE")) return std::nullopt;
  ConsumeWord(stmt, p, "UNIQUE");
  if (!ConsumeWord(stmt, p, "INDEX")) return std::nullopt;
  IndexDef d;
  d.name = ReadName(stmt, p).second;
  if (d.name.empty() || !ConsumeWord(stmt, p, "ON")) return std::nullopt;
  ConsumeWord(stmt, p, "ONLY");
  d.table = ReadName(stmt, p).second;
  if (d.table.empty() || !ConsumeWord(stmt, p, "USING")) return std::nullopt;
  d.method = ReadName(stmt, p).second;
  SkipSpace(stmt, p);
  if (d.method.empty() || p >= stmt.size() || stmt[p] != '(') return std::nullopt;
  // The key list, up to its closing parenthesis (quotes and nested parentheses respected).
  size_t open = ++p;
  int depth = 1;
  bool quoted = false;
  for (; p < stmt.size() && depth > 0; ++p) {
    char c = stmt[p];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')') --depth;
  }
  if (depth != 0) return std::nullopt;
  std::string_view list = stmt.substr(open, p - 1 - open);
  std::string_view rest = stmt.substr(p);
  d.partial = rest.find(" WHERE ") != std::string_view::npos;
  // Each key: a column name, then nothing but ASC/DESC and NULLS FIRST/LAST.
  std::vector<IndexDef::Key> keys;
  size_t q = 0;
  while (q <= list.size()) {
    auto col = ReadName(list, q);
    if (col.second.empty() || col.second.find('.') != std::string::npos) return d;
    IndexDef::Key k{col.second};
    std::vector<std::string_view> words;
    for (;;) {
      SkipSpace(list, q);
      size_t w = q;
      while (q < list.size() && std::isalpha(static_cast<unsigned char>(list[q]))) ++q;
      if (w == q) break;
      words.push_back(list.substr(w, q - w));
    }
    bool explicit_nulls = false;
    for (size_t i = 0; i < words.size(); ++i) {
      if (words[i] == "ASC") {
        k.desc = false;
      } else if (words[i] == "DESC") {
        k.desc = true;
      } else if (words[i] == "NULLS" && i + 1 < words.size() && (words[i + 1] == "FIRST" || words[i + 1] == "LAST")) {
        k.nulls_first = words[++i] == "FIRST";
        explicit_nulls = true;
      } else {
        return d;  // a collation, an operator class or anything else: not a plain key
      }
    }
    if (!explicit_nulls) k.nulls_first = k.desc;
    keys.push_back(std::move(k));
    SkipSpace(list, q);
    if (q == list.size()) break;
    if (list[q] != ',') return d;
    ++q;
  }
  d.keys = std::move(keys);
  return d;
}

std::optional<SplitForeignKey> SplitForeignKeyEntry(const DumpEntry& e) {
  if (e.type != "FK CONSTRAINT") return std::nullopt;
  std::string_view stmt = StatementOf(e.sql);
  size_t p = 0;
  auto table = AlterTableName(stmt, p);
  if (!table || !ConsumeWord(stmt, p, "ADD") || !ConsumeWord(stmt, p, "CONSTRAINT")) return std::nullopt;
  auto constraint = ReadName(stmt, p);
  if (constraint.first.empty() || !ConsumeWord(stmt, p, "FOREIGN")) return std::nullopt;
  // One statement only, and not NOT VALID already.
  size_t semi = stmt.find(';', p);
  if (semi == std::string_view::npos) return std::nullopt;
  std::string_view rest = stmt.substr(semi + 1);
  if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
  std::string_view body = stmt.substr(0, semi);
  if (body.find("NOT VALID") != std::string_view::npos) return std::nullopt;
  if (std::count(body.begin(), body.end(), '\'') != 0) return std::nullopt;  // no literals in an FK
  SplitForeignKey out;
  out.add_not_valid = std::string(body) + " NOT VALID;";
  out.validate = "ALTER TABLE " + table->first + " VALIDATE CONSTRAINT " + constraint.first + ";";
  return out;
}

}  // namespace summit::sources::postgres
