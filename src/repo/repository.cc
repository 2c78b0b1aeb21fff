#include "repo/repository.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <deque>
#include <future>
#include <memory>
#include <thread>
#include <tuple>

#include "codec/compress.h"
#include "core/log.h"

namespace summit::repo {
namespace {

int WorkerCount(int requested) {
  if (requested > 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 2 : static_cast<int>(hw);
}

uint64_t ChunkerSeed(const crypto::MasterKey& m) {
  crypto::Digest d = crypto::HmacSha256(m.id, AsBytes("summit-dr chunker seed v1"));
  return GetU64(d.data());
}

ByteView IdView(const crypto::Digest& d) { return {d.data(), d.size()}; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// StreamWriter

struct StreamWriter::State {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;
  std::vector<BlobId> ids;
  std::vector<uint32_t> stored;
  uint64_t new_bytes = 0;
  std::optional<Error> error;
};

StreamWriter::StreamWriter(Repository* repo) : repo_(repo), state_(std::make_shared<State>()) {}

StreamWriter::~StreamWriter() {
  // Abandoning: wait for in-flight chunks so workers never outlive what they reference.
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->pending == 0; });
}

void StreamWriter::EmitChunk(ByteView chunk) {
  size_t seq;
  {
    std::lock_guard lock(state_->mu);
    seq = state_->ids.size();
    state_->ids.emplace_back();
    state_->stored.push_back(0);
    ++state_->pending;
  }
  repo_->JobStarted();
  Bytes copy(chunk.begin(), chunk.end());
  auto state = state_;
  Repository* repo = repo_;
  repo_->pool_->Submit([repo, state, seq, data = std::move(copy)]() mutable {
    repo->StoreChunk(state, seq, std::move(data));
  });
}

Status StreamWriter::Write(ByteView data) {
  if (closed_) return Fail(ErrorCode::kInternal, "write to a closed repository stream");
  SUMMIT_TRY(repo_->WriteError());
  {
    std::lock_guard lock(state_->mu);
    if (state_->error) return Fail(*state_->error);
  }
  hasher_.Update(data);
  xxh3_.Update(data);
  size_ += data.size();
  const size_t max = repo_->chunker_.params().max_size;
  // Chunks are cut straight from the caller's bytes while a whole max-size window is there
  // (EmitChunk copies each chunk once, for its job). Only bytes that must wait for the next
  // Write are copied into buf_: the tail shorter than a window, and, on the next Write, one
  // window of new bytes appended to that tail so its chunk can be cut; as soon as a cut passes
  // the appended copy, cutting continues in the caller's bytes. buf_ stays below 2 * max.
  while (!data.empty()) {
    if (start_ == buf_.size()) {
      buf_.clear();
      start_ = 0;
      while (data.size() >= max) {
        size_t cut = repo_->chunker_.Cut(data);
        EmitChunk(data.first(cut));
        data = data.subspan(cut);
      }
      buf_.assign(data.begin(), data.end());
      return Ok();
    }
    size_t take = std::min(data.size(), max);
    size_t data_at = buf_.size();  // where data's first byte lands in buf_
    buf_.insert(buf_.end(), data.begin(), data.begin() + take);
    while (buf_.size() - start_ >= max) {
      ByteView window(buf_.data() + start_, buf_.size() - start_);
      size_t cut = repo_->chunker_.Cut(window);
      EmitChunk(window.first(cut));
      start_ += cut;
    }
    if (start_ >= data_at) {
      // The next chunk starts inside `data` (always so when a whole window was taken).
      data = data.subspan(start_ - data_at);
      buf_.clear();
      start_ = 0;
    } else {
      // Fewer than `max` bytes came and no cut reached them: all of `data` is in buf_.
      data = data.subspan(take);
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
      start_ = 0;
    }
  }
  return Ok();
}

Status StreamWriter::Close() {
  if (closed_) return Fail(ErrorCode::kInternal, "repository stream closed twice");
  closed_ = true;
  while (start_ < buf_.size()) {
    ByteView window(buf_.data() + start_, buf_.size() - start_);
    size_t cut = repo_->chunker_.Cut(window);
    EmitChunk(window.first(cut));
    start_ += cut;
  }
  buf_.clear();
  buf_.shrink_to_fit();
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->pending == 0; });
  if (state_->error) return Fail(*state_->error);
  SUMMIT_TRY(repo_->WriteError());
  summary_.size = size_;
  summary_.sha256 = hasher_.Finish();
  summary_.xxh3_128 = xxh3_.Digest();
  summary_.chunks = state_->ids;
  for (uint32_t s : state_->stored) summary_.stored_size += s;
  summary_.new_bytes = state_->new_bytes;
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Construction

Repository::Repository(storage::Backend& backend, crypto::MasterKey master, RepoConfig config, std::string key_id,
                       int workers)
    : backend_(&backend),
      master_(master),
      config_(std::move(config)),
      key_id_(std::move(key_id)),
      chunker_(*codec::Chunker::Create(config_.chunker, ChunkerSeed(master_))),
      pool_(std::make_unique<WorkerPool>(WorkerCount(workers), static_cast<size_t>(WorkerCount(workers)) * 2)) {}

Repository::~Repository() {
  // Wait for in-flight work; data not flushed is abandoned (packs without an index are garbage
  // that prune removes).
  std::unique_lock lock(jobs_mu_);
  jobs_cv_.wait(lock, [&] { return jobs_ == 0; });
}

Result<std::unique_ptr<Repository>> Repository::Init(storage::Backend& backend, const SecretString& password,
                                                     const InitOptions& options, const Clock& clock) {
  auto existing = backend.Stat(kConfigKey);
  if (existing.has_value())
    return Fail(Error(ErrorCode::kAlreadyExists, "a repository already exists at " + backend.Describe(),
                      "open it instead, or choose an empty location"));
  if (existing.error().code() != ErrorCode::kNotFound) return Fail(existing.error().Context("initializing repository"));
  SUMMIT_ASSIGN_OR_RETURN(auto chunker, codec::Chunker::Create(options.chunker, 0));
  (void)chunker;
  SUMMIT_TRY(codec::ValidateZstdLevel(options.zstd_level));
  if (options.pack_size < 4096 || options.pack_size > (1u << 30))
    return Fail(ErrorCode::kInvalidInput, "pack size " + std::to_string(options.pack_size) + " is out of range");

  crypto::MasterKey master = crypto::MasterKey::Random();
  RepoConfig config;
  crypto::Key256 rid = crypto::RandomKey();
  config.id = HexEncode(rid);
  config.chunker = options.chunker;
  config.zstd_level = options.zstd_level;
  config.pack_size = options.pack_size;
  config.created = FormatRfc3339(clock.Now());

  // Write order ("Write order and invariants" 1): the key file first, the config last.
  SUMMIT_ASSIGN_OR_RETURN(crypto::KeyFile kf, crypto::WrapMasterKey(master, password, options.kdf));
  kf.created = config.created;
  kf.host = options.host;
  kf.username = options.username;
  kf.label = options.label;
  std::string kf_text = crypto::EncodeKeyFile(kf);
  std::string key_id = IdHex(crypto::Sha256(AsBytes(kf_text)));
  SUMMIT_TRY_CTX(backend.Put(std::string(kKeysPrefix) + key_id, AsBytes(kf_text)), "writing key file");
  std::string config_text = EncodeConfig(config);
  Bytes sealed = crypto::Seal(master.encryption, AsBytes(config_text), AsBytes(kAadConfig));
  SUMMIT_TRY_CTX(backend.Put(kConfigKey, sealed), "writing repository config");
  return std::unique_ptr<Repository>(new Repository(backend, master, std::move(config), key_id, options.workers));
}

Result<std::unique_ptr<Repository>> Repository::Open(storage::Backend& backend, const SecretString& password,
                                                     const OpenOptions& options) {
  auto config_stat = backend.Stat(kConfigKey);
  if (!config_stat.has_value()) {
    if (config_stat.error().code() == ErrorCode::kNotFound)
      return Fail(Error(ErrorCode::kNotFound, "no summit-dr repository at " + backend.Describe(),
                        "check the repository location, or create one with `summit-dr init`"));
    return Fail(config_stat.error().Context("opening repository at " + backend.Describe()));
  }
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto keys, backend.List(kKeysPrefix), "listing key files");
  if (keys.empty())
    return Fail(Error(ErrorCode::kCorruption, "repository at " + backend.Describe() + " has no key files",
                      "restore keys/ from a copy of the repository"));
  for (const auto& info : keys) {
    auto data = backend.Get(info.key);
    if (!data.has_value()) {
      if (data.error().code() == ErrorCode::kNotFound) continue;  // removed concurrently
      return Fail(data.error().Context("reading key file " + info.key));
    }
    auto kf = crypto::ParseKeyFile(*data);
    if (!kf.has_value()) {
      log::Warn("skipping unreadable key file", {{"key", info.key}, {"error", kf.error().message()}});
      continue;
    }
    auto master = crypto::UnwrapMasterKey(*kf, password);
    if (!master.has_value()) {
      if (master.error().code() == ErrorCode::kWrongKey) continue;
      return Fail(master.error().Context("opening key file " + info.key));
    }
    return Finish(backend, *master, info.key.substr(kKeysPrefix.size()), options.workers);
  }
  return Fail(Error(ErrorCode::kWrongKey, "wrong encryption key",
                    "none of the " + std::to_string(keys.size()) + " key files of " + backend.Describe() +
                        " opens with this key; check ENCRYPTION_KEY or the key file"));
}

