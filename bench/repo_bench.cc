// Repository benchmarks: MB/s per core of chunking, hashing, compression and encryption; the
// chunk-size study behind the default chunker parameters (docs/repository-format.md,
// "Chunking"); and the full backup/restore pipeline with its peak RSS.
//
//   repo_bench micro   [--mb N]            single-thread primitives on N MB of table dump
//   repo_bench chunks  [--mb N]            day-1 / day-2 dedup for several chunker settings
//   repo_bench pipeline [--mb N] [--dir D] backup N MB to a local repository, restore it,
//                                          report MB/s, CPU use and peak RSS
//   repo_bench gen --mb N --day 1|2 -o FILE  write the day-1 or day-2 dump (same rows as above;
//                                          day 2 = a realistic day of changes) to FILE or "-"
//   repo_bench stream backup  --repo DIR --in FILE|- [--id ID]
//   repo_bench stream restore --repo DIR --out FILE|- [--id ID]
//                                          the production path end to end: repo::Repository
//                                          over storage::LocalBackend, SnapshotWriter/Reader,
//                                          chunker / zstd level / workers from the CLI config
//                                          (config/backup-sets.yaml or $SUMMIT_DR_CONFIG), the
//                                          CLI's Argon2id key parameters; password from
//                                          $ENCRYPTION_KEY (default "bench"). Prints one
//                                          "key=value" line (seconds, MB/s, cores, RSS, new bytes)
//                                          to stderr; used by bench/repo_vs_restic.sh.
// The input is COPY-text rows generated on the fly (never held in memory), so RSS reflects
// the pipeline, not the input. Writes a table to stdout.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codec/chunker.h"
#include "config/config.h"
#include "codec/compress.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "repo/repository.h"
#include "repo/snapshot.h"
#include "storage/local/local_backend.h"

