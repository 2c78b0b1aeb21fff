// The audit chain (DESIGN.md, "audit chain"): a hash-chained table verified at backup and after
// restore. Each row's `hash` is SHA-256(prev_hash || "\n" || canonical row) and its `prev_hash`
// is the hash of the previous row of the same chain (partition, ordered by id), starting from
// 64 zeros; docs/dataset.md gives the canonical row of Summit's audit_logs. The server reads
// the table in id order (through its primary key: no sort) and renders each row's canonical
// text from what the table holds; the client hashes it (SHA-256 with the CPU's instructions)
// and follows each chain in one pass, keeping only each chain's last hash and first broken
// links, so its memory does not grow with the table.
//
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "sources/postgres/pg_conn.h"
#include "sources/postgres/settings.h"

namespace summit::sources::audit {

struct ChainSpec {
  std::string table = "audit_logs";
  std::string id_column = "id";
  std::string partition_column = "tenant_id";  // one chain per value; empty: one chain
  std::string prev_column = "prev_hash";
  std::string hash_column = "hash";
  // SQL text of the canonical row (over the table's columns).
  std::string canonical_sql =
      "concat_ws(E'\\t', id::text, tenant_id, coalesce(user_id::text, '\\N'), action, coalesce(user_ip, '\\N'), "
      "coalesce(session_data::text, '\\N'), to_char(created_at AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))";
};

struct BrokenLink {
  std::string chain;     // partition value
  int64_t id = 0;        // the row's id
  int64_t position = 0;  // 1-based position in its chain
  std::string reason;    // "hash does not match the row" / "prev_hash does not match the previous row"
};

struct ChainReport {
  std::string table;
  uint64_t rows = 0;
  uint64_t chains = 0;
  std::vector<BrokenLink> broken;  // the first ones found (at most 20)
  bool ok() const { return broken.empty(); }
  nlohmann::json ToJson() const;
};

struct VerifyOptions {
  std::optional<std::string> partition;  // verify one chain (a tenant's)
  // Accept a chain whose first row links to a hash not present (data reduction keeps only the
  // newest rows): the links between the rows present must still hold.
  bool allow_truncated_head = false;
};

// Verifies the chain. Fails (as an error, not a report) with kNotFound when the table does not
// exist and with the server's error otherwise; broken links are in the report.
Result<ChainReport> Verify(const postgres::Settings& settings, const ChainSpec& spec, const VerifyOptions& options);

// The same on an open connection (a restore verifies the chain as soon as the table is loaded,
// on one of its own connections); the table's name resolves through that session's search_path.
Result<ChainReport> Verify(postgres::PgConn& conn, const ChainSpec& spec, const VerifyOptions& options);

}  // namespace summit::sources::audit
