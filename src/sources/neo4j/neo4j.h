// Neo4j as a component of a backup: capture over Bolt, restore by batched UNWIND, export as
// Cypher, and a content fingerprint for verification (DESIGN.md, "Sources and sinks").
//
// A capture holds three streams:
//   schema.cypher        one recreatable statement per line (constraints, then indexes; token
//                        LOOKUP indexes and constraint-owned indexes are left out), each ending ';'
//   nodes.jsonl          {"id":12,"labels":["User"],"props":{...}} per line
//   relationships.jsonl  {"id":3,"type":"OWNS","start":12,"end":40,"props":{...}} per line
// with properties in the format of graph_json.h. Ids are the source's internal ids: they only
// tie relationships to nodes inside one capture.
//
// Consistency: nodes and relationships are read inside one read transaction, which in Neo4j is
// read-committed, not a snapshot. The capture records the database's position before and after
// and retries (BackupOptions.snapshot_retries) while it moves; then it records snapshot=false and
// the drift in the attributes. The position is SHOW DATABASES' lastCommittedTxn where the server
// fills it (enterprise, clusters). Neo4j 5 community leaves it null, so there the position is
// the kernel transaction sequence seen by SHOW TRANSACTIONS ("neo4j-transaction-N"): it counts
// every transaction started, readers included, so drift there is an upper bound (a busy reader
// can make a quiet database look non-snapshot, never the reverse); transactions already open when
// the export starts are counted as drift too, since they may commit during it.
// Attributes: position_source, position_before, position_after, snapshot, drift, attempts,
// nodes, relationships, bolt_version, server.
//
// Restore writes schema first, then nodes (grouped by label set; a temporary label
// :__SummitRestore with an index on __summit_id ties relationships to them), then relationships
// grouped by type, then removes the temporary label, property and index.
//
// Thread-safety: functions are reentrant; each opens its own connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/secret.h"
#include "io/stream.h"
#include "transform/hooks.h"

namespace summit::sources::neo4j {

struct Settings {
  std::string uri;                  // bolt://host:7687
  std::string user = "neo4j";
  SecretString password;
  std::string database = "neo4j";
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{600000};
};

// Which part of the graph a capture (or fingerprint) covers. Empty members select everything.
// A node is kept when it matches every given member; a relationship when both its endpoints are
// kept and its type is listed (or no types are listed).
struct Filter {
  std::optional<std::string> tenant;        // n.tenant_id = tenant
  std::optional<std::string> project;       // n.investigation_id = project, or an :Investigation with uid = project
  std::vector<std::string> labels;          // node has at least one of them (the minimal set's core labels)
  std::vector<std::string> relationship_types;
};

struct BackupOptions {
  Filter filter;
  int64_t fetch_size = 5000;    // records per PULL
  int snapshot_retries = 2;     // re-exports while the position moves
  std::string spool_dir;        // where an attempt is spooled before it is kept; "" = $TMPDIR
};

struct BackupReport {
  uint64_t nodes = 0;
  uint64_t relationships = 0;
  uint64_t bytes = 0;
  bool snapshot = false;
  int64_t drift = 0;
  int attempts = 0;
};

// Captures the graph into `out`. Fails with kUnavailable/kPermission when the server cannot be
// reached or refuses the login, kNotFound when the database does not exist.
Result<BackupReport> Backup(const Settings& settings, const BackupOptions& options, CaptureSink& out);

struct RestoreOptions {
  // A full restore into a non-empty database empties it first only when this is set (the CLI
  // sets it for --yes, or for non-production environments); otherwise kAlreadyExists.
  bool allow_wipe = false;
  // Tenant restore: deletes the nodes with tenant_id = tenant (and their relationships) and
  // recreates only that tenant's nodes and relationships from the capture.
  std::optional<std::string> tenant;
  bool restore_schema = true;
  bool dry_run = false;         // plan only: the target is read, never written
  size_t batch_size = 5000;     // rows per UNWIND
};

struct RestoreReport {
  uint64_t nodes = 0;                  // created
  uint64_t relationships = 0;          // created
  uint64_t nodes_dropped = 0;          // by the transform or the tenant filter
  uint64_t relationships_dropped = 0;  // by the transform, a dropped endpoint or the filter
  uint64_t nodes_deleted = 0;          // emptied from the target before the restore
  uint64_t schema_statements = 0;
  std::vector<std::string> plan;       // the steps, in order (also filled when not a dry run)
};

// Restores a capture into `target`. `transform` (may be null) sees every node and relationship
// before it is written; false drops it (a dropped node drops its relationships).
Result<RestoreReport> Restore(const Settings& target, const RestoreOptions& options, CaptureSource& in,
                              const transform::GraphTransform* transform);

enum class ExportFormat { kCypher };

// Writes the capture as statements cypher-shell runs into an empty database (schema, nodes,
// relationships, cleanup of the temporary id). Byte arrays have no Cypher literal: such
// properties are left out with a "// WARNING" comment line each.
Status Export(CaptureSource& in, ExportFormat format, ByteSink& out);

// What a verification compares: counts and an order-independent hash over each node's labels
// and properties and each relationship's type, endpoints (by their content) and properties, so
// internal ids do not matter.
struct GraphFingerprint {
  uint64_t nodes = 0;
  uint64_t relationships = 0;
  std::map<std::string, uint64_t> nodes_by_labels;      // "Entity:Classified" (sorted labels) -> count
  std::map<std::string, uint64_t> relationships_by_type;
  std::string content_hash;                              // hex SHA-256
  nlohmann::json ToJson() const;
  bool operator==(const GraphFingerprint&) const = default;
};

// Fingerprints the database (or one tenant's subgraph: nodes with that tenant_id and the
// relationships between them) inside one read transaction.
Result<GraphFingerprint> Fingerprint(const Settings& settings, const std::optional<std::string>& tenant = {});

// Hashes the graph held by a capture the same way (no server needed).
Result<GraphFingerprint> FingerprintCapture(CaptureSource& in);

}  // namespace summit::sources::neo4j
