#include "sources/audit/audit_chain.h"

#include <charconv>
#include <map>

#include "core/bytes.h"
#include "crypto/crypto.h"
#include "sources/postgres/copy_text.h"
#include "sources/postgres/pg_conn.h"

namespace summit::sources::audit {

nlohmann::json ChainReport::ToJson() const {
  nlohmann::json b = nlohmann::json::array();
  for (const auto& l : broken)
    b.push_back({{"chain", l.chain}, {"id", l.id}, {"position", l.position}, {"reason", l.reason}});
  return {{"table", table}, {"rows", rows}, {"chains", chains}, {"verified", ok()}, {"broken", b}};
}

Result<ChainReport> Verify(const postgres::Settings& settings, const ChainSpec& spec, const VerifyOptions& options) {
  SUMMIT_ASSIGN_OR_RETURN(auto conn, postgres::PgConn::Open(settings));
  return Verify(*conn, spec, options);
}

namespace {

// One field of a COPY text line: nullopt for NULL; escapes decoded into `scratch` only when the
// field has any.
std::optional<std::string_view> Field(std::string_view raw, std::string& scratch) {
  if (raw == "\\N") return std::nullopt;
  if (raw.find('\\') == std::string_view::npos) return raw;
  scratch.clear();
  postgres::AppendDecodedCopyField(raw, scratch);
  return std::string_view(scratch);
}

bool HexEquals(const crypto::Digest& d, std::string_view hex) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (hex.size() != 2 * d.size()) return false;
  for (size_t i = 0; i < d.size(); ++i) {
    if (hex[2 * i] != kDigits[d[i] >> 4] || hex[2 * i + 1] != kDigits[d[i] & 15]) return false;
  }
  return true;
}

struct ChainState {
  uint64_t rows = 0;
  bool has_last = false;  // the previous row's hash was not NULL
  std::string last_hash;
  std::vector<BrokenLink> first_broken;  // in id order, at most kListed
};

constexpr size_t kListed = 20;

}  // namespace

Result<ChainReport> Verify(postgres::PgConn& conn, const ChainSpec& spec, const VerifyOptions& options) {
  using postgres::QuoteIdent;
  using postgres::QuoteLiteral;
  SUMMIT_ASSIGN_OR_RETURN(auto exists, conn.ExecParams("SELECT to_regclass($1) IS NOT NULL", {spec.table}));
  if (!exists.GetBool(0, 0)) {
    SUMMIT_ASSIGN_OR_RETURN(auto db, conn.Exec("SELECT current_database()"));
    return Fail(ErrorCode::kNotFound, "audit chain table " + spec.table + " does not exist in database " + db.GetString(0, 0));
  }

  // The server reads the table in id order (through its primary key where there is one: no
  // sort) and renders each row's canonical text from the stored values; this side hashes it
  // and follows each chain's links, in one pass, keeping only each chain's last hash.
  std::string part = spec.partition_column.empty() ? "''" : "(" + QuoteIdent(spec.partition_column) + "::text)";
  std::string where = options.partition && !spec.partition_column.empty()
                          ? " WHERE " + QuoteIdent(spec.partition_column) + " = " + QuoteLiteral(*options.partition)
                          : "";
  std::string id = QuoteIdent(spec.id_column);
  std::string copy = "COPY (SELECT " + part + ", " + id + "::bigint, " + QuoteIdent(spec.prev_column) + ", " +
                     QuoteIdent(spec.hash_column) + ", " + spec.canonical_sql + " FROM " + spec.table + where + " ORDER BY " +
                     id + ") TO STDOUT";
  const std::string zeros(64, '0');
  // Keyed (is NULL, value): byte order, as the listing is, with the NULL chain apart from an
  // empty one and last, as ORDER BY puts NULLs.
  std::map<std::pair<bool, std::string>, ChainState> chains;
  std::string input, scratch[4];
  uint64_t rows = 0;
  postgres::CopyLineSplitter splitter;
  auto on_line = [&](std::string_view line) -> Status {
    std::string_view raw[5];
    size_t begin = 0;
    for (int i = 0; i < 5; ++i) {
      size_t tab = line.find('\t', begin);
      if ((tab == std::string_view::npos) != (i == 4)) {
        return Fail(ErrorCode::kInternal, "the audit chain query returned a row without 5 fields: " + std::string(line.substr(0, 200)));
      }
      raw[i] = line.substr(begin, i == 4 ? std::string_view::npos : tab - begin);
      begin = tab + 1;
    }
    const bool null_chain = raw[0] == "\\N";
    std::string chain_key = null_chain ? std::string() : std::string(*Field(raw[0], scratch[0]));
    int64_t row_id = 0;
    if (raw[1] == "\\N" || std::from_chars(raw[1].data(), raw[1].data() + raw[1].size(), row_id).ec != std::errc()) {
      return Fail(ErrorCode::kCorruption, "audit chain table " + spec.table + " has a row whose id is not a number");
    }
    auto prev = Field(raw[2], scratch[1]);
    auto hash = Field(raw[3], scratch[2]);
    auto canonical = Field(raw[4], scratch[3]);
    ChainState& c = chains[{null_chain, chain_key}];
    ++rows;
    const uint64_t pos = ++c.rows;
    // NULLs never pass: a row without a hash, a prev_hash or a canonical text is a broken link.
    bool hash_ok = false;
    if (prev && hash && canonical) {
      input.assign(*prev);
      input.push_back('\n');
      input.append(*canonical);
      hash_ok = HexEquals(crypto::Sha256(AsBytes(input)), *hash);
    }
    bool link_ok = pos == 1 ? options.allow_truncated_head || (prev && *prev == zeros)
                            : prev && c.has_last && *prev == c.last_hash;
    if (!(hash_ok && link_ok) && c.first_broken.size() < kListed) {
      c.first_broken.push_back({chain_key, row_id, static_cast<int64_t>(pos),
                                !hash_ok ? "hash does not match the row" : "prev_hash does not match the previous row"});
    }
    c.has_last = hash.has_value();
    if (hash) c.last_hash.assign(*hash);
    return Ok();
  };
  // Ordered through the primary key (an index scan of an id-ordered heap reads it in order)
  // rather than sorting every row's canonical text.
  const std::string what = "verifying the audit chain of " + spec.table;
  SUMMIT_TRY(conn.Exec("SET enable_sort = off", what));
  Status read = conn.CopyOut(copy, [&](std::string_view data) { return splitter.Feed(data, on_line); }, what);
  if (read) read = splitter.Finish(on_line);
  auto reset = conn.Exec("RESET enable_sort", what);
  SUMMIT_TRY(read);
  SUMMIT_TRY(reset);
  ChainReport report;
  report.table = spec.table;
  report.rows = rows;
  report.chains = chains.size();
  for (auto& [key, c] : chains) {
    for (auto& b : c.first_broken) {
      if (report.broken.size() == kListed) break;
      report.broken.push_back(std::move(b));
    }
  }
  return report;
}

}  // namespace summit::sources::audit