Result<std::unique_ptr<Repository>> Repository::Finish(storage::Backend& backend, crypto::MasterKey master,
                                                       std::string key_id, int workers) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(Bytes sealed, backend.Get(kConfigKey), "reading repository config");
  auto plain = crypto::Open(master.encryption, sealed, AsBytes(kAadConfig));
  if (!plain.has_value())
    return Fail(Error(ErrorCode::kCorruption, "repository config of " + backend.Describe() + " fails authentication",
                      "the config object was damaged or replaced; restore it from a replica"));
  SUMMIT_ASSIGN_OR_RETURN(RepoConfig config, ParseConfig(*plain));
  SUMMIT_TRY(codec::Chunker::Create(config.chunker, 0));
  std::unique_ptr<Repository> repo(new Repository(backend, master, std::move(config), std::move(key_id), workers));
  SUMMIT_TRY(repo->ReloadIndex());
  return repo;
}

// ---------------------------------------------------------------------------------------------
// Write path

void Repository::JobStarted() {
  std::lock_guard lock(jobs_mu_);
  ++jobs_;
}

void Repository::JobDone() {
  std::lock_guard lock(jobs_mu_);
  if (--jobs_ == 0) jobs_cv_.notify_all();
}

void Repository::SetError(const Error& e) {
  std::lock_guard lock(error_mu_);
  if (!error_) error_ = e;
}

