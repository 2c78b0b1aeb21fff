// The typed form of config/backup-sets.yaml: repositories, sources, the six backup sets,
// restore environments, encryption, compression, chunking and parallelism.
//
// LoadConfig reads the YAML, substitutes ${VAR} / ${VAR:-default} from an injected
// environment lookup, applies the standard environment fallbacks for connection fields that
// are unset (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, REDIS_URL, NEO4J_URI, NEO4J_USER,
// NEO4J_PASSWORD, BACKUP_BASE, S3_BUCKET, ENCRYPTION_KEY), and validates it. Every error names
// the file, the line, the key path and what is wrong, e.g.
//   "config/backup-sets.yaml:42: sets.full.retention_days: must be a positive number of days, got 0".
// Only the composition roots (cli, daemon) call LoadConfig; everything below gets the structs.
//
// Invariant: a Config returned by LoadConfig has passed ValidateConfig. Values are plain data
// (thread-safe to read); passwords and keys are SecretString and never print.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cron.h"
#include "core/result.h"
#include "core/secret.h"

namespace summit::config {

// Returns the value of an environment variable, or nullopt when unset. The CLI passes getenv;
// tests pass a map.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup ProcessEnv();
EnvLookup MapEnv(std::map<std::string, std::string> vars);

// Where a value came from, for error messages after loading.
struct SourcePos {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  std::string path;  // "sets.full.retention_days"
  std::string Describe() const;  // "file:line: path"
};

struct PostgresConnection {
  std::string host;
  int port = 5432;
  std::string user;
  SecretString password;
  std::string database;
  std::string sslmode;  // empty: libpq default
};

struct RedisConnection {
  SecretString url;  // redis://[:password@]host:port/db; may hold a password
};

struct Neo4jConnection {
  std::string uri;  // bolt://host:port
  std::string user;
  SecretString password;
  std::string database;  // "neo4j" by default
};

struct RepositoryConfig {
  enum class Type { kLocal, kS3 };
  std::string name;
  Type type = Type::kLocal;
  std::string path;  // local
  // s3
  std::string endpoint;
  std::string region;
  std::string bucket;
  std::string prefix;
  SecretString access_key;
  SecretString secret_key;
  bool path_style = true;
  SourcePos pos;
};

struct CommandSource {
  std::vector<std::string> backup_argv;   // its stdout is captured
  std::vector<std::string> restore_argv;  // gets the captured bytes on stdin; may be empty
  std::string workdir;
};

struct StoreTables {  // provenance / policy / catalog stores, audit chain
  std::vector<std::string> tables;
};

// sources.postgres.incremental: the limits of `backup --incremental` (docs/incremental.md).
struct PostgresIncrementalConfig {
  int max_chain = 24;               // snapshots in a chain of bases before a full capture
  double max_delta_fraction = 0.2;  // a table with more changed rows is captured in full
};

// sources.postgres.restore: how a full restore loads tables (src/sources/postgres/README.md).
struct PostgresRestoreConfig {
  // "index": big tables are sent grouped for their (tenant_id, time)-style index so that it is
  // built from presorted input; "stream": every table in the capture's primary-key order.
  bool group_for_index = true;
  std::string spill_dir;  // where rows held back for that go beyond memory; "" = $TMPDIR or /tmp
};

struct SourcesConfig {
  PostgresConnection postgres;
  PostgresIncrementalConfig postgres_incremental;
  PostgresRestoreConfig postgres_restore;
  std::vector<std::string> core_tables;
  std::vector<std::string> hypertables;
  RedisConnection redis;
  Neo4jConnection neo4j;
  std::string files_root;
  std::map<std::string, std::vector<std::string>> file_groups;  // group -> globs
  std::vector<std::string> secret_files;  // globs
  std::vector<std::string> secret_env;    // environment variable names
  std::map<std::string, CommandSource> commands;  // "kubernetes", "terraform"
  std::map<std::string, StoreTables> stores;      // "provenance", "policy", "catalog", "audit_chain"
};

// One component of a set, e.g. {type: postgres, tables: [...], filter: tenant}.
struct ComponentConfig {
  std::string type;                     // one of KnownComponentTypes()
  std::vector<std::string> tables;      // postgres: empty = all
  std::vector<std::string> labels;      // neo4j: empty = all
  std::vector<std::string> relationships;
  std::vector<std::string> include;     // redis key patterns / file globs
  std::vector<std::string> exclude;
  std::string filter;                   // "", "tenant" or "project"
  std::string mode;                     // postgres: logical|physical; redis: snapshot|scan
  SourcePos pos;
};

struct SetConfig {
  std::string name;  // one of KnownSetNames()
  std::string description;
  std::optional<CronExpr> schedule;  // nullopt: on demand
  int retention_days = 0;
  std::vector<std::string> storage;  // repository names
  std::vector<std::string> required_params;  // "tenant_id", "project_id"
  std::vector<ComponentConfig> components;  // after resolving `extends`
  std::vector<std::string> pre_hooks;   // shell commands
  std::vector<std::string> post_hooks;
  bool replicate = false;  // verify copies in every storage target
  SourcePos pos;
  SourcePos storage_pos;

