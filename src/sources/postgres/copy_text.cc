#include "sources/postgres/copy_text.h"

namespace summit::sources::postgres {
namespace {

int OctalDigit(char c) { return (c >= '0' && c <= '7') ? c - '0' : -1; }
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void AppendDecodedCopyField(std::string_view raw, std::string& out) {
  for (size_t k = 0; k < raw.size(); ++k) {
    char c = raw[k];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    char e = raw[++k];
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 'x': {
        int v = 0, digits = 0;
        while (digits < 2 && k + 1 < raw.size() && HexDigit(raw[k + 1]) >= 0) {
          v = v * 16 + HexDigit(raw[++k]);
          ++digits;
        }
        if (digits == 0) {
          out.push_back('x');  // "\x" without digits is a plain x, as COPY FROM reads it
        } else {
          out.push_back(static_cast<char>(v));
        }
        break;
      }
      default:
        if (OctalDigit(e) >= 0) {
          int v = OctalDigit(e), digits = 1;
          while (digits < 3 && k + 1 < raw.size() && OctalDigit(raw[k + 1]) >= 0) {
            v = v * 8 + OctalDigit(raw[++k]);
            ++digits;
          }
          out.push_back(static_cast<char>(v & 0xff));
        } else {
          out.push_back(e);
        }
    }
  }
}

Result<transform::PgRow> DecodeCopyRow(std::string_view line) {
  transform::PgRow row;
  size_t i = 0;
  for (;;) {
    // One field: from i to the next unescaped tab or the end of the line.
    size_t start = i;
    size_t end = i;
    while (end < line.size() && line[end] != '\t') {
      if (line[end] == '\\') {
        if (end + 1 >= line.size()) {
          return Fail(ErrorCode::kCorruption, "copy data: a backslash ends the line (field " +
                                                  std::to_string(row.size() + 1) + ")");
        }
        end += 2;
      } else {
        ++end;
      }
    }
    std::string_view raw = line.substr(start, end - start);
    if (raw == "\\N") {
      row.push_back(std::nullopt);
    } else {
      std::string value;
      value.reserve(raw.size());
      AppendDecodedCopyField(raw, value);
      row.push_back(std::move(value));
    }
    if (end >= line.size()) break;
    i = end + 1;  // skip the tab; a trailing tab means a last empty field
  }
  return row;
}

void EncodeCopyField(std::string_view value, std::string& out) {
  size_t run = 0;  // start of the current run of bytes that need no escaping
  for (size_t k = 0; k < value.size(); ++k) {
    char esc = 0;
    switch (value[k]) {
      case '\\': esc = '\\'; break;
      case '\n': esc = 'n'; break;
      case '\r': esc = 'r'; break;
      case '\t': esc = 't'; break;
      case '\b': esc = 'b'; break;
      case '\f': esc = 'f'; break;
      case '\v': esc = 'v'; break;
      default: continue;
    }
    out.append(value.substr(run, k - run));
    out.push_back('\\');
    out.push_back(esc);
    run = k + 1;
  }
  out.append(value.substr(run));
}

void EncodeCopyRow(const transform::PgRow& row, std::string& out) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out.push_back('\t');
    if (!row[i]) {
      out.append("\\N");
    } else {
      EncodeCopyField(*row[i], out);
    }
  }
  out.push_back('\n');
}

}  // namespace summit::sources::postgres