Status Repository::WriteError() const {
  std::lock_guard lock(error_mu_);
  if (error_) return Fail(*error_);
  return Ok();
}

std::unique_ptr<StreamWriter> Repository::NewStream() {
  return std::unique_ptr<StreamWriter>(new StreamWriter(this));
}

void Repository::StoreChunk(const std::shared_ptr<StreamWriter::State>& state, size_t seq, Bytes chunk) {
  BlobId id = crypto::HmacSha256(master_.id, chunk);
  uint32_t stored = 0;
  bool is_new = false;
  std::optional<Error> err;
  {
    std::lock_guard lock(index_mu_);
    auto it = blobs_.find(id);
    if (it != blobs_.end()) {
      stored = it->second.stored_length;
    } else if (in_flight_.count(id)) {
      // Stored by another job right now; its sealed size is unknown here, estimate by length.
      stored = static_cast<uint32_t>(chunk.size() + crypto::kSealOverhead);
    } else {
      in_flight_.insert(id);
      is_new = true;
    }
  }
  if (is_new && !WriteError().has_value()) is_new = false, err = WriteError().error();
  if (is_new) {
    // The chunk is compressed straight into this worker's sealing buffer, after the nonce, and
    // encrypted there: no allocation or zero-filling per chunk. The frame must come out at
    // least one byte smaller than the chunk, otherwise the chunk is stored raw ("Blobs").
    thread_local Bytes scratch;
    if (scratch.size() < chunk.size() + crypto::kSealOverhead) scratch.resize(chunk.size() + crypto::kSealOverhead);
    size_t compressed = chunk.empty() ? 0
                                      : codec::CompressInto(chunk, config_.zstd_level,
                                                            std::span<uint8_t>(scratch.data() + crypto::kNonceSize,
                                                                               chunk.size() - 1));
    ByteView plain = compressed > 0 ? ByteView(scratch.data() + crypto::kNonceSize, compressed) : ByteView(chunk);
    std::span<uint8_t> sealed(scratch.data(), plain.size() + crypto::kSealOverhead);
    crypto::SealInto(master_.encryption, plain, IdView(id), sealed);
    PackBlob blob;
    blob.id = id;
    blob.flags = compressed > 0 ? kBlobCompressed : 0;
    blob.raw_length = static_cast<uint32_t>(chunk.size());
    blob.stored_length = static_cast<uint32_t>(sealed.size());
    stored = blob.stored_length;
    Status st = AppendToPack(blob, sealed);
    if (!st) err = st.error();
  }
  {
    std::lock_guard lock(state->mu);
    state->ids[seq] = id;
    state->stored[seq] = stored;
    if (is_new) state->new_bytes += stored;
    if (err && !state->error) state->error = *err;
    if (--state->pending == 0) state->cv.notify_all();
  }
  JobDone();
}

Bytes Repository::TakePackBufferLocked() {
  Bytes buf;
  if (!spare_packs_.empty()) {
    buf = std::move(spare_packs_.back());
    spare_packs_.pop_back();
  }
  // Room for a full pack, its last blob and the header, so appends never reallocate.
  buf.reserve(config_.pack_size + (1u << 20));
  return buf;
}

void Repository::RecyclePackBuffer(Bytes buf) {
  buf.clear();
  std::lock_guard lock(pack_mu_);
  if (spare_packs_.size() < kSparePackBuffers) spare_packs_.push_back(std::move(buf));
}

Status Repository::AppendToPack(const PackBlob& blob_in, ByteView sealed) {
  std::unique_lock lock(pack_mu_);
  if (open_pack_.data.capacity() == 0) open_pack_.data = TakePackBufferLocked();
  PackBlob blob = blob_in;
  blob.offset = static_cast<uint32_t>(open_pack_.data.size());
  open_pack_.data.insert(open_pack_.data.end(), sealed.begin(), sealed.end());
  open_pack_.blobs.push_back(blob);
  if (open_pack_.data.size() < config_.pack_size) return Ok();
  OpenPack full = std::move(open_pack_);
  open_pack_ = OpenPack{};
  open_pack_.data = TakePackBufferLocked();
  lock.unlock();
  return UploadPack(std::move(full));
}

Status Repository::AddSealedBlob(const PackBlob& blob, ByteView sealed) {
  SUMMIT_TRY(WriteError());
  {
    std::lock_guard lock(index_mu_);
    if (in_flight_.count(blob.id)) return Ok();
    in_flight_.insert(blob.id);
  }
  Status st = AppendToPack(blob, sealed);
  if (!st) SetError(st.error());
  return st;
}

Status Repository::UploadPack(OpenPack pack) {
  // "Packs": blobs, then the sealed header, then the header's length.
  Bytes header = EncodePackHeader(pack.blobs);
  size_t before = pack.data.size();
  crypto::SealAppend(master_.encryption, header, AsBytes(kAadPackHeader), pack.data);
  PutU32(pack.data, static_cast<uint32_t>(pack.data.size() - before));
  PackId id = crypto::Sha256(pack.data);
  std::string key = PackKey(id);
  Status st = backend_->Put(key, pack.data);
  if (!st) {
    Error e = st.error().Context("uploading pack " + key + " to " + backend_->Describe());
    SetError(e);
    return Fail(std::move(e));
  }
  bytes_uploaded_ += pack.data.size();
  RecyclePackBuffer(std::move(pack.data));
  std::lock_guard lock(index_mu_);
  AddIndexEntriesLocked(id, pack.blobs);
  for (const auto& b : pack.blobs) in_flight_.erase(b.id);
  written_.push_back(IndexPack{id, pack.blobs});
  unindexed_.push_back(IndexPack{id, std::move(pack.blobs)});
  return Ok();
}

