// Byte streams and captures: the contract between the stores (src/sources) and the
// repository (src/repo), which never know about each other.
//
// A backup of one component (postgres, redis, neo4j, config, ...) is a *capture*: a set of
// named streams ("schema.pre.sql", "data/public.users", "dump.rdb") plus attributes (the
// position it was captured at, hypertables, row counts ...). A source writes a capture into a
// CaptureSink; a restore-side sink reads it back from a CaptureSource. The backup layer
// implements both on top of the repository; DirCapture (below) implements them on a plain
// directory for tests, `export` and debugging.
//
// Stream names are relative paths: [A-Za-z0-9._-] segments separated by '/', no "..".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/result.h"

namespace summit {

// A destination for bytes. Write may buffer; Close() commits (flushes, finalizes checksums)
// and must be called for the data to count: destroying an unclosed sink abandons it.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(ByteView data) = 0;
  Status Write(std::string_view s) { return Write(AsBytes(s)); }
  virtual Status Close() = 0;
};

// A source of bytes. Read returns the number of bytes placed in `buf`, 0 at the end.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<size_t> Read(std::span<uint8_t> buf) = 0;
  // Zero-copy read: a view of the next bytes (at most `max` > 0), empty at the end, valid until
  // the next Read or View on this source. Sources that hold their bytes in memory (repository
  // streams hand out their decoded runs) override it to save a copy of every byte; the default
  // reads into `scratch` (the caller's buffer, grown as needed) and returns a view of it.
  virtual Result<ByteView> View(size_t max, Bytes& scratch);
  // Reads everything that is left (for small streams: schemas, metadata).
  Result<std::string> ReadAll();
};

// Where a source writes one component's capture. Thread-safe: parallel workers may open and
// write different streams at the same time.
class CaptureSink {
 public:
  virtual ~CaptureSink() = default;
  // Opens a new stream; fails with kAlreadyExists if the name was used in this capture.
  virtual Result<std::unique_ptr<ByteSink>> OpenStream(std::string_view name) = 0;
  // Records a component attribute (capture position, hypertables, counts). Later calls with
  // the same key replace the value. Never pass secrets.
  virtual void SetAttribute(std::string_view key, nlohmann::json value) = 0;
};

// What a restore reads one component's capture from. Thread-safe for concurrent OpenStream.
class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  // Names of all streams, sorted.
  virtual std::vector<std::string> ListStreams() const = 0;
  virtual bool HasStream(std::string_view name) const;
  // Fails with kNotFound for an unknown stream, kCorruption when stored data fails its checks.
  virtual Result<std::unique_ptr<ByteSource>> OpenStream(std::string_view name) = 0;
  // Logical size of a stream in bytes (for plans and progress).
  virtual Result<uint64_t> StreamSize(std::string_view name) const = 0;
  virtual nlohmann::json Attributes() const = 0;
};

// Checks a stream name against the rules above; kInvalidInput when it breaks one.
Status ValidateStreamName(std::string_view name);

// A capture kept as files under a directory: <dir>/<stream name>, and <dir>/attributes.json
// written by Finish(). Used by tests, export and debugging.
class DirCaptureWriter final : public CaptureSink {
 public:
  explicit DirCaptureWriter(std::string dir);
  Result<std::unique_ptr<ByteSink>> OpenStream(std::string_view name) override;
  void SetAttribute(std::string_view key, nlohmann::json value) override;
  Status Finish();  // writes attributes.json
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::mutex mu_;
  nlohmann::json attributes_ = nlohmann::json::object();
};

class DirCaptureReader final : public CaptureSource {
 public:
  // Fails with kNotFound when the directory does not exist.
  static Result<std::unique_ptr<DirCaptureReader>> Open(std::string dir);
  std::vector<std::string> ListStreams() const override;
  Result<std::unique_ptr<ByteSource>> OpenStream(std::string_view name) override;
  Result<uint64_t> StreamSize(std::string_view name) const override;
  nlohmann::json Attributes() const override { return attributes_; }

 private:
  explicit DirCaptureReader(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  nlohmann::json attributes_ = nlohmann::json::object();
};

// File-backed sink/source (plain, buffered). FileSink writes to <path>.tmp and renames on
// Close(), so a crash never leaves a half-written file under the final name.
Result<std::unique_ptr<ByteSink>> OpenFileSink(const std::string& path);
// An output a user named: "-" is standard output, and an existing device or FIFO (/dev/null,
// a named pipe) is written in place; anything else goes through OpenFileSink.
Result<std::unique_ptr<ByteSink>> OpenOutputSink(const std::string& path);
Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path);

// Scratch space that must never outlive the process: a new file with no name (O_TMPFILE, or
// created and unlinked at once where the file system lacks it), opened read-write, in `dir`
// ("" = $TMPDIR, else /tmp). Returns the descriptor, which the caller closes. Fails as
// ErrnoError (kNotFound, kPermission, kNoSpace, ...) naming the directory.
std::string TempDirectory(const std::string& dir);
Result<int> OpenUnlinkedTempFile(const std::string& dir);

// In-memory sinks/sources, for tests and small buffers.
class StringSink final : public ByteSink {
 public:
  Status Write(ByteView data) override;
  Status Close() override;
  const std::string& data() const { return data_; }
  bool closed() const { return closed_; }

 private:
  std::string data_;
  bool closed_ = false;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(std::span<uint8_t> buf) override;

 private:
  std::string data_;
  size_t pos_ = 0;
};

}  // namespace summit
