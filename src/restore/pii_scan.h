// The PII scan of a restored environment (issue: "proof that no PII is left"): every text value
// of the PostgreSQL database, every string in the Neo4j graph and every Redis value of the
// environment's targets goes through transform::PiiScanner. Findings are reported by place
// (table.column, label.property, db/key pattern) and kind, with counts — never with the value.
//
// Thread-safety: reentrant; each call opens its own connections.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "restore/runner.h"
#include "transform/pii_scan.h"

namespace summit::restore {

struct PiiPlace {
  std::string store;  // postgres | neo4j | redis
  std::string where;  // "public.users.email", "User.email", "db0 user:*:email"
  std::string kind;   // email | phone | card | ip | credential
  uint64_t count = 0;
};

struct PiiReport {
  uint64_t values = 0;
  std::vector<PiiPlace> findings;
  bool clean() const { return findings.empty(); }
  nlohmann::json ToJson() const;
};

// Scans the stores among `components` (postgres, neo4j, redis) at `targets`.
Result<PiiReport> ScanForPii(const TargetSettings& targets, const std::vector<std::string>& components,
                             const transform::PiiScanner& scanner);

}  // namespace summit::restore
