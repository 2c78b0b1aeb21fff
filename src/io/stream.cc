#include "io/stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace summit {
namespace fs = std::filesystem;

Result<ByteView> ByteSource::View(size_t max, Bytes& scratch) {
  if (scratch.size() < max) scratch.resize(max);
  SUMMIT_ASSIGN_OR_RETURN(size_t n, Read(std::span<uint8_t>(scratch.data(), max)));
  return ByteView(scratch.data(), n);
}

Result<std::string> ByteSource::ReadAll() {
  std::string out;
  std::vector<uint8_t> buf(1 << 16);
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, Read(buf));
    if (n == 0) break;
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  return out;
}

bool CaptureSource::HasStream(std::string_view name) const {
  auto names = ListStreams();
  return std::binary_search(names.begin(), names.end(), std::string(name));
}

Status ValidateStreamName(std::string_view name) {
  if (name.empty()) return Fail(ErrorCode::kInvalidInput, "empty stream name");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view seg = name.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..")
      return Fail(ErrorCode::kInvalidInput, "invalid stream name '" + std::string(name) + "'");
    for (char c : seg) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-' || c == '@' || c == '+' || c == '=';
      if (!ok) return Fail(ErrorCode::kInvalidInput, "invalid character in stream name '" + std::string(name) + "'");
    }
    start = end + 1;
  }
  return Ok();
}

namespace {

// Writes through a 1 MiB buffer. With a temporary path, the data goes there and Close renames it
// onto `path` after fsync (a failed or abandoned write leaves no half file); without one, `fd`
// is the destination itself (standard output, a device, a FIFO) and Close only flushes.
class FileSink final : public ByteSink {
 public:
  FileSink(int fd, std::string path, std::string tmp) : fd_(fd), path_(std::move(path)), tmp_(std::move(tmp)) {}
  ~FileSink() override {
    if (fd_ >= 0) {
      ::close(fd_);
      if (!tmp_.empty()) ::unlink(tmp_.c_str());
    }
  }
  Status Write(ByteView data) override {
    if (fd_ < 0) return Fail(ErrorCode::kInternal, "write after close: " + path_);
    buf_.insert(buf_.end(), data.begin(), data.end());
    if (buf_.size() >= (1 << 20)) return Flush();
    return Ok();
  }
  Status Close() override {
    if (fd_ < 0) return Fail(ErrorCode::kInternal, "double close: " + path_);
    SUMMIT_TRY(Flush());
    if (!tmp_.empty() && ::fsync(fd_) != 0) return ErrnoError("fsync", tmp_, errno);
    if (::close(fd_) != 0) {
      fd_ = -1;
      return ErrnoError("close", Target(), errno);
    }
    fd_ = -1;
    if (!tmp_.empty() && ::rename(tmp_.c_str(), path_.c_str()) != 0) return ErrnoError("rename", path_, errno);
    return Ok();
  }

 private:
  const std::string& Target() const { return tmp_.empty() ? path_ : tmp_; }
  Status Flush() {
    size_t off = 0;
    while (off < buf_.size()) {
      ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("write", Target(), errno);
      }
      off += static_cast<size_t>(n);
    }
    buf_.clear();
    return Ok();
  }
  int fd_;
  std::string path_, tmp_;
  std::vector<uint8_t> buf_;
};

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileSource() override { ::close(fd_); }
  Result<size_t> Read(std::span<uint8_t> buf) override {
    for (;;) {
      ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("read", path_, errno);
      return static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<ByteSink>> OpenFileSink(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Fail(ErrorCode::kPermission, "creating directory for " + path + ": " + ec.message());
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("creating", tmp, errno);
  return std::unique_ptr<ByteSink>(new FileSink(fd, path, tmp));
}

Result<std::unique_ptr<ByteSink>> OpenOutputSink(const std::string& path) {
  if (path == "-") {
    int fd = ::fcntl(1, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return ErrnoError("duplicating", "standard output", errno);
    return std::unique_ptr<ByteSink>(new FileSink(fd, "standard output", ""));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode))
      return Fail(ErrorCode::kInvalidInput, path + " is a directory", "name a file to write, or - for standard output");
    // A device or a FIFO is written in place: renaming a temporary file onto /dev/null would
    // replace the device with a regular file.
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("opening", path, errno);
    return std::unique_ptr<ByteSink>(new FileSink(fd, path, ""));
  }
  return OpenFileSink(path);
}

Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening", path, errno);
  return std::unique_ptr<ByteSource>(new FileSource(fd, path));
}