namespace summit {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Row i of a users-like table as of `day`. A day's changes are skewed the way OLTP tables are:
// 10% of the newest 5% of rows change, and 0.05% of all older rows (about 0.55% of rows in
// all); ids are stable and rows are dumped in primary-key order.
void AppendRow(std::string& out, uint64_t i, int day, uint64_t hot_start) {
  int version = 0;
  for (int d = 1; d <= day; ++d) {
    uint64_t r = Mix(i * 131 + static_cast<uint64_t>(d));
    if ((i >= hot_start && r % 10 == 0) || r % 2000 == 0) version = d;
  }
  uint64_t h = Mix(i ^ (static_cast<uint64_t>(version) << 40));
  char buf[256];
  int n = std::snprintf(buf, sizeof buf,
                        "%llu\tcustomer-%llu\tuser%llu@example.com\t+1-555-%07llu\t%s\t2025-01-%02llu "
                        "%02llu:%02llu:00+00\t{\"plan\":\"%s\",\"score\":%llu,\"v\":%d}\n",
                        static_cast<unsigned long long>(i), static_cast<unsigned long long>(h % 50),
                        static_cast<unsigned long long>(h % 1000003), static_cast<unsigned long long>(h % 10000000),
                        (h & 1) ? "active" : "suspended", static_cast<unsigned long long>(1 + (h >> 8) % 28),
                        static_cast<unsigned long long>((h >> 16) % 24), static_cast<unsigned long long>((h >> 24) % 60),
                        (h >> 32) % 3 == 0 ? "enterprise" : "team", static_cast<unsigned long long>((h >> 40) % 1000),
                        version);
  out.append(buf, static_cast<size_t>(n));
}

// Streams a dump of about `bytes` bytes (day 2 also appends ~0.5% new rows) in blocks.
void GenerateDump(uint64_t bytes, int day, const std::function<void(std::string_view)>& sink) {
  const uint64_t rows = bytes / 125;
  const uint64_t total = rows + (day > 1 ? rows / 200 * static_cast<uint64_t>(day - 1) : 0);
  std::string block;
  block.reserve(1 << 20);
  for (uint64_t i = 0; i < total; ++i) {
    // ~0.1% of rows are deleted per day.
    if (day > 1 && Mix(i * 7 + 99) % 1000 == 0) continue;
    AppendRow(block, i, day, rows - rows / 20);
    if (block.size() >= (1 << 20) - 256) {
      sink(block);
      block.clear();
    }
  }
  if (!block.empty()) sink(block);
}

std::string MakeDump(uint64_t bytes, int day) {
  std::string s;
  GenerateDump(bytes, day, [&](std::string_view b) { s.append(b); });
  return s;
}

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long PeakRssMiB() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

void Row(const char* what, double mb, double secs, const std::string& note = "") {
  std::printf("| %-34s | %9.0f MB/s | %s\n", what, mb / secs, note.c_str());
}

void Micro(uint64_t mb) {
  std::string data = MakeDump(mb << 20, 1);
  double size_mb = static_cast<double>(data.size()) / 1e6;
  ByteView view = AsBytes(data);
  std::printf("micro benchmarks, one thread, %.0f MB of COPY-text rows\n", size_mb);
  std::printf("| %-34s | %14s | note\n|---|---|---|\n", "operation", "throughput");

  auto chunker = *codec::Chunker::Create(codec::DefaultChunkerParams(), 42);
  auto t0 = Clock::now();
  size_t pos = 0, chunks = 0;
  while (pos < view.size()) pos += chunker.Cut(view.subspan(pos)), ++chunks;
  Row("chunking (FastCDC gear)", size_mb, Seconds(t0, Clock::now()), std::to_string(chunks) + " chunks");

  t0 = Clock::now();
  crypto::Digest d = crypto::Sha256(view);
  Row("sha-256", size_mb, Seconds(t0, Clock::now()));
  crypto::Key256 key = crypto::RandomKey();
  t0 = Clock::now();
  for (size_t off = 0; off < view.size(); off += 1 << 20)
    d = crypto::HmacSha256(key, view.subspan(off, std::min<size_t>(1 << 20, view.size() - off)));
  Row("hmac-sha-256 (chunk ids, 1 MiB)", size_mb, Seconds(t0, Clock::now()));
  (void)d;

  for (int level : {1, 3, 6}) {
    Bytes out;
    size_t compressed = 0;
    t0 = Clock::now();
    for (size_t off = 0; off < view.size(); off += 1 << 20) {
      codec::CompressIfSmaller(view.subspan(off, std::min<size_t>(1 << 20, view.size() - off)), level, out);
      compressed += out.size();
    }
    char note[64];
    std::snprintf(note, sizeof note, "ratio %.2f", static_cast<double>(view.size()) / compressed);
    Row(("zstd compress level " + std::to_string(level)).c_str(), size_mb, Seconds(t0, Clock::now()), note);
  }
  {
    std::vector<Bytes> frames;
    std::vector<size_t> sizes;
    for (size_t off = 0; off < view.size(); off += 1 << 20) {
      auto piece = view.subspan(off, std::min<size_t>(1 << 20, view.size() - off));
      Bytes out;
      codec::CompressIfSmaller(piece, 3, out);
      frames.push_back(std::move(out));
      sizes.push_back(piece.size());
    }
    t0 = Clock::now();
    for (size_t i = 0; i < frames.size(); ++i) (void)codec::Decompress(frames[i], sizes[i]);
    Row("zstd decompress", size_mb, Seconds(t0, Clock::now()));
  }
  {
    std::vector<Bytes> sealed;
    t0 = Clock::now();
    for (size_t off = 0; off < view.size(); off += 1 << 20)
      sealed.push_back(crypto::Seal(key, view.subspan(off, std::min<size_t>(1 << 20, view.size() - off))));
    Row("aes-256-gcm seal", size_mb, Seconds(t0, Clock::now()));
    t0 = Clock::now();
    for (const auto& s : sealed) (void)crypto::Open(key, s);
    Row("aes-256-gcm open", size_mb, Seconds(t0, Clock::now()));
  }
}

// Keeps sizes only: the chunk study needs bytes added, not the bytes themselves.
class SizeOnlyBackend final : public storage::Backend {
 public:
  Status Put(std::string_view key, ByteView data) override {
    std::lock_guard l(mu_);
    sizes_[std::string(key)] = data.size();
    return Ok();
  }
  Result<Bytes> Get(std::string_view key, uint64_t, uint64_t) override {
    return Fail(ErrorCode::kNotFound, std::string(key));
  }
  Result<storage::ObjectInfo> Stat(std::string_view key) override {
    std::lock_guard l(mu_);
    auto it = sizes_.find(std::string(key));
    if (it == sizes_.end()) return Fail(ErrorCode::kNotFound, std::string(key));
    return storage::ObjectInfo{it->first, it->second};
  }
  Result<std::vector<storage::ObjectInfo>> List(std::string_view prefix) override {
    std::lock_guard l(mu_);
    std::vector<storage::ObjectInfo> out;
    for (auto& [k, v] : sizes_)
      if (k.compare(0, prefix.size(), prefix) == 0) out.push_back({k, v});
    return out;
  }
  Status Delete(std::string_view key) override {
    std::lock_guard l(mu_);
    sizes_.erase(std::string(key));
    return Ok();
  }
  std::string Describe() const override { return "size-only"; }
  uint64_t Total() {
    std::lock_guard l(mu_);
    uint64_t t = 0;
    for (auto& [k, v] : sizes_) t += v;
    return t;
  }

