// The repository: deduplicated, compressed, encrypted, crash-safe storage of byte streams on a
// storage::Backend (docs/repository-format.md is the format; this is its reader and writer).
//
// Write path: StreamWriter (a ByteSink) cuts content-defined chunks on the caller's thread and
// hands each to the worker pool, which computes the keyed chunk id, skips chunks already stored
// (dedup against the index and against chunks in flight), compresses (zstd, raw when that does
// not shrink), encrypts (AES-256-GCM) and appends the blob to an open pack; a full pack (~16 MiB)
// is uploaded by the worker that filled it. Flush() uploads the last open pack and then writes
// an index file for the packs uploaded since the previous Flush.
//
// Invariants ("Write order and invariants" in the format doc): a pack is uploaded before any
// index file lists it; an index file is written before any snapshot references its blobs (the
// snapshot layer calls Flush before writing a manifest). Memory is bounded by the worker queue
// and the number of open packs, independent of input size.
//
// Errors: after any write error (e.g. kNoSpace from the backend) the Repository refuses further
// writes with that error; nothing already in the repository is affected; reopen to retry.
//
// Thread-safety: a Repository is safe for concurrent use (many StreamWriters and readers at
// once). A StreamWriter or stream reader is used by one thread at a time. The Backend must
// outlive the Repository; the Repository must outlive its writers and readers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "codec/checksum.h"
#include "codec/chunker.h"
#include "codec/compress.h"
#include "core/clock.h"
#include "core/secret.h"
#include "crypto/keyfile.h"
#include "io/stream.h"
#include "repo/format.h"
#include "repo/worker_pool.h"
#include "storage/backend.h"

namespace summit::repo {

struct InitOptions {
  codec::ChunkerParams chunker = codec::DefaultChunkerParams();
  int zstd_level = codec::kDefaultZstdLevel;
  uint32_t pack_size = 16u << 20;
  crypto::KdfParams kdf;
  std::string host;
  std::string username;
  std::string label;
  int workers = 0;  // 0: one per hardware thread
};

struct OpenOptions {
  int workers = 0;  // 0: one per hardware thread
};

// Where a blob lives (one index entry).
struct BlobLocation {
  PackId pack{};
  PackBlob blob;
};

// What a closed StreamWriter recorded.
struct StreamSummary {
  uint64_t size = 0;          // logical bytes written
  uint64_t stored_size = 0;   // sealed bytes of its chunks (whether new or deduplicated)
  uint64_t new_bytes = 0;     // sealed bytes this stream added to the repository
  crypto::Digest sha256{};    // of the logical bytes
  codec::Xxh128 xxh3_128{};   // of the logical bytes (the check restore uses)
  std::vector<BlobId> chunks; // in order
};

struct KeyInfo {
  std::string id;  // the key file's name under keys/
  std::string created;
  std::string host;
  std::string username;
  std::string label;
  bool current = false;  // the key this Repository was opened with
};

// What a stream read checks once it has read every byte (docs/repository-format.md,
// "Integrity"): each digest given must equal that of the stream's bytes, or the final Read fails
// with kCorruption. With neither, every chunk is re-hashed against its id instead.
struct StreamCheck {
  std::optional<crypto::Digest> sha256;
  std::optional<codec::Xxh128> xxh3_128;
  bool any() const { return sha256.has_value() || xxh3_128.has_value(); }
};

class Repository;

class StreamWriter final : public ByteSink {
 public:
  ~StreamWriter() override;
  using ByteSink::Write;
  // Buffers and chunks; returns the repository's write error if one has happened.
  Status Write(ByteView data) override;
  // Cuts the final chunk and waits until every chunk of this stream is stored in a pack (which
  // may still be open: Repository::Flush makes it durable).
  Status Close() override;
  // Valid after a successful Close().
  const StreamSummary& summary() const { return summary_; }

