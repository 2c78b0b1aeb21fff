// A content fingerprint of a PostgreSQL database: per table the row count and an
// order-independent hash of the rows' text (the sums of the two 64-bit halves of md5(row::text),
// computed by the server), and the validity of its constraints (foreign keys checked row by
// row, constraints left NOT VALID). Two databases with the same rows give the same fingerprint
// whatever the physical order; tests and DR drills compare a restore with its baseline this way.
//
// Thread-safety: reentrant; one connection per call.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "sources/postgres/settings.h"

namespace summit::sources::postgres {

struct FingerprintOptions {
  std::vector<std::string> tables;      // empty: every user table
  std::optional<std::string> tenant;    // only this tenant's rows (same planning as backup)
  std::optional<std::string> project;
  std::string tenant_column = "tenant_id";
  std::string project_column = "investigation_id";
  std::map<std::string, std::string> tenant_key_columns = {{"public.tenants", "id"}};
  std::map<std::string, std::string> project_key_columns = {{"public.investigations", "id"}};
  bool constraints = true;
};

// Returns {"tables": {"public.users": {"rows": N, "hash": "<hex>"}, ...},
//          "constraints": {"valid": bool, "violations": ["fk ... : N orphan rows", ...]}}.
// With a tenant/project, tables with no path to it are left out. Fails like Backup's filters
// (kInvalidInput for unknown tables/columns or an empty id) and on server errors.
Result<nlohmann::json> Fingerprint(const Settings& settings, const FingerprintOptions& options);

}  // namespace summit::sources::postgres