 private:
  std::mutex mu_;
  std::map<std::string, uint64_t> sizes_;
};

void Chunks(uint64_t mb) {
  std::printf("chunk-size study: %llu MB dump, day 2 = 0.55%% rows updated (skewed to the newest 5%%), 0.5%% appended, 0.1%% deleted\n",
              static_cast<unsigned long long>(mb));
  std::printf("| %-22s | %10s | %12s | %14s | %10s |\n|---|---|---|---|---|\n", "min/avg/max KiB", "day-1 MB",
              "day-2 add MB", "chunks (day 1)", "index KiB");
  FakeClock clock(std::chrono::system_clock::now());
  for (codec::ChunkerParams p : {codec::ChunkerParams{8u << 10, 32u << 10, 128u << 10},
                                 codec::ChunkerParams{16u << 10, 64u << 10, 256u << 10},
                                 codec::ChunkerParams{32u << 10, 128u << 10, 512u << 10},
                                 codec::ChunkerParams{64u << 10, 256u << 10, 1u << 20},
                                 codec::ChunkerParams{128u << 10, 512u << 10, 2u << 20},
                                 codec::ChunkerParams{256u << 10, 1u << 20, 4u << 20},
                                 codec::ChunkerParams{512u << 10, 2u << 20, 8u << 20}}) {
    SizeOnlyBackend b;
    repo::InitOptions o;
    o.chunker = p;
    o.kdf = crypto::TestKdfParams();
    o.workers = 2;
    auto repo = repo::Repository::Init(b, SecretString("bench"), o, clock);
    uint64_t day_bytes[2];
    size_t chunks = 0;
    for (int day = 1; day <= 2; ++day) {
      uint64_t before = b.Total();
      auto w = (*repo)->NewStream();
      GenerateDump(mb << 20, day, [&](std::string_view s) { (void)w->Write(s); });
      (void)w->Close();
      (void)(*repo)->Flush();
      day_bytes[day - 1] = b.Total() - before;
      if (day == 1) chunks = w->summary().chunks.size();
    }
    uint64_t index = 0;
    auto index_files = b.List("index/");
    for (auto& o2 : *index_files) index += o2.size;
    char label[64];
    std::snprintf(label, sizeof label, "%u/%u/%u", p.min_size >> 10, p.avg_size >> 10, p.max_size >> 10);
    std::printf("| %-22s | %10.1f | %12.2f | %14zu | %10.1f |\n", label, day_bytes[0] / 1e6, day_bytes[1] / 1e6,
                chunks, index / 1024.0);
  }
}

void Pipeline(uint64_t mb, const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  auto backend = storage::LocalBackend::Open(dir);
  if (!backend) {
    std::fprintf(stderr, "%s\n", backend.error().ToString().c_str());
    return;
  }
  FakeClock clock(std::chrono::system_clock::now());
  repo::InitOptions o;
  o.kdf = crypto::TestKdfParams();
  auto repo = repo::Repository::Init(**backend, SecretString("bench"), o, clock);
  std::printf("pipeline: %llu MB of COPY-text rows into %s, %d workers\n", static_cast<unsigned long long>(mb),
              dir.c_str(), (*repo)->workers());
  std::printf("| %-34s | %14s | note\n|---|---|---|\n", "phase", "throughput");
  uint64_t logical = 0;
  std::vector<repo::BlobId> chunks;
  crypto::Digest sha{};
  for (int day = 1; day <= 2; ++day) {
    double cpu0 = CpuSeconds();
    auto t0 = Clock::now();
    auto w = (*repo)->NewStream();
    uint64_t n = 0;
    GenerateDump(mb << 20, day, [&](std::string_view s) {
      n += s.size();
      (void)w->Write(s);
    });
    auto gen_done = Clock::now();
    (void)gen_done;
    Status st = w->Close();
    if (st) st = (*repo)->Flush();
    auto t1 = Clock::now();
    if (!st) {
      std::fprintf(stderr, "backup failed: %s\n", st.error().ToString().c_str());
      return;
    }
    double secs = Seconds(t0, t1);
    char note[160];
    std::snprintf(note, sizeof note, "stored %.1f MB new, cpu %.2f cores (incl. row generation)",
                  w->summary().new_bytes / 1e6, (CpuSeconds() - cpu0) / secs);
    Row(day == 1 ? "backup, first (incl. generation)" : "backup, second day", n / 1e6, secs, note);
    logical = n;
    chunks = w->summary().chunks;
    sha = w->summary().sha256;
  }
  // Restore from a freshly opened repository (index loaded from disk).
  auto reopened = repo::Repository::Open(**backend, SecretString("bench"));
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  auto src = (*reopened)->OpenStream(chunks, sha);
  std::vector<uint8_t> buf(1 << 20);
  uint64_t got = 0;
  for (;;) {
    auto r = src->Read(buf);
    if (!r) {
      std::fprintf(stderr, "restore failed: %s\n", r.error().ToString().c_str());
      return;
    }
    if (*r == 0) break;
    got += *r;
  }
  double secs = Seconds(t0, Clock::now());
  char note[128];
  std::snprintf(note, sizeof note, "%s verified by sha-256, cpu %.2f cores", got == logical ? "bytes" : "SIZE MISMATCH",
                (CpuSeconds() - cpu0) / secs);
  Row("restore (read+decrypt+decompress)", got / 1e6, secs, note);
  std::printf("peak RSS: %ld MiB\n", PeakRssMiB());
  std::filesystem::remove_all(dir, ec);
}

// --- end-to-end subcommands --------------------------------------------------------------------

int Gen(uint64_t mb, int day, const std::string& out) {
  FILE* f = out == "-" ? stdout : std::fopen(out.c_str(), "wb");
  if (!f) {
    std::fprintf(stderr, "cannot open %s: %s\n", out.c_str(), std::strerror(errno));
    return 1;
  }
  uint64_t n = 0;
  bool ok = true;
  GenerateDump(mb << 20, day, [&](std::string_view s) {
    if (ok && std::fwrite(s.data(), 1, s.size(), f) != s.size()) ok = false;
    n += s.size();
  });
  if (std::fflush(f) != 0) ok = false;
  if (f != stdout && std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "writing %s failed: %s\n", out.c_str(), std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "gen day=%d bytes=%llu\n", day, static_cast<unsigned long long>(n));
  return 0;
}

// Hands 1 MiB blocks from one thread to another and back (a free list), so that file I/O runs
// on its own thread, overlapped with the pipeline: the reader thread ahead of a backup. At most
// `depth` blocks exist.
class BlockPipe {
 public:
  struct Block {
    std::vector<uint8_t> data;
    size_t size = 0;
  };
  explicit BlockPipe(size_t depth) {
    for (size_t i = 0; i < depth; ++i) free_.push_back(Block{std::vector<uint8_t>(1 << 20), 0});
  }
  // Producer: an empty block (false when the consumer gave up).
  bool GetFree(Block& b) { return Take(free_, b); }
  void PutFull(Block b) { Give(full_, std::move(b)); }
  // Consumer: the next full block (false at the end, after Finish).
  bool GetFull(Block& b) { return Take(full_, b); }
  void PutFree(Block b) { Give(free_, std::move(b)); }
  void Finish() {
    std::lock_guard l(mu_);
    done_ = true;
    cv_.notify_all();
  }