DirCaptureWriter::DirCaptureWriter(std::string dir) : dir_(std::move(dir)) {}

Result<std::unique_ptr<ByteSink>> DirCaptureWriter::OpenStream(std::string_view name) {
  SUMMIT_TRY(ValidateStreamName(name));
  if (name == "attributes.json")
    return Fail(ErrorCode::kInvalidInput, "stream name 'attributes.json' is reserved");
  std::string path = dir_ + "/" + std::string(name);
  {
    std::lock_guard lock(mu_);
    if (fs::exists(path)) return Fail(ErrorCode::kAlreadyExists, "stream " + std::string(name) + " already exists");
  }
  return OpenFileSink(path);
}

void DirCaptureWriter::SetAttribute(std::string_view key, nlohmann::json value) {
  std::lock_guard lock(mu_);
  attributes_[std::string(key)] = std::move(value);
}

Status DirCaptureWriter::Finish() {
  SUMMIT_ASSIGN_OR_RETURN(auto sink, OpenFileSink(dir_ + "/attributes.json"));
  std::string text;
  {
    std::lock_guard lock(mu_);
    text = attributes_.dump(2);
  }
  SUMMIT_TRY(sink->Write(text));
  return sink->Close();
}

Result<std::unique_ptr<DirCaptureReader>> DirCaptureReader::Open(std::string dir) {
  if (!fs::is_directory(dir)) return Fail(ErrorCode::kNotFound, "capture directory " + dir + " does not exist");
  std::unique_ptr<DirCaptureReader> r(new DirCaptureReader(dir));
  std::ifstream in(dir + "/attributes.json");
  if (in) {
    try {
      in >> r->attributes_;
    } catch (const std::exception& e) {
      return Fail(ErrorCode::kCorruption, dir + "/attributes.json: " + e.what());
    }
  }
  return r;
}

std::vector<std::string> DirCaptureReader::ListStreams() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    std::string rel = fs::relative(it->path(), dir_).generic_string();
    if (rel == "attributes.json" || rel.ends_with(".tmp")) continue;
    names.push_back(rel);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::unique_ptr<ByteSource>> DirCaptureReader::OpenStream(std::string_view name) {
  SUMMIT_TRY(ValidateStreamName(name));
  return OpenFileSource(dir_ + "/" + std::string(name));
}

Result<uint64_t> DirCaptureReader::StreamSize(std::string_view name) const {
  std::error_code ec;
  auto size = fs::file_size(dir_ + "/" + std::string(name), ec);
  if (ec) return Fail(ErrorCode::kNotFound, "stream " + std::string(name) + ": " + ec.message());
  return static_cast<uint64_t>(size);
}

Status StringSink::Write(ByteView data) {
  if (closed_) return Fail(ErrorCode::kInternal, "write after close");
  data_.append(AsString(data));
  return Ok();
}

Status StringSink::Close() {
  closed_ = true;
  return Ok();
}

Result<size_t> StringSource::Read(std::span<uint8_t> buf) {
  size_t n = std::min(buf.size(), data_.size() - pos_);
  std::memcpy(buf.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

std::string TempDirectory(const std::string& dir) {
  if (!dir.empty()) return dir;
  const char* t = std::getenv("TMPDIR");
  return t != nullptr && *t != '\0' ? t : "/tmp";
}

Result<int> OpenUnlinkedTempFile(const std::string& dir) {
  const std::string d = TempDirectory(dir);
  int fd = ::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != EACCES && errno != EROFS && errno != ENOSPC) {
    // The file system has no O_TMPFILE: a named file, unlinked at once.
    std::string path = d + "/summit-scratch-XXXXXX";
    fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(path.c_str());
  }
  if (fd < 0) {
    return Fail(ErrnoError("creating a temporary file in", d, errno,
                           "point TMPDIR (or the setting that names this directory) at a writable directory with room"));
  }
  return fd;
}

}  // namespace summit