void Repository::AddIndexEntriesLocked(const PackId& pack, const std::vector<PackBlob>& blobs) {
  auto [it, inserted] = pack_numbers_.emplace(pack, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.push_back(pack);
  uint32_t n = it->second;
  for (const auto& b : blobs)
    blobs_.try_emplace(b.id, Location{n, b.offset, b.stored_length, b.raw_length, b.flags});
}

Status Repository::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  {
    std::unique_lock lock(jobs_mu_);
    jobs_cv_.wait(lock, [&] { return jobs_ == 0; });
  }
  SUMMIT_TRY(WriteError());
  OpenPack last;
  {
    std::lock_guard lock(pack_mu_);
    last = std::move(open_pack_);
    open_pack_ = OpenPack{};
  }
  if (!last.blobs.empty()) SUMMIT_TRY(UploadPack(std::move(last)));
  std::vector<IndexPack> pending;
  {
    std::lock_guard lock(index_mu_);
    pending.swap(unindexed_);
  }
  if (pending.empty()) return Ok();
  auto written = WriteIndexFile(pending);
  if (!written) {
    SetError(written.error());
    return Fail(written.error());
  }
  return Ok();
}

Result<std::string> Repository::WriteIndexFile(const std::vector<IndexPack>& packs) {
  Bytes plain = EncodeIndex(packs);
  Bytes sealed = crypto::Seal(master_.encryption, plain, AsBytes(kAadIndex));
  std::string key = IndexKey(crypto::Sha256(sealed));
  SUMMIT_TRY_CTX(backend_->Put(key, sealed), "writing index file " + key + " to " + backend_->Describe());
  bytes_uploaded_ += sealed.size();
  std::lock_guard lock(index_mu_);
  index_files_.push_back(key);
  for (const auto& p : packs) AddIndexEntriesLocked(p.pack, p.blobs);
  return key;
}

// ---------------------------------------------------------------------------------------------
// Index loading

Status Repository::LoadIndexFile(const std::string& key, std::vector<IndexPack>* out) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(Bytes sealed, backend_->Get(key), "reading index file " + key);
  auto plain = crypto::Open(master_.encryption, sealed, AsBytes(kAadIndex));
  if (!plain.has_value())
    return Fail(Error(ErrorCode::kCorruption, "index file " + key + " fails authentication",
                      "run `summit-dr check`; rebuild the index from packs or restore it from a replica"));
  SUMMIT_ASSIGN_OR_RETURN_CTX(*out, ParseIndex(*plain), "parsing index file " + key);
  return Ok();
}

Status Repository::ReloadIndex() {
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto files, backend_->List(kIndexPrefix), "listing index files");
  std::vector<std::vector<IndexPack>> loaded(files.size());
  // Index files are independent: load them in parallel on the pool.
  std::vector<std::future<Status>> futures;
  futures.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    auto task = std::make_shared<std::packaged_task<Status()>>(
        [this, &files, &loaded, i] { return LoadIndexFile(files[i].key, &loaded[i]); });
    futures.push_back(task->get_future());
    pool_->Submit([task] { (*task)(); });
  }
  std::optional<Error> first;
  for (auto& f : futures) {
    Status st = f.get();
    if (!st && !first) first = st.error();
  }
  if (first) return Fail(*first);
  size_t total = 0;
  for (const auto& l : loaded)
    for (const auto& p : l) total += p.blobs.size();
  std::lock_guard lock(index_mu_);
  packs_.clear();
  pack_numbers_.clear();
  blobs_.clear();
  blobs_.reserve(total);
  index_files_.clear();
  for (size_t i = 0; i < files.size(); ++i) {
    index_files_.push_back(files[i].key);
    for (const auto& p : loaded[i]) AddIndexEntriesLocked(p.pack, p.blobs);
  }
  return Ok();
}

std::optional<BlobLocation> Repository::Find(const BlobId& id) const {
  std::lock_guard lock(index_mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) return std::nullopt;
  const Location& l = it->second;
  BlobLocation out;
  out.pack = packs_[l.pack];
  out.blob = PackBlob{id, l.flags, l.offset, l.stored_length, l.raw_length};
  return out;
}

size_t Repository::BlobCount() const {
  std::lock_guard lock(index_mu_);
  return blobs_.size();
}

std::vector<IndexPack> Repository::IndexEntries() const {
  std::lock_guard lock(index_mu_);
  std::vector<IndexPack> out(packs_.size());
  for (size_t i = 0; i < packs_.size(); ++i) out[i].pack = packs_[i];
  for (const auto& [id, l] : blobs_)
    out[l.pack].blobs.push_back(PackBlob{id, l.flags, l.offset, l.stored_length, l.raw_length});
  for (auto& p : out)
    std::sort(p.blobs.begin(), p.blobs.end(), [](const PackBlob& a, const PackBlob& b) { return a.offset < b.offset; });
  return out;
}

std::vector<IndexPack> Repository::PacksWritten() const {
  std::lock_guard lock(index_mu_);
  return written_;
}

std::vector<std::string> Repository::IndexFiles() const {
  std::lock_guard lock(index_mu_);
  return index_files_;
}

