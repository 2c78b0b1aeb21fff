// Snapshots (docs/repository-format.md, "Snapshots"): a manifest naming, per component and
// stream, the ordered chunk ids, logical size and SHA-256, plus the capture attributes. The
// manifest is sealed and written to snapshots/<id> LAST, after Repository::Flush made every
// pack and index file it depends on durable; only then does the snapshot exist.
//
// SnapshotWriter gives the store connectors a summit::CaptureSink per component and
// SnapshotReader a summit::CaptureSource per component (io/stream.h): the only adapters the
// sources use. MetadataJson() is the plain backup-metadata.json (no secrets, no chunk ids) that
// the backup layer writes to backups/<ID>/backup-metadata.json.
//
// Thread-safety: a SnapshotWriter's component sinks may be used from many threads at once
// (parallel COPY workers); Finish is called once, after every stream is closed. A
// SnapshotReader and its sources are safe for concurrent OpenStream calls.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "io/stream.h"
#include "repo/repository.h"

namespace summit::repo {

struct SnapshotStream {
  std::string name;
  uint64_t size = 0;
  uint64_t stored_size = 0;
  crypto::Digest sha256{};
  std::vector<BlobId> chunks;
  // XXH3-128 of the logical bytes; absent in snapshots written before the field existed
  // (2026-11-24): restore then checks the SHA-256.
  std::optional<codec::Xxh128> xxh3_128;
};

struct SnapshotComponent {
  std::string name;
  nlohmann::json attributes = nlohmann::json::object();
  std::vector<SnapshotStream> streams;  // sorted by name
};

struct SnapshotManifest {
  int version = 1;
  std::string id;       // summit-backup-full-20250120T020000Z
  std::string set;      // full, minimal, tenant, ...
  std::string tenant;
  std::string project;
  std::string host;
  std::string started;  // RFC 3339
  std::string finished;
  double duration_seconds = 0;
  std::string tool_version;
  std::string repository_id;
  uint64_t new_bytes = 0;  // bytes this snapshot added to the repository
  nlohmann::json labels = nlohmann::json::object();
  // Snapshots this one cannot be restored without (an incremental capture's bases; direct
  // dependencies only, sorted). Retention, prune, replicate and check follow them transitively.
  std::vector<std::string> bases;
  std::vector<SnapshotComponent> components;  // sorted by name

  const SnapshotComponent* FindComponent(std::string_view name) const;
};

// Manifest codec (pure; fuzzed). Parse fails with kCorruption on anything malformed.
std::string EncodeManifest(const SnapshotManifest& m);
Result<SnapshotManifest> ParseManifest(ByteView json);
// The plain backup-metadata.json for a manifest: readable with jq, no chunk ids, no secrets.
nlohmann::json MetadataJson(const SnapshotManifest& m);

// Snapshot ids are one key segment: [A-Za-z0-9._-]+, at most 200 characters.
Status ValidateSnapshotId(std::string_view id);

struct SnapshotInfo {
  std::string id;
  std::string set;
  std::string tenant;
  std::string project;
  std::string host;
  std::string tool_version;
  nlohmann::json labels = nlohmann::json::object();
};

class SnapshotWriter {
 public:
  // kInvalidInput for a bad id, kAlreadyExists when snapshots/<id> exists.
  static Result<std::unique_ptr<SnapshotWriter>> Begin(Repository& repo, SnapshotInfo info, const Clock& clock);
  ~SnapshotWriter();  // without Finish: abandons (nothing becomes visible)

  // The capture sink of a component ("postgres", "redis", ...), created on first use. The
  // pointer stays valid for the writer's lifetime. kInvalidInput for a bad component name.
  Result<CaptureSink*> Component(std::string_view name);
  // Flushes the repository (packs, then index), then writes the manifest. Fails with
  // kInternal if a stream is still open. Returns the backup-metadata.json document.
  Result<nlohmann::json> Finish();
  // Records that the snapshot depends on snapshot `id` (an incremental capture's base).
  void AddBase(const std::string& id);

 private:
  class ComponentSink;
  class StreamSink;
  SnapshotWriter(Repository& repo, SnapshotInfo info, const Clock& clock);
  Repository& repo_;
  const Clock& clock_;
  SnapshotManifest manifest_;
  TimePoint started_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ComponentSink>, std::less<>> components_;
  int open_streams_ = 0;
  bool finished_ = false;
};

class SnapshotReader {
 public:
  // kNotFound when the snapshot does not exist; kCorruption when its manifest fails
  // authentication or parsing.
  static Result<std::unique_ptr<SnapshotReader>> Open(Repository& repo, std::string_view id);

  const SnapshotManifest& manifest() const { return manifest_; }
  std::vector<std::string> Components() const;
  // kNotFound for a component the snapshot does not have.
  Result<std::unique_ptr<CaptureSource>> Component(std::string_view name);
  nlohmann::json Metadata() const { return MetadataJson(manifest_); }
  Repository& repository() const { return repo_; }

 private:
  SnapshotReader(Repository& repo, SnapshotManifest m) : repo_(repo), manifest_(std::move(m)) {}
  Repository& repo_;
  SnapshotManifest manifest_;
};

// Every snapshot in the repository, sorted by (started, id). Unreadable manifests fail the call.
Result<std::vector<SnapshotManifest>> ListSnapshots(Repository& repo);
Result<SnapshotManifest> LoadManifest(Repository& repo, std::string_view id);

}  // namespace summit::repo
