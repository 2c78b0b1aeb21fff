#include "storage/local/local_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "storage/memory/memory_backend.h"  // ValidateObjectKey

namespace summit::storage {
namespace {

// A failed system call on the repository, with what to do about the common causes.
Error ErrnoError(const std::string& what, const std::string& path, int err) {
  switch (ErrorCodeFromErrno(err)) {
    case ErrorCode::kPermission:
      return summit::ErrnoError(what, path, err,
                                "check the repository directory's owner and mode, and that the filesystem is writable");
    case ErrorCode::kNoSpace:
      return summit::ErrnoError(what, path, err, "free space on the repository's filesystem, or prune old snapshots");
    default:
      return summit::ErrnoError(what, path, err);
  }
}

// RAII file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes explicitly so that a close error (NFS, quota) is reported.
  int Close() { int r = ::close(fd_); fd_ = -1; return r; }

 private:
  int fd_;
};

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail(ErrnoError("opening directory", dir, errno));
  Fd guard(fd);
  if (::fsync(fd) != 0 && errno != EINVAL) return Fail(ErrnoError("syncing directory", dir, errno));
  return Ok();
}

// mkdir -p for the parents of `path` below `root`; fsyncs each parent of a new directory.
Status MakeParents(const std::string& root, const std::string& key) {
  size_t pos = 0;
  while ((pos = key.find('/', pos)) != std::string::npos) {
    std::string dir = root + "/" + key.substr(0, pos);
    if (::mkdir(dir.c_str(), 0700) == 0) {
      std::string parent = dir.substr(0, dir.rfind('/'));
      SUMMIT_TRY(FsyncDir(parent));
    } else if (errno != EEXIST) {
      return Fail(ErrnoError("creating directory", dir, errno));
    }
    ++pos;
  }
  return Ok();
}

std::string TempSuffix() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^ (static_cast<uint64_t>(::getpid()) << 20));
  static const char* kHex = "0123456789abcdef";
  std::string s = ".tmp-";
  uint64_t v = rng();
  for (int i = 0; i < 16; ++i) s += kHex[(v >> (i * 4)) & 15];
  return s;
}

bool IsTemp(std::string_view name) { return name.find(".tmp-") != std::string_view::npos; }

// Appends every regular file under `dir` (key prefix `key_prefix`) whose key starts with `prefix`.
Status Walk(const std::string& dir, const std::string& key_prefix, std::string_view prefix,
            std::vector<ObjectInfo>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return Ok();
    return Fail(ErrnoError("listing", dir, errno));
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || IsTemp(name)) continue;
    std::string key = key_prefix + name;
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // deleted concurrently
      return Fail(ErrnoError("reading", path, errno));
    }
    if (S_ISDIR(st.st_mode)) {
      std::string sub = key + "/";
      // Descend only where keys can still match the prefix.
      size_t n = std::min(sub.size(), prefix.size());
      if (sub.compare(0, n, prefix.substr(0, n)) != 0) continue;
      SUMMIT_TRY(Walk(path, sub, prefix, out));
    } else if (S_ISREG(st.st_mode)) {
      if (key.compare(0, prefix.size(), prefix) == 0) out.push_back({key, static_cast<uint64_t>(st.st_size)});
    }
  }
  return Ok();
}

}  // namespace

Result<std::unique_ptr<LocalBackend>> LocalBackend::Open(const std::string& root_in, bool create) {
  std::string root = root_in;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty()) return Fail(ErrorCode::kInvalidInput, "empty repository path");
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    if (errno != ENOENT) return Fail(ErrnoError("opening repository directory", root, errno));
    if (!create)
      return Fail(Error(ErrorCode::kNotFound, "repository directory " + root + " does not exist",
                        "check the path, or run `summit-dr init` to create a repository there"));
    // mkdir -p
    for (size_t pos = 1; pos <= root.size(); ++pos) {
      if (pos != root.size() && root[pos] != '/') continue;
      std::string dir = root.substr(0, pos);
      if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return Fail(ErrnoError("creating repository directory", dir, errno));
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return Fail(ErrorCode::kInvalidInput, "repository path " + root + " is not a directory");
  }
  return std::unique_ptr<LocalBackend>(new LocalBackend(root));
}

Status LocalBackend::Put(std::string_view key_view, ByteView data) {
  SUMMIT_TRY(ValidateObjectKey(key_view));
  std::string key(key_view);
  std::string path = PathOf(key);
  SUMMIT_TRY(MakeParents(root_, key));
  std::string tmp = path + TempSuffix();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(ErrnoError("creating", tmp, errno));
  Fd file(fd);
  auto abandon = [&](Error e) -> Status {
    file.Close();
    ::unlink(tmp.c_str());
    return Fail(std::move(e));
  };
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon(ErrnoError("writing", path, errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return abandon(ErrnoError("syncing", path, errno));
  if (file.Close() != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Fail(ErrnoError("closing", path, err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Fail(ErrnoError("renaming into place", path, err));
  }
  return FsyncDir(path.substr(0, path.rfind('/')));
}

Result<Bytes> LocalBackend::Get(std::string_view key_view, uint64_t offset, uint64_t length) {
  SUMMIT_TRY(ValidateObjectKey(key_view));
  std::string path = PathOf(key_view);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      return Fail(ErrorCode::kNotFound, "object " + std::string(key_view) + " not found in " + Describe());
    return Fail(ErrnoError("opening", path, err));
  }
  Fd file(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return Fail(ErrnoError("reading", path, errno));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset >= size) return Bytes{};
  uint64_t n = std::min<uint64_t>(length, size - offset);
  Bytes out(n);
  uint64_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoError("reading", path, errno));
    }
    if (r == 0) break;  // truncated concurrently
    done += static_cast<uint64_t>(r);
  }
  out.resize(done);
  return out;
}

Result<ObjectInfo> LocalBackend::Stat(std::string_view key_view) {
  SUMMIT_TRY(ValidateObjectKey(key_view));
  std::string path = PathOf(key_view);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT)
      return Fail(ErrorCode::kNotFound, "object " + std::string(key_view) + " not found in " + Describe());
    return Fail(ErrnoError("reading", path, err));
  }
  if (!S_ISREG(st.st_mode))
    return Fail(ErrorCode::kNotFound, "object " + std::string(key_view) + " not found in " + Describe());
  return ObjectInfo{std::string(key_view), static_cast<uint64_t>(st.st_size)};
}

Result<std::vector<ObjectInfo>> LocalBackend::List(std::string_view prefix) {
  std::vector<ObjectInfo> out;
  SUMMIT_TRY(Walk(root_, "", prefix, out));
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Status LocalBackend::Delete(std::string_view key_view) {
  SUMMIT_TRY(ValidateObjectKey(key_view));
  std::string path = PathOf(key_view);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Ok();
    return Fail(ErrnoError("deleting", path, errno));
  }
  return FsyncDir(path.substr(0, path.rfind('/')));
}

}  // namespace summit::storage
