// File trees, secrets and command output as components of a backup (DESIGN.md, "Sources and
// sinks": files, secrets, command).
//
// A file capture is a `manifest.json` stream (path, mode, mtime, size, sha256 and the stream
// holding the content of every file) plus one stream per file. Paths are relative to the
// capture's root; a file's stream is `f/<path>` when the path is a valid stream name and
// `f/_/<n>` otherwise. Restore writes each file atomically (temp file, fsync, rename) with its
// mode and mtime; secrets are always restored with mode 0600 whatever they had.
//
// Secret values never reach logs or the plain backup-metadata.json: the component is marked
// `secret` in its attributes, and the backup layer keeps its checksums inside the encrypted
// repository only.
//
// Thread-safety: functions are reentrant; they share no state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "io/stream.h"

namespace summit::sources::files {

struct FileSetOptions {
  std::string root;                        // directory the globs are relative to
  std::vector<std::string> include;        // globs: '*' and '?' within a segment, '**' across segments
  std::vector<std::string> exclude;
  bool secret = false;                     // restore with 0600; never log names+values
  bool required = false;                   // fail when nothing matches
};

struct BackupReport {
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// Captures every regular file under options.root matching an include glob and no exclude
// glob. Fails with kNotFound when root does not exist (or nothing matched and `required`).
Result<BackupReport> Backup(const FileSetOptions& options, CaptureSink& out);

// Captures named environment variables (secrets given by environment) into `env.json`.
// Variables that are unset are recorded as missing, never as empty values.
Result<BackupReport> BackupEnvironment(const std::vector<std::string>& names,
                                       const std::map<std::string, std::string>& environment,
                                       CaptureSink& out);

struct RestoreOptions {
  std::string target_root;                 // where files are written
  std::vector<std::string> include;        // optional selective restore (globs); empty: all
  bool secret = false;                     // force 0600
  bool overwrite = true;                   // false: fail on an existing file with different content
  bool dry_run = false;
};

struct RestorePlanEntry {
  std::string path;
  uint64_t size = 0;
  std::string action;  // "create", "replace", "unchanged"
};

struct RestoreReport {
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::vector<RestorePlanEntry> plan;  // filled for dry runs
};

Result<RestoreReport> Restore(const RestoreOptions& options, CaptureSource& in);

// Runs a shell command and captures its stdout as stream `<name>.out` (e.g. `kubectl get
// configmaps,secrets,services,deployments -A -o yaml`). A non-zero exit fails the capture with
// the command's stderr tail.
Result<BackupReport> BackupCommand(const std::string& name, const std::string& command, CaptureSink& out);

// Feeds stream `<name>.out` to a shell command's stdin (e.g. `kubectl apply -f -`).
Status RestoreCommand(const std::string& name, const std::string& command, CaptureSource& in);

// Glob matching on '/'-separated paths: '*' and '?' stay within a segment, '**' spans any
// number of segments (including none).
bool GlobMatch(std::string_view pattern, std::string_view path);

// Per-file fingerprint of a tree (path -> sha256, mode), for tests and drills.
Result<nlohmann::json> Fingerprint(const std::string& root, const std::vector<std::string>& include);

}  // namespace summit::sources::files