 private:
  bool Take(std::deque<Block>& q, Block& b) {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !q.empty() || done_; });
    if (q.empty()) return false;
    b = std::move(q.front());
    q.pop_front();
    return true;
  }
  void Give(std::deque<Block>& q, Block b) {
    std::lock_guard l(mu_);
    q.push_back(std::move(b));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Block> free_, full_;
  bool done_ = false;
};

// The CLI's repository settings (src/cli/context.cc: Context::Open).
struct CliSettings {
  repo::InitOptions init;
  repo::OpenOptions open;
  SecretString password{"bench"};
};

Result<CliSettings> LoadCliSettings() {
  auto env = config::ProcessEnv();
  SUMMIT_ASSIGN_OR_RETURN(config::Config c, config::LoadConfig(config::ResolveConfigPath("", env), env));
  CliSettings s;
  s.init.chunker.min_size = c.chunker.min_bytes;
  s.init.chunker.avg_size = c.chunker.avg_bytes;
  s.init.chunker.max_size = c.chunker.max_bytes;
  s.init.zstd_level = c.compression.level;
  s.init.workers = c.jobs;
  s.init.kdf = crypto::KdfParams{};  // the CLI's default Argon2id parameters
  s.open.workers = c.jobs;
  if (const char* k = std::getenv("ENCRYPTION_KEY"); k && *k) s.password = SecretString(k);
  return s;
}