Status Repository::CompactIndex() {
  SUMMIT_TRY(Flush());
  std::vector<std::string> old = IndexFiles();
  if (old.size() <= 1) return Ok();
  std::vector<IndexPack> all = IndexEntries();
  SUMMIT_ASSIGN_OR_RETURN(std::string written, WriteIndexFile(all));
  // "Write order and invariants" 4: the new index is durable before the old ones go.
  for (const auto& key : old)
    if (key != written) SUMMIT_TRY_CTX(backend_->Delete(key), "deleting superseded index file " + key);
  std::lock_guard lock(index_mu_);
  index_files_ = {written};
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Read path

Status Repository::DecodeBlobInto(const std::string& key, const PackBlob& blob, std::span<uint8_t> sealed,
                                  bool verify_id, std::span<uint8_t> out) const {
  const BlobId& id = blob.id;
  auto fail = [&](std::string what) {
    return Fail(ErrorCode::kCorruption, "chunk " + IdHex(id).substr(0, 16) + " in pack " + key + " " + what);
  };
  if (out.size() != blob.raw_length)
    return Fail(ErrorCode::kInternal, "chunk " + IdHex(id).substr(0, 16) + ": output buffer of the wrong size");
  if (sealed.size() < crypto::kSealOverhead) return fail("fails authentication (the pack is damaged)");
  size_t plain_size = sealed.size() - crypto::kSealOverhead;
  if (blob.flags & kBlobCompressed) {
    // Decrypted in place (the run's buffer is ours), then decompressed into `out`: no
    // allocation per blob.
    std::span<uint8_t> plain = sealed.subspan(crypto::kNonceSize, plain_size);
    if (!crypto::OpenInto(master_.encryption, sealed, IdView(id), plain).has_value())
      return fail("fails authentication (the pack is damaged)");
    Status st = codec::DecompressInto(plain, out);
    if (!st) return Fail(st.error().Context("chunk " + IdHex(id).substr(0, 16) + " in pack " + key));
  } else {
    if (plain_size != blob.raw_length) return fail("fails its hash");
    if (!crypto::OpenInto(master_.encryption, sealed, IdView(id), out).has_value())
      return fail("fails authentication (the pack is damaged)");
  }
  if (verify_id && crypto::HmacSha256(master_.id, out) != id) return fail("fails its hash");
  return Ok();
}

Result<Bytes> Repository::DecodeBlob(const std::string& key, const PackBlob& blob, std::span<uint8_t> sealed) const {
  Bytes raw(blob.raw_length);
  SUMMIT_TRY(DecodeBlobInto(key, blob, sealed, true, raw));
  return raw;
}

Result<Bytes> Repository::LoadBlob(const BlobId& id) {
  auto loc = Find(id);
  if (!loc)
    return Fail(Error(ErrorCode::kNotFound, "chunk " + IdHex(id) + " is not in the repository index",
                      "run `summit-dr check` to find the snapshots that reference it"));
  SUMMIT_ASSIGN_OR_RETURN(auto run, LoadBlobRun(loc->pack, {loc->blob}));
  return std::move(run[0]);
}

Result<Bytes> Repository::ReadRun(const std::string& key, const std::vector<PackBlob>& run) {
  uint64_t start = run.front().offset;
  uint64_t length = static_cast<uint64_t>(run.back().offset) + run.back().stored_length - start;
  SUMMIT_ASSIGN_OR_RETURN_CTX(Bytes data, backend_->Get(key, start, length),
                              "reading chunk " + IdHex(run.front().id).substr(0, 16) + " from pack " + key);
  for (const auto& b : run) {
    uint64_t off = b.offset - start;
    if (b.offset < start || off + b.stored_length > data.size())
      return Fail(ErrorCode::kCorruption, "pack " + key + " is truncated: chunk " + IdHex(b.id).substr(0, 16) +
                                              " at offset " + std::to_string(b.offset) + " is cut short");
  }
  return data;
}

Result<std::vector<Bytes>> Repository::LoadBlobRun(const PackId& pack, const std::vector<PackBlob>& run) {
  std::vector<Bytes> out;
  if (run.empty()) return out;
  std::string key = PackKey(pack);
  SUMMIT_ASSIGN_OR_RETURN(Bytes data, ReadRun(key, run));
  out.reserve(run.size());
  for (const auto& b : run) {
    uint64_t off = b.offset - run.front().offset;
    SUMMIT_ASSIGN_OR_RETURN(Bytes raw, DecodeBlob(key, b, std::span<uint8_t>(data.data() + off, b.stored_length)));
    out.push_back(std::move(raw));
  }
  return out;
}

Status Repository::DecodeChunksInto(const std::vector<BlobLocation>& chunks, bool verify_ids,
                                    std::span<uint8_t> out) {
  // Per pack, the distinct blobs by offset, cut into ranges wherever the gap exceeds kMaxReadGap.
  struct Range {
    const PackId* pack;
    std::vector<PackBlob> blobs;  // by offset, distinct
    std::string key;
    Bytes data;
  };
  std::vector<size_t> order(chunks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(chunks[a].pack, chunks[a].blob.offset) < std::tie(chunks[b].pack, chunks[b].blob.offset);
  });
  std::vector<Range> ranges;
  for (size_t i : order) {
    const BlobLocation& c = chunks[i];
    if (!ranges.empty() && *ranges.back().pack == c.pack) {
      const PackBlob& last = ranges.back().blobs.back();
      if (last.offset == c.blob.offset) continue;  // the same blob twice
      if (c.blob.offset >= last.offset + last.stored_length &&
          c.blob.offset - (last.offset + last.stored_length) <= kMaxReadGap) {
        ranges.back().blobs.push_back(c.blob);
        continue;
      }
    }
    ranges.push_back(Range{&c.pack, {c.blob}, {}, {}});
  }
  for (auto& r : ranges) {
    r.key = PackKey(*r.pack);
    SUMMIT_ASSIGN_OR_RETURN(r.data, ReadRun(r.key, r.blobs));
  }
  // Decoded in stream order. A blob is decrypted in place, so a blob listed twice is decoded
  // once and its plaintext copied.
  struct Done {
    const PackId* pack;
    uint32_t offset;
    size_t at;
  };
  std::vector<Done> done;
  size_t pos = 0;
  for (const auto& c : chunks) {
    const PackBlob& b = c.blob;
    if (pos + b.raw_length > out.size()) return Fail(ErrorCode::kInternal, "job buffer too small");
    std::span<uint8_t> dst = out.subspan(pos, b.raw_length);
    auto seen = std::find_if(done.begin(), done.end(),
                             [&](const Done& d) { return *d.pack == c.pack && d.offset == b.offset; });
    if (seen != done.end()) {
      std::memcpy(dst.data(), out.data() + seen->at, b.raw_length);
    } else {
      auto r = std::find_if(ranges.begin(), ranges.end(), [&](const Range& x) {
        return *x.pack == c.pack && x.blobs.front().offset <= b.offset && b.offset <= x.blobs.back().offset;
      });
      if (r == ranges.end()) return Fail(ErrorCode::kInternal, "chunk outside the ranges read");
      uint64_t off = b.offset - r->blobs.front().offset;
      if (off + b.stored_length > r->data.size())
        return Fail(ErrorCode::kCorruption, "index entries of pack " + r->key + " overlap");
      SUMMIT_TRY(DecodeBlobInto(r->key, b, std::span<uint8_t>(r->data.data() + off, b.stored_length),
                                verify_ids, dst));
      done.push_back(Done{&c.pack, b.offset, pos});
    }
    pos += b.raw_length;
  }
  if (pos != out.size()) return Fail(ErrorCode::kInternal, "job buffer size mismatch");
  return Ok();
}