  bool HasComponent(std::string_view type) const;
};

struct EnvironmentConfig {
  enum class Sanitize { kNone, kMinimal, kFull };
  std::string name;
  Sanitize sanitize = Sanitize::kNone;
  double reduction = 1.0;  // fraction of non-critical rows kept; 1.0 = no reduction
  bool confirm = false;    // a restore needs --yes or a TTY confirmation
  PostgresConnection postgres;
  RedisConnection redis;
  Neo4jConnection neo4j;
  SourcePos pos;
};
std::string_view SanitizeName(EnvironmentConfig::Sanitize s);

struct EncryptionConfig {
  bool enabled = true;
  SecretString key;       // from ENCRYPTION_KEY (or the file's value); may be empty
  std::string key_file;   // used when key is empty
};

struct CompressionConfig {
  std::string algorithm = "zstd";
  int level = 1;  // codec::kDefaultZstdLevel: on 64 KiB chunks of table dumps smaller and cheaper than 3
};

struct ChunkerConfig {
  uint32_t min_bytes = 512 * 1024;
  uint32_t avg_bytes = 1024 * 1024;
  uint32_t max_bytes = 8 * 1024 * 1024;
};

// One per core (std::thread::hardware_concurrency), at least 1 and at most 256.
int DefaultJobs();

struct Config {
  std::string file;
  int version = 1;
  std::map<std::string, RepositoryConfig> repositories;
  SourcesConfig sources;
  std::map<std::string, SetConfig> sets;
  std::map<std::string, EnvironmentConfig> environments;
  EncryptionConfig encryption;
  CompressionConfig compression;
  ChunkerConfig chunker;
  // Parallel workers: repository pipeline threads and PostgreSQL connections. Absent or 0 in the
  // file: one per core (DefaultJobs), which measured fastest for backup and restore on 2 cores.
  int jobs = DefaultJobs();
  std::string sanitization_file;  // path of sanitization.yaml, relative to the config's folder

  const SetConfig* FindSet(std::string_view name) const;
  const EnvironmentConfig* FindEnvironment(std::string_view name) const;
};

// The six sets of the spec, the five environments, and the component vocabulary.
const std::vector<std::string>& KnownSetNames();
const std::vector<std::string>& KnownEnvironmentNames();
const std::vector<std::string>& KnownComponentTypes();

// The config file to use: `flag` (--config) when given, else $SUMMIT_DR_CONFIG, else
// "config/backup-sets.yaml" (relative to the working directory, as the spec's scripts run).
std::string ResolveConfigPath(const std::string& flag, const EnvLookup& env);

// Reads and validates `path`. Fails with kNotFound when the file cannot be read and with
// kInvalidInput (message "file:line: key.path: what is wrong", with a hint) for YAML syntax
// errors, unknown keys (with a did-you-mean), wrong types, missing required fields, unknown
// components, sets not among the six, bad cron expressions and non-positive retention.
Result<Config> LoadConfig(const std::string& path, const EnvLookup& env);
// As LoadConfig, from text; `file` is used in messages only.
Result<Config> ParseConfig(std::string_view yaml_text, const std::string& file, const EnvLookup& env);

// Cross-checks a Config (sets name existing repositories, the six sets and five environments
// are present, retention positive, chunker sizes ordered, reduction in (0, 1]). Errors as above.
Status ValidateConfig(const Config& config);

// ${VAR} and ${VAR:-default} (defaults may nest), $$ for a literal '$'. Unset ${VAR} gives "".
// Fails with kInvalidInput on an unterminated ${.
Result<std::string> SubstituteEnv(std::string_view text, const EnvLookup& env);

// The closest candidate by edit distance, or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace summit::config
