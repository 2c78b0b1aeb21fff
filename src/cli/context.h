// The composition root's shared state: the loaded configuration, the process environment,
// output mode, the real clock, and the ways commands open repositories and reach stores.
// Only src/cli (and later src/daemon) reads argv, the environment and config files.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/runner.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/secret.h"
#include "repo/repository.h"
#include "restore/runner.h"
#include "storage/backend.h"

namespace summit::cli {

struct GlobalOptions {
  std::string config_path;  // --config
  bool json = false;        // --json: machine-readable result on stdout
  bool quiet = false;
};

// A repository opened for a command; owns its backend (the Repository refers to it).
struct OpenRepo {
  std::string name;
  std::unique_ptr<storage::Backend> backend;
  std::unique_ptr<repo::Repository> repo;
  std::string describe;
};

class Context {
 public:
  // Loads the configuration (--config, $SUMMIT_DR_CONFIG, ./config/backup-sets.yaml, or the one
  // shipped beside the binary's source tree).
  static Result<std::unique_ptr<Context>> Create(const GlobalOptions& options);

  const config::Config& config() const { return config_; }
  const GlobalOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }
  const std::map<std::string, std::string>& environment() const { return env_; }
  std::optional<std::string> Env(const std::string& name) const;
  bool terminal() const { return terminal_; }

  // Directory holding backups/<ID>/backup-metadata.json (the local repository's path, i.e.
  // BACKUP_BASE or ./backups).
  std::string MetadataBase() const;

  // True when a repository can be used: local always; S3 when it has credentials.
  bool Usable(const std::string& name, std::string* why = nullptr) const;
  // Names of the configured repositories that are usable, in config order of `wanted`.
  std::vector<std::string> UsableOf(const std::vector<std::string>& wanted, std::vector<std::string>* skipped) const;

  Result<std::unique_ptr<storage::Backend>> OpenBackend(const std::string& name) const;
  // Opens a repository; with `create`, initializes one where none exists yet.
  Result<OpenRepo> Open(const std::string& name, bool create) const;
  // The repository to read `id` from: --from, else the first usable one holding it.
  Result<OpenRepo> OpenHolding(const std::string& id, const std::string& from) const;
  std::string DefaultRepository() const;

  // The encryption key (ENCRYPTION_KEY, encryption.key_file, or the default key file). With
  // `create`, generates the default key file when nothing is configured.
  Result<SecretString> Key(bool create) const;

  backup::StoreSettings SourceStores() const;
  // Targets of an environment, with --target overrides (component=url).
  Result<restore::TargetSettings> Targets(const std::string& env, const std::map<std::string, std::string>& overrides) const;

 private:
  GlobalOptions options_;
  config::Config config_;
  std::map<std::string, std::string> env_;
  SystemClock clock_;
  bool terminal_ = false;
};

// Writes `text` to `path` atomically (temp, fsync, rename), creating directories.
Status WriteFileAtomic(const std::string& path, const std::string& text, unsigned mode = 0644);

// Prints an error the way every command does: "summit-dr: <message>" and "HINT: ..." on stderr
// (or a JSON object on stdout with --json); returns the exit code for its class.
int ReportError(const Error& error, const GlobalOptions& options);

}  // namespace summit::cli