namespace {

// A stream read is a three-stage pipeline (docs/repository-format.md, "Integrity"):
//   1. decode (pool, in parallel): read a run of consecutive chunks (a ranged Get per pack and
//      range of nearby blobs), authenticate and decrypt each blob in place, decompress into a
//      reused buffer;
//   2. hash (pool, in stream order, InOrder): the worker that finishes the run next in stream
//      order feeds it, and every later run already decoded, to the stream's digest (XXH3-128,
//      or SHA-256 for snapshots without one), while the other workers keep decoding;
//   3. copy out (the reader's thread): Read hands out runs that have been hashed.
// The reader's thread thus only copies bytes; decoding and hashing overlap on the workers, and
// the final Read (returning 0) compares the digest with the manifest's before reporting the end.
class RepoStreamSource final : public ByteSource {
 public:
  RepoStreamSource(Repository* repo, WorkerPool* pool, std::vector<BlobId> chunks, StreamCheck expected)
      : repo_(repo), pool_(pool), chunks_(std::move(chunks)), expected_(std::move(expected)),
        shared_(std::make_shared<Shared>()) {
    shared_->sha256 = expected_.sha256.has_value();
    shared_->xxh3 = expected_.xxh3_128.has_value();
  }

  // Jobs still running hold `shared_` (and their buffers) and finish on their own; the
  // Repository's pool drains before the Repository goes away.
  ~RepoStreamSource() override = default;

  Result<size_t> Read(std::span<uint8_t> buf) override {
    size_t done = 0;
    while (done < buf.size()) {
      SUMMIT_ASSIGN_OR_RETURN(ByteView piece, Next(buf.size() - done));
      if (piece.empty()) break;
      std::memcpy(buf.data() + done, piece.data(), piece.size());
      done += piece.size();
    }
    return done;
  }

  // The decoded run itself: no copy.
  Result<ByteView> View(size_t max, Bytes& /*scratch*/) override { return Next(max); }

 private:
  // A run is consecutive chunks of the stream, from however many packs (a day-2 snapshot's
  // chunks alternate between day-1 and day-2 packs: one job per contiguous piece meant ~16k jobs,
  // Gets and writes for 2 GB instead of ~2k). DecodeChunksInto fetches each pack's share with as
  // few Gets as gaps allow, and the job decodes into one buffer. A run holds at most kMaxRunBytes
  // stored bytes (plus the skipped gaps); it also stops at kMaxRunRaw plaintext bytes so that
  // (a) memory is bounded by what the reader holds decoded, whatever the compression ratio
  // (8 MiB of stored text can be 50 MiB of plaintext), and (b) a stream splits into enough jobs
  // to keep every worker decoding. Jobs are started ahead while the plaintext they will hold
  // stays under kMaxAheadRaw (and at most kMaxAheadJobs), counting every run submitted and not
  // yet taken by Read (decoding, waiting to be hashed or hashed), so peak memory is about
  // kMaxAheadRaw + kMaxRunRaw per open stream, independent of its size.
  // Run buffers are reused (no allocation, zero-filling or page faults per run). Runs of 1 MiB
  // and 12 MiB ahead keep the decoded runs in L3 between decoding, hashing and the consumer
  // (4 MiB runs with 32 MiB ahead cost ~3-5 % more CPU on a 1 GB restore; see
  // bench/repo_vs_restic.md, 2026-11-24 evening).
  static constexpr uint64_t kMaxRunBytes = 8u << 20;
  static constexpr uint64_t kMaxRunRaw = 1u << 20;
  static constexpr uint64_t kMaxAheadRaw = 12u << 20;
  static constexpr size_t kMaxAheadJobs = 16;