 private:
  friend class Repository;
  struct State;
  StreamWriter(Repository* repo);
  void EmitChunk(ByteView chunk);
  Repository* repo_;
  std::shared_ptr<State> state_;
  Bytes buf_;
  size_t start_ = 0;
  crypto::Sha256Hasher hasher_;
  codec::Xxh3Hasher xxh3_;
  uint64_t size_ = 0;
  bool closed_ = false;
  StreamSummary summary_;
};

class Repository {
 public:
  // Creates a repository on an empty location: writes the key file, then the config (its
  // existence is what makes a repository). kAlreadyExists when a config is already there.
  static Result<std::unique_ptr<Repository>> Init(storage::Backend& backend, const SecretString& password,
                                                  const InitOptions& options, const Clock& clock);
  // Opens with the first key file the password unwraps and loads every index file.
  // kNotFound: no repository there; kWrongKey "wrong encryption key": no key file opens;
  // kCorruption: the config or an index fails authentication.
  static Result<std::unique_ptr<Repository>> Open(storage::Backend& backend, const SecretString& password,
                                                  const OpenOptions& options = {});
  ~Repository();

  const RepoConfig& config() const { return config_; }
  storage::Backend& backend() { return *backend_; }
  const crypto::MasterKey& master_key() const { return master_; }
  int workers() const { return pool_->threads(); }

  // --- streams ------------------------------------------------------------------------------
  std::unique_ptr<StreamWriter> NewStream();
  // Uploads the open pack and writes an index file for every pack uploaded since the last
  // Flush. After it returns, every closed stream's chunks are durable and indexed.
  Status Flush();
  // Reads the chunks in order; when `expected_sha256` is given, the final Read fails with
  // kCorruption if the bytes do not hash to it. Chunks are prefetched on the worker pool.
  std::unique_ptr<ByteSource> OpenStream(std::vector<BlobId> chunks,
                                         std::optional<crypto::Digest> expected_sha256 = std::nullopt);
  // As above, checking the digests `check` gives (a snapshot restore passes the stream's
  // XXH3-128 when the manifest records one, else its SHA-256).
  std::unique_ptr<ByteSource> OpenStream(std::vector<BlobId> chunks, const StreamCheck& check);
  // Reads, decrypts, decompresses and verifies one blob. kCorruption naming the pack when any
  // check fails; kNotFound when the index does not know the blob or its pack is missing.
  Result<Bytes> LoadBlob(const BlobId& id);
  // Reads blobs stored back to back in one pack with a single ranged Get (restore reads whole
  // runs of a stream's chunks this way: one request per run instead of one per chunk).
  Result<std::vector<Bytes>> LoadBlobRun(const PackId& pack, const std::vector<PackBlob>& run);
  // Decodes consecutive chunks of a stream, wherever they are stored, into `out`, which must hold
  // exactly the sum of their raw lengths (stream reads decode each job into one reused
  // buffer). The chunks' sealed bytes are fetched with one ranged Get per pack and range of
  // nearby blobs (gaps of at most kMaxReadGap are read and skipped), so a stream whose chunks
  // alternate between the packs of two backups costs a few reads per job, not one per chunk.
  // With `verify_ids` false the plaintext is not re-hashed against its id: only for readers that
  // hash the whole stream and compare it to the manifest's digest (every blob is still
  // authenticated by AES-GCM with its id as associated data).
  Status DecodeChunksInto(const std::vector<BlobLocation>& chunks, bool verify_ids, std::span<uint8_t> out);
  static constexpr uint32_t kMaxReadGap = 64u << 10;

  // --- index --------------------------------------------------------------------------------
  std::optional<BlobLocation> Find(const BlobId& id) const;
  size_t BlobCount() const;
  // Every index entry, grouped by pack (a copy).
  std::vector<IndexPack> IndexEntries() const;
  // Keys of the index files loaded (or written) by this instance.
  std::vector<std::string> IndexFiles() const;
  // Replaces the in-memory index with what index/ holds now.
  Status ReloadIndex();
  // Writes one index file with every entry, then deletes the index files it replaces
  // (a crash in between leaves duplicates, which merge harmlessly on load).
  Status CompactIndex();
  // Writes an index file for exactly these packs (prune and replicate use it). Returns its key.
  Result<std::string> WriteIndexFile(const std::vector<IndexPack>& packs);
  // Adds an already sealed blob (copied from another pack) to the open pack: prune's repack.
  Status AddSealedBlob(const PackBlob& blob, ByteView sealed);

  // --- sealed objects (config, snapshots) ---------------------------------------------------
  Status PutSealed(std::string_view key, ByteView plaintext, std::string_view aad);
  Result<Bytes> GetSealed(std::string_view key, std::string_view aad);

