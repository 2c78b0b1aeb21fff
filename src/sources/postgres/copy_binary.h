// COPY binary encoding of rows captured in COPY text format: the restore's fast path.
//
// A restore loads every table with COPY FROM STDIN. In text format the server parses each
// value (timestamps, integers, uuids, numerics, arrays, vectors), and that parsing is a large
// share of a COPY's CPU on a server that is the bottleneck of a restore. In binary format the
// server takes the values as they are. The capture stays COPY text (exact, readable, what the
// transforms and `export` use); this encoder converts a table's rows to the binary format on
// the client, for tables whose every column type it knows.
//
// Correctness never depends on the encoder covering a value: AppendRow() refuses anything
// outside the forms it converts exactly (BC dates, an unexpected spelling, an out-of-range
// integer, a multi-dimensional array...) and the caller then loads that table in text, as
// before. The forms accepted are those the capture session writes (pg_conn.cc: DateStyle ISO,
// TimeZone UTC, extra_float_digits 3; bytea_output hex, the default), plus any UTC offset.
//
// Types: text, character varying, character, json, jsonb, boolean, smallint, integer,
// bigint, oid, real, double precision, numeric, uuid, bytea, date, timestamp [with|without
// time zone] (any precision), one-dimensional arrays of smallint/integer/bigint/real/double
// precision, and pgvector's vector (only when the capture lists the vector extension).
//
// Thread-safety: an encoder is used by one thread at a time (it keeps a scratch buffer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace summit::sources::postgres {

class CopyBinaryEncoder {
 public:
  // The encoder for a table with these column types (format_type() spellings, COPY order), or
  // nullopt with the first type it cannot convert in *why.
  static std::optional<CopyBinaryEncoder> ForColumnTypes(const std::vector<std::string>& types, bool pgvector,
                                                         std::string* why);

  // The 19 bytes that start a binary COPY stream, and the 2 that end it.
  static void AppendHeader(std::string& out);
  static void AppendTrailer(std::string& out);

  // Appends the binary tuple for one COPY text line (without its '\n'). Returns false and
  // leaves `out` as it was, with the reason in *why, when a field is not in a form it converts
  // exactly or the line does not have one field per column.
  bool AppendRow(std::string_view line, std::string& out, std::string* why);

  enum class Kind : uint8_t {
    kText,  // text, varchar, char, json: the bytes themselves
    kJsonb,
    kBool,
    kInt2,
    kInt4,
    kInt8,
    kOid,
    kFloat4,
    kFloat8,
    kNumeric,
    kUuid,
    kBytea,
    kDate,
    kTimestamp,  // with and without time zone: microseconds since 2000-01-01 UTC
    kVector,
    kArrayInt2,
    kArrayInt4,
    kArrayInt8,
    kArrayFloat4,
    kArrayFloat8,
  };

 private:
  explicit CopyBinaryEncoder(std::vector<Kind> kinds) : kinds_(std::move(kinds)) {}
  bool AppendField(Kind kind, std::string_view text, std::string& out);

  std::vector<Kind> kinds_;
  std::string field_;  // scratch: a field with COPY escapes, decoded
};

// Exposed for unit tests: the value conversions AppendRow uses.
namespace copy_binary {
std::optional<int64_t> ParseTimestampMicros(std::string_view text);  // microseconds since 2000-01-01 UTC
std::optional<int32_t> ParseDateDays(std::string_view text);         // days since 2000-01-01
bool AppendNumeric(std::string_view text, std::string& out);         // the numeric_send() form
}  // namespace copy_binary

}  // namespace summit::sources::postgres