  struct Run {
    std::unique_ptr<uint8_t[]> data;
    size_t capacity = 0;
    size_t size = 0;
  };

  // What the jobs share with the reader. Owned jointly, so a reader abandoned mid-stream never
  // waits for its jobs and jobs never touch a destroyed reader.
  struct Shared {
    // The stream's digests, fed in stream order by `done`'s step (never concurrently), and read
    // by the reader only after it has taken the last run.
    crypto::Sha256Hasher hasher;
    codec::Xxh3Hasher xxh3_hasher;
    bool sha256 = false;  // check the SHA-256: hash the runs with it
    bool xxh3 = false;    // check the XXH3-128
    bool failed = false;  // a run failed to decode: stop hashing (step only)
    InOrder<Result<Run>> done{[this](Result<Run>& r) {
      if (!r.has_value()) failed = true;
      if (failed) return;
      ByteView bytes(r->data.get(), r->size);
      if (sha256) hasher.Update(bytes);
      if (xxh3) xxh3_hasher.Update(bytes);
    }};
  };

  // The next at most `max` bytes of the current run, moving to the next run when it is used
  // up; empty at the end of the stream, once the digest has been checked. The view stays valid
  // until the next call (the run's buffer is reused only when a later call moves past it).
  Result<ByteView> Next(size_t max) {
    if (failed_) return Fail(*failed_);
    while (pos_ == run_.size) {
      if (!NextRun()) {
        SUMMIT_TRY(CheckDigest());
        return ByteView{};
      }
      if (failed_) return Fail(*failed_);
    }
    size_t n = std::min(max, run_.size - pos_);
    ByteView out(run_.data.get() + pos_, n);
    pos_ += n;
    return out;
  }

  // At the end of the stream every run has been taken, so every run has been hashed
  // (InOrder::Take returns only after the step): the hasher is ours alone now.
  Status CheckDigest() {
    if (!expected_.any() || verified_) return Ok();
    verified_ = true;
    if (expected_.sha256 && shared_->hasher.Finish() != *expected_.sha256)
      failed_ = Error(ErrorCode::kCorruption, "stream content does not match its recorded sha256");
    else if (expected_.xxh3_128 && shared_->xxh3_hasher.Digest() != *expected_.xxh3_128)
      failed_ = Error(ErrorCode::kCorruption, "stream content does not match its recorded xxh3_128");
    if (failed_) return Fail(*failed_);
    return Ok();
  }

  // Moves to the next run; false at the end of the stream.
  bool NextRun() {
    if (run_.data) spare_.push_back(std::move(run_));
    run_ = Run{};
    pos_ = 0;
    Fill();
    if (taken_ == submitted_) return false;
    Result<Run> next = shared_->done.Take(taken_++);
    ahead_raw_ -= ahead_raw_sizes_.front();
    ahead_raw_sizes_.pop_front();
    Fill();
    if (!next.has_value()) {
      failed_ = next.error();
      return true;
    }
    run_ = std::move(*next);
    return true;
  }