void Report(const char* op, uint64_t bytes, double secs, double cpu, const std::string& extra) {
  std::fprintf(stderr,
               "%s bytes=%llu seconds=%.3f mbps=%.1f cores=%.2f peak_rss_mib=%ld%s\n", op,
               static_cast<unsigned long long>(bytes), secs, bytes / 1e6 / secs, cpu / secs, PeakRssMiB(),
               extra.c_str());
}

int StreamBackup(const std::string& dir, const std::string& in, const std::string& id) {
  auto settings = LoadCliSettings();
  if (!settings) {
    std::fprintf(stderr, "config: %s\n", settings.error().ToString().c_str());
    return 1;
  }
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  int fd = in == "-" ? 0 : ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "cannot open %s: %s\n", in.c_str(), std::strerror(errno));
    return 1;
  }
  auto backend = storage::LocalBackend::Open(dir);
  if (!backend) {
    std::fprintf(stderr, "%s\n", backend.error().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  auto repo = repo::Repository::Open(**backend, settings->password, settings->open);
  bool created = false;
  if (!repo && repo.error().code() == ErrorCode::kNotFound) {
    repo = repo::Repository::Init(**backend, settings->password, settings->init, clock);
    created = true;
  }
  if (!repo) {
    std::fprintf(stderr, "repository: %s\n", repo.error().ToString().c_str());
    return 1;
  }
  repo::SnapshotInfo info;
  info.id = id;
  info.set = "full";
  info.tool_version = SUMMIT_VERSION;
  auto writer = repo::SnapshotWriter::Begin(**repo, info, clock);
  if (!writer) {
    std::fprintf(stderr, "snapshot: %s\n", writer.error().ToString().c_str());
    return 1;
  }
  auto comp = (*writer)->Component("postgres");
  if (!comp) {
    std::fprintf(stderr, "component: %s\n", comp.error().ToString().c_str());
    return 1;
  }
  auto sink = (*comp)->OpenStream("data/public.users");
  if (!sink) {
    std::fprintf(stderr, "stream: %s\n", sink.error().ToString().c_str());
    return 1;
  }
  // The input is read on its own thread, a few MiB ahead (as a database connection delivers a
  // dump while the pipeline works); the pipeline runs on this thread and the repository's pool.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  BlockPipe pipe(8);
  int read_errno = 0;
  std::thread reader([&] {
    BlockPipe::Block b;
    while (pipe.GetFree(b)) {
      b.size = 0;
      while (b.size < b.data.size()) {
        ssize_t n = ::read(fd, b.data.data() + b.size, b.data.size() - b.size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) read_errno = errno;
        if (n <= 0) break;
        b.size += static_cast<size_t>(n);
      }
      if (b.size == 0) break;
      pipe.PutFull(std::move(b));
    }
    pipe.Finish();
  });
  uint64_t total = 0;
  Status st = Ok();
  BlockPipe::Block b;
  while (pipe.GetFull(b)) {
    total += b.size;
    if (st) st = (*sink)->Write(ByteView(b.data.data(), b.size));
    if (!st) pipe.Finish();
    pipe.PutFree(std::move(b));
  }
  reader.join();
  if (fd != 0) ::close(fd);
  if (read_errno != 0) {
    std::fprintf(stderr, "reading %s: %s\n", in.c_str(), std::strerror(read_errno));
    return 1;
  }
  if (!st) {
    std::fprintf(stderr, "backup: %s\n", st.error().ToString().c_str());
    return 1;
  }
  st = (*sink)->Close();
  if (!st) {
    std::fprintf(stderr, "backup: %s\n", st.error().ToString().c_str());
    return 1;
  }
  auto meta = (*writer)->Finish();
  if (!meta) {
    std::fprintf(stderr, "finish: %s\n", meta.error().ToString().c_str());
    return 1;
  }
  double secs = Seconds(t0, Clock::now());
  uint64_t new_bytes = (*meta).value("new_bytes", uint64_t{0});
  Report("backup", total, secs, CpuSeconds() - cpu0,
         " new_bytes=" + std::to_string(new_bytes) + " workers=" + std::to_string((*repo)->workers()) +
             " zstd=" + std::to_string((*repo)->config().zstd_level) +
             " chunker=" + std::to_string((*repo)->config().chunker.min_size >> 10) + "/" +
             std::to_string((*repo)->config().chunker.avg_size >> 10) + "/" +
             std::to_string((*repo)->config().chunker.max_size >> 10) + "KiB" + (created ? " init=1" : ""));
  return 0;
}

int StreamRestore(const std::string& dir, const std::string& out, const std::string& id) {
  auto settings = LoadCliSettings();
  if (!settings) {
    std::fprintf(stderr, "config: %s\n", settings.error().ToString().c_str());
    return 1;
  }
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  auto backend = storage::LocalBackend::Open(dir, false);
  if (!backend) {
    std::fprintf(stderr, "%s\n", backend.error().ToString().c_str());
    return 1;
  }
  auto repo = repo::Repository::Open(**backend, settings->password, settings->open);
  if (!repo) {
    std::fprintf(stderr, "repository: %s\n", repo.error().ToString().c_str());
    return 1;
  }
  auto reader = repo::SnapshotReader::Open(**repo, id);
  if (!reader) {
    std::fprintf(stderr, "snapshot: %s\n", reader.error().ToString().c_str());
    return 1;
  }
  auto comp = (*reader)->Component("postgres");
  if (!comp) {
    std::fprintf(stderr, "component: %s\n", comp.error().ToString().c_str());
    return 1;
  }
  bool xxh3 = false;
  for (const auto& st : (*reader)->manifest().components)
    for (const auto& s : st.streams)
      if (st.name == "postgres" && s.name == "data/public.users") xxh3 = s.xxh3_128.has_value();
  auto src = (*comp)->OpenStream("data/public.users");
  if (!src) {
    std::fprintf(stderr, "stream: %s\n", src.error().ToString().c_str());
    return 1;
  }
  int fd = out == "-" ? 1 : ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "cannot open %s: %s\n", out.c_str(), std::strerror(errno));
    return 1;
  }
  // The output is written straight from the repository's decoded runs (ByteSource::View: no
  // copy), while the pool decodes and hashes the next runs ahead of it (as a restore feeds a
  // database connection while the next chunks are decoded). Writes of up to 4 MiB.
  uint64_t total = 0;
  std::optional<Error> failed;
  int write_errno = 0;
  Bytes scratch;
  // Where the writing thread's time goes: waiting for the next decoded run (View) or writing.
  double wait_s = 0, write_s = 0;
  auto ready = Clock::now();
  while (write_errno == 0) {
    auto asked = Clock::now();
    auto view = (*src)->View(4u << 20, scratch);
    auto got = Clock::now();
    wait_s += Seconds(asked, got);
    if (!view) {
      failed = view.error();
      break;
    }
    if (view->empty()) break;
    for (size_t off = 0; off < view->size();) {
      ssize_t n = ::write(fd, view->data() + off, view->size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        write_errno = errno;
        break;
      }
      off += static_cast<size_t>(n);
    }
    total += view->size();
    write_s += Seconds(got, Clock::now());
  }
  if (failed) {
    std::fprintf(stderr, "restore: %s\n", failed->ToString().c_str());
    return 1;
  }
  if (write_errno != 0) {
    std::fprintf(stderr, "writing %s: %s\n", out.c_str(), std::strerror(write_errno));
    return 1;
  }
  if (fd != 1 && ::close(fd) != 0) {
    std::fprintf(stderr, "closing %s: %s\n", out.c_str(), std::strerror(errno));
    return 1;
  }
  char timing[160];
  std::snprintf(timing, sizeof timing, " open_s=%.3f wait_s=%.3f write_s=%.3f", Seconds(t0, ready), wait_s, write_s);
  Report("restore", total, Seconds(t0, Clock::now()), CpuSeconds() - cpu0,
         std::string(" verified=") + (xxh3 ? "xxh3_128" : "sha256") + " workers=" + std::to_string((*repo)->workers()) +
             timing);
  return 0;
}

}  // namespace
}  // namespace summit

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "micro";
  int first = 2;
  std::string sub;
  if (mode == "stream") {
    sub = argc > 2 ? argv[2] : "";
    first = 3;
  }
  uint64_t mb = 64;
  int day = 1;
  std::string dir = "/tmp/summit-repo-bench", in, out, id = "bench-1";
  for (int i = first; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--mb") mb = std::stoull(argv[i + 1]);
    else if (a == "--dir" || a == "--repo") dir = argv[i + 1];
    else if (a == "--day") day = std::stoi(argv[i + 1]);
    else if (a == "--in") in = argv[i + 1];
    else if (a == "--out" || a == "-o") out = argv[i + 1];
    else if (a == "--id") id = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (mode == "micro") summit::Micro(mb);
  else if (mode == "chunks") summit::Chunks(mb);
  else if (mode == "pipeline") summit::Pipeline(mb, dir);
  else if (mode == "gen" && !out.empty() && day >= 1) return summit::Gen(mb, day, out);
  else if (mode == "stream" && sub == "backup" && !in.empty()) return summit::StreamBackup(dir, in, id);
  else if (mode == "stream" && sub == "restore" && !out.empty()) return summit::StreamRestore(dir, out, id);
  else {
    std::fprintf(stderr,
                 "usage: repo_bench micro|chunks|pipeline [--mb N] [--dir D]\n"
                 "       repo_bench gen --mb N --day 1|2 -o FILE|-\n"
                 "       repo_bench stream backup --repo DIR --in FILE|- [--id ID]\n"
                 "       repo_bench stream restore --repo DIR --out FILE|- [--id ID]\n");
    return 2;
  }
  return 0;
}