  // --- keys ---------------------------------------------------------------------------------
  Result<std::vector<KeyInfo>> ListKeys();
  // Adds a key file wrapping the same master key under `password`; returns its id.
  Result<std::string> AddKey(const SecretString& password, const crypto::KdfParams& kdf, std::string label,
                             const Clock& clock);
  // Removes a key file. kInvalidInput when it is the key in use or the last key.
  Status RemoveKey(std::string_view id);
  // Adds a key for `new_password` and removes the key this instance was opened with; no data
  // is rewritten. Returns the new key's id.
  Result<std::string> RotateKey(const SecretString& new_password, const crypto::KdfParams& kdf, const Clock& clock);
  const std::string& current_key_id() const { return key_id_; }

  // Every pack this instance uploaded, with its blobs (prune builds its new index from these).
  std::vector<IndexPack> PacksWritten() const;

  // Bytes uploaded to the backend (packs and index files) by this instance.
  uint64_t bytes_uploaded() const { return bytes_uploaded_.load(); }

 private:
  friend class StreamWriter;
  struct OpenPack {
    Bytes data;
    std::vector<PackBlob> blobs;
  };
  struct Location {
    uint32_t pack;
    uint32_t offset;
    uint32_t stored_length;
    uint32_t raw_length;
    uint8_t flags;
  };

  Repository(storage::Backend& backend, crypto::MasterKey master, RepoConfig config, std::string key_id, int workers);
  static Result<std::unique_ptr<Repository>> Finish(storage::Backend& backend, crypto::MasterKey master,
                                                    std::string key_id, int workers);

  // Worker side of StreamWriter::EmitChunk.
  void StoreChunk(const std::shared_ptr<StreamWriter::State>& state, size_t seq, Bytes chunk);
  // Appends to the open pack; uploads it when full. Call with no lock held.
  Status AppendToPack(const PackBlob& blob, ByteView sealed);
  Status UploadPack(OpenPack pack);
  // Pack buffers are reused rather than freed: a backup allocates at most (workers + 1 +
  // kSparePackBuffers) of them whatever its size, instead of leaving freed 16 MiB blocks
  // scattered over the allocator's per-thread arenas (which grew peak RSS with input size).
  Bytes TakePackBufferLocked();  // pack_mu_ held
  void RecyclePackBuffer(Bytes buf);
  static constexpr size_t kSparePackBuffers = 2;
  void SetError(const Error& e);
  Status WriteError() const;
  void AddIndexEntriesLocked(const PackId& pack, const std::vector<PackBlob>& blobs);
  Status LoadIndexFile(const std::string& key, std::vector<IndexPack>* out);
  // Both decrypt `sealed` in place (it is overwritten with plaintext), so no buffer is
  // allocated per blob.
  Result<Bytes> DecodeBlob(const std::string& pack_key, const PackBlob& blob, std::span<uint8_t> sealed) const;
  Status DecodeBlobInto(const std::string& pack_key, const PackBlob& blob, std::span<uint8_t> sealed,
                        bool verify_id, std::span<uint8_t> out) const;
  // One ranged Get covering the run; checks that every blob lies inside what came back.
  Result<Bytes> ReadRun(const std::string& pack_key, const std::vector<PackBlob>& run);
  void JobStarted();
  void JobDone();

  storage::Backend* backend_;
  crypto::MasterKey master_;
  RepoConfig config_;
  std::string key_id_;
  codec::Chunker chunker_;

  mutable std::mutex index_mu_;
  std::vector<PackId> packs_;
  std::unordered_map<PackId, uint32_t, IdHash> pack_numbers_;
  std::unordered_map<BlobId, Location, IdHash> blobs_;
  std::unordered_set<BlobId, IdHash> in_flight_;
  std::vector<IndexPack> unindexed_;  // uploaded since the last index file
  std::vector<std::string> index_files_;
  std::vector<IndexPack> written_;  // every pack uploaded by this instance

  std::mutex pack_mu_;
  OpenPack open_pack_;
  std::vector<Bytes> spare_packs_;  // cleared buffers with a pack's capacity

  std::mutex flush_mu_;
  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  size_t jobs_ = 0;

  mutable std::mutex error_mu_;
  std::optional<Error> error_;
  std::atomic<uint64_t> bytes_uploaded_{0};

  std::unique_ptr<WorkerPool> pool_;  // last: destroyed (joined) first
};

}  // namespace summit::repo