  Run TakeBuffer(size_t size) {
    Run r;
    for (size_t i = 0; i < spare_.size(); ++i) {
      if (spare_[i].capacity >= size) {
        r = std::move(spare_[i]);
        spare_.erase(spare_.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
    if (!r.data) {
      r.capacity = std::max<size_t>(size, kMaxRunRaw + repo_->config().chunker.max_size);
      r.data.reset(new uint8_t[r.capacity]);  // default-initialized: not zero-filled
    }
    r.size = size;
    return r;
  }

  void Fill() {
    while (next_ < chunks_.size() &&
           (taken_ == submitted_ || (ahead_raw_ < kMaxAheadRaw && submitted_ - taken_ < kMaxAheadJobs))) {
      auto first = repo_->Find(chunks_[next_]);
      std::function<Result<Run>()> job;
      uint64_t raw = 0;
      if (!first) {
        // Not in the index: LoadBlob reports it (kNotFound with a hint).
        BlobId id = chunks_[next_++];
        job = [repo = repo_, id]() -> Result<Run> {
          SUMMIT_ASSIGN_OR_RETURN(Bytes b, repo->LoadBlob(id));
          Run r;
          r.capacity = r.size = b.size();
          r.data.reset(new uint8_t[b.size()]);
          if (!b.empty()) std::memcpy(r.data.get(), b.data(), b.size());
          return r;
        };
      } else {
        // Consecutive chunks up to kMaxRunRaw plaintext (or kMaxRunBytes stored), from however
        // many packs: DecodeChunksInto reads each pack's share with as few Gets as it can.
        std::vector<BlobLocation> run = {*first};
        uint64_t bytes = first->blob.stored_length;
        raw = first->blob.raw_length;
        ++next_;
        while (next_ < chunks_.size() && bytes < kMaxRunBytes && raw < kMaxRunRaw) {
          auto loc = repo_->Find(chunks_[next_]);
          if (!loc) break;  // its own job reports it
          bytes += loc->blob.stored_length;
          raw += loc->blob.raw_length;
          run.push_back(std::move(*loc));
          ++next_;
        }
        auto buf = std::make_shared<Run>(TakeBuffer(raw));
        // Re-hashing each chunk against its id is redundant when the whole stream is hashed
        // and compared to the manifest (see DecodeChunksInto); without a recorded digest the
        // per-chunk check stays.
        bool verify_ids = !expected_.any();
        job = [repo = repo_, run = std::move(run), buf, verify_ids]() -> Result<Run> {
          SUMMIT_TRY(repo->DecodeChunksInto(run, verify_ids, std::span<uint8_t>(buf->data.get(), buf->size)));
          return std::move(*buf);
        };
      }
      ahead_raw_sizes_.push_back(raw);
      ahead_raw_ += raw;
      pool_->Submit([shared = shared_, seq = submitted_++, job = std::move(job)] { shared->done.Complete(seq, job()); });
    }
  }

  Repository* repo_;
  WorkerPool* pool_;
  std::vector<BlobId> chunks_;
  StreamCheck expected_;
  std::shared_ptr<Shared> shared_;
  size_t next_ = 0;       // first chunk not yet in a job
  size_t submitted_ = 0;  // jobs submitted (their sequence numbers are 0 .. submitted_ - 1)
  size_t taken_ = 0;      // jobs whose run Read has taken
  std::deque<uint64_t> ahead_raw_sizes_;  // plaintext bytes of each job submitted, not taken
  uint64_t ahead_raw_ = 0;
  std::vector<Run> spare_;  // buffers of consumed runs, reused by later jobs
  Run run_;                 // the run being read
  size_t pos_ = 0;
  bool verified_ = false;
  std::optional<Error> failed_;
};

}  // namespace

std::unique_ptr<ByteSource> Repository::OpenStream(std::vector<BlobId> chunks,
                                                   std::optional<crypto::Digest> expected_sha256) {
  return OpenStream(std::move(chunks), StreamCheck{expected_sha256, std::nullopt});
}

std::unique_ptr<ByteSource> Repository::OpenStream(std::vector<BlobId> chunks, const StreamCheck& check) {
  return std::make_unique<RepoStreamSource>(this, pool_.get(), std::move(chunks), check);
}

// ---------------------------------------------------------------------------------------------
// Sealed objects

Status Repository::PutSealed(std::string_view key, ByteView plaintext, std::string_view aad) {
  Bytes sealed = crypto::Seal(master_.encryption, plaintext, AsBytes(aad));
  SUMMIT_TRY_CTX(backend_->Put(key, sealed), "writing " + std::string(key) + " to " + backend_->Describe());
  bytes_uploaded_ += sealed.size();
  return Ok();
}

Result<Bytes> Repository::GetSealed(std::string_view key, std::string_view aad) {
  SUMMIT_ASSIGN_OR_RETURN(Bytes sealed, backend_->Get(key));
  auto plain = crypto::Open(master_.encryption, sealed, AsBytes(aad));
  if (!plain.has_value())
    return Fail(ErrorCode::kCorruption, std::string(key) + " fails authentication (damaged or replaced)");
  return std::move(*plain);
}

// ---------------------------------------------------------------------------------------------
// Keys

Result<std::vector<KeyInfo>> Repository::ListKeys() {
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto keys, backend_->List(kKeysPrefix), "listing key files");
  std::vector<KeyInfo> out;
  for (const auto& info : keys) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(Bytes data, backend_->Get(info.key), "reading key file " + info.key);
    SUMMIT_ASSIGN_OR_RETURN_CTX(crypto::KeyFile kf, crypto::ParseKeyFile(data), "parsing key file " + info.key);
    KeyInfo k;
    k.id = info.key.substr(kKeysPrefix.size());
    k.created = kf.created;
    k.host = kf.host;
    k.username = kf.username;
    k.label = kf.label;
    k.current = k.id == key_id_;
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::string> Repository::AddKey(const SecretString& password, const crypto::KdfParams& kdf, std::string label,
                                       const Clock& clock) {
  SUMMIT_ASSIGN_OR_RETURN(crypto::KeyFile kf, crypto::WrapMasterKey(master_, password, kdf));
  kf.created = FormatRfc3339(clock.Now());
  kf.label = std::move(label);
  std::string text = crypto::EncodeKeyFile(kf);
  std::string id = IdHex(crypto::Sha256(AsBytes(text)));
  SUMMIT_TRY_CTX(backend_->Put(std::string(kKeysPrefix) + id, AsBytes(text)), "writing key file " + id);
  return id;
}

Status Repository::RemoveKey(std::string_view id) {
  if (id == key_id_)
    return Fail(ErrorCode::kInvalidInput, "refusing to remove key " + std::string(id) + ": it is the key in use",
                "open the repository with another key first, or use `key rotate`");
  SUMMIT_ASSIGN_OR_RETURN(auto keys, backend_->List(kKeysPrefix));
  bool found = false;
  for (const auto& k : keys) found |= k.key.substr(kKeysPrefix.size()) == id;
  if (!found) return Fail(ErrorCode::kNotFound, "key " + std::string(id) + " does not exist", "see `summit-dr key list`");
  if (keys.size() <= 1) return Fail(ErrorCode::kInvalidInput, "refusing to remove the last key");
  return backend_->Delete(std::string(kKeysPrefix) + std::string(id));
}

Result<std::string> Repository::RotateKey(const SecretString& new_password, const crypto::KdfParams& kdf,
                                          const Clock& clock) {
  SUMMIT_ASSIGN_OR_RETURN(std::string added, AddKey(new_password, kdf, "rotated", clock));
  std::string old = key_id_;
  key_id_ = added;
  SUMMIT_TRY_CTX(backend_->Delete(std::string(kKeysPrefix) + old), "removing the old key file " + old);
  return added;
}

}  // namespace summit::repo
