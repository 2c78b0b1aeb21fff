// The PostgreSQL COPY text format (delimiter tab, NULL "\N"), as COPY ... TO STDOUT writes it:
// one row per line; in a field the bytes backslash, newline, carriage return, tab, \b, \f and
// \v are written as two-character escapes; everything else, multibyte UTF-8 included, is
// written as is. Decoding also accepts what COPY FROM accepts: octal \NNN, hex \xHH and a
// backslash before any other character (which stands for that character).
//
// Invariant: EncodeCopyRow(DecodeCopyRow(line)) == line for every line the server produces, so a
// transform that changes nothing changes no byte.
//
// Thread-safety: pure functions; CopyLineSplitter is one object per stream.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "transform/hooks.h"

namespace summit::sources::postgres {

// Decodes one line (without its trailing '\n'). Fails with kCorruption on a dangling
// backslash at the end of the line.
Result<transform::PgRow> DecodeCopyRow(std::string_view line);

// Appends the bytes one raw field (between tabs, not "\N") stands for, its escapes decoded.
// The field must not end in a lone backslash (DecodeCopyRow checks that).
void AppendDecodedCopyField(std::string_view raw, std::string& out);

// Appends the row's encoding and a '\n' to `out`.
void EncodeCopyRow(const transform::PgRow& row, std::string& out);

// Appends one field's escaped text (no delimiter, no newline).
void EncodeCopyField(std::string_view value, std::string& out);

// Splits a stream of COPY text chunks into whole lines. Feed() any chunks; each complete line
// (without '\n') goes to on_line; Finish() reports a last line without a newline.
class CopyLineSplitter {
 public:
  template <typename F>
  Status Feed(std::string_view chunk, F&& on_line) {
    while (!chunk.empty()) {
      size_t nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        pending_.append(chunk);
        return Ok();
      }
      if (pending_.empty()) {
        SUMMIT_TRY(on_line(chunk.substr(0, nl)));
      } else {
        pending_.append(chunk.substr(0, nl));
        SUMMIT_TRY(on_line(std::string_view(pending_)));
        pending_.clear();
      }
      chunk.remove_prefix(nl + 1);
    }
    return Ok();
  }
  template <typename F>
  Status Finish(F&& on_line) {
    if (pending_.empty()) return Ok();
    std::string last;
    last.swap(pending_);
    return on_line(std::string_view(last));
  }

 private:
  std::string pending_;
};

}  // namespace summit::sources::postgres
