#include "sources/postgres/sql_script.h"

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

}  // namespace summit::sources::postgres
