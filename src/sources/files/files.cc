#include "sources/files/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <openssl/evp.h>

#include "core/bytes.h"
#include "io/process.h"

namespace summit::sources::files {
namespace fs = std::filesystem;

namespace {

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(ByteView d) { EVP_DigestUpdate(ctx_, d.data(), d.size()); }
  std::string HexDigest() {
    uint8_t out[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, out, &n);
    return HexEncode(ByteView(out, n));
  }

 private:
  EVP_MD_CTX* ctx_;
};

bool MatchSegment(std::string_view p, std::string_view s) {
  // Classic iterative wildcard match with backtracking on '*'.
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool MatchSegments(const std::vector<std::string_view>& p, size_t pi, const std::vector<std::string_view>& s,
                   size_t si) {
  if (pi == p.size()) return si == s.size();
  if (p[pi] == "**") {
    for (size_t k = si; k <= s.size(); ++k)
      if (MatchSegments(p, pi + 1, s, k)) return true;
    return false;
  }
  if (si == s.size()) return false;
  return MatchSegment(p[pi], s[si]) && MatchSegments(p, pi + 1, s, si + 1);
}

bool Selected(const std::string& rel, const std::vector<std::string>& include, const std::vector<std::string>& exclude) {
  bool in = include.empty();
  for (const auto& g : include)
    if (GlobMatch(g, rel)) in = true;
  if (!in) return false;
  for (const auto& g : exclude)
    if (GlobMatch(g, rel)) return false;
  return true;
}

// Collects matching regular files under root, sorted (a stable order gives stable streams).
Result<std::vector<std::string>> Walk(const std::string& root, const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return Fail(ErrorCode::kNotFound, "directory " + root + " does not exist",
                "set the files root in config/backup-sets.yaml (sources.files.root) or create it");
  std::vector<std::string> out;
  auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Fail(ErrorCode::kPermission, "reading " + root + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Fail(ErrorCode::kPermission, "walking " + root + ": " + ec.message());
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    std::string rel = fs::relative(it->path(), root, ec).generic_string();
    if (Selected(rel, include, exclude)) out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status CopyAll(ByteSource& from, ByteSink& to, Sha256* hash, uint64_t* bytes) {
  std::vector<uint8_t> buf(1 << 16);
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, from.Read(buf));
    if (n == 0) return Ok();
    ByteView v(buf.data(), n);
    if (hash) hash->Update(v);
    *bytes += n;
    SUMMIT_TRY(to.Write(v));
  }
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  return MatchSegments(Split(pattern), 0, Split(path), 0);
}

Result<BackupReport> Backup(const FileSetOptions& options, CaptureSink& out) {
  SUMMIT_ASSIGN_OR_RETURN(auto paths, Walk(options.root, options.include, options.exclude));
  if (paths.empty() && options.required)
    return Fail(ErrorCode::kNotFound, "no file under " + options.root + " matches the configured globs");
  BackupReport report;
  nlohmann::json manifest = nlohmann::json::array();
  size_t odd = 0;
  for (const auto& rel : paths) {
    std::string full = options.root + "/" + rel;
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0) return Fail(ErrorCode::kPermission, "stat " + full + ": " + std::strerror(errno));
    std::string stream = "f/" + rel;
    if (!ValidateStreamName(stream).has_value() || rel.starts_with("_/")) stream = "f/_/" + std::to_string(odd++);
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto src, OpenFileSource(full), "backing up " + full);
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto sink, out.OpenStream(stream), "backing up " + full);
    Sha256 hash;
    uint64_t n = 0;
    SUMMIT_TRY_CTX(CopyAll(*src, *sink, &hash, &n), "backing up " + full);
    SUMMIT_TRY_CTX(sink->Close(), "backing up " + full);
    manifest.push_back({{"path", rel},
                        {"stream", stream},
                        {"mode", st.st_mode & 07777},
                        {"mtime_ns", static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec},
                        {"size", n},
                        {"sha256", hash.HexDigest()}});
    ++report.files;
    report.bytes += n;
  }
  SUMMIT_ASSIGN_OR_RETURN(auto msink, out.OpenStream("manifest.json"));
  SUMMIT_TRY(msink->Write(manifest.dump(1)));
  SUMMIT_TRY(msink->Close());
  out.SetAttribute("files", report.files);
  out.SetAttribute("bytes", report.bytes);
  out.SetAttribute("secret", options.secret);
  return report;
}

Result<BackupReport> BackupEnvironment(const std::vector<std::string>& names,
                                       const std::map<std::string, std::string>& environment, CaptureSink& out) {
  nlohmann::json values = nlohmann::json::object();
  std::vector<std::string> missing;
  for (const auto& n : names) {
    auto it = environment.find(n);
    if (it == environment.end()) {
      missing.push_back(n);
    } else {
      values[n] = it->second;
    }
  }
  SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream("env.json"));
  std::string text = values.dump();
  SUMMIT_TRY(sink->Write(text));
  SUMMIT_TRY(sink->Close());
  out.SetAttribute("secret", true);
  out.SetAttribute("env_missing", missing);  // names only, never values
  return BackupReport{values.size(), text.size()};
}

Result<RestoreReport> Restore(const RestoreOptions& options, CaptureSource& in) {
  SUMMIT_ASSIGN_OR_RETURN(auto msrc, in.OpenStream("manifest.json"));
  SUMMIT_ASSIGN_OR_RETURN(std::string mtext, msrc->ReadAll());
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(mtext);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kCorruption, std::string("file manifest: ") + e.what());
  }
  bool secret = options.secret || in.Attributes().value("secret", false);
  RestoreReport report;
  for (const auto& entry : manifest) {
    std::string rel = entry.at("path").get<std::string>();
    if (rel.find("..") != std::string::npos && (rel == ".." || rel.starts_with("../") ||
                                                 rel.find("/../") != std::string::npos || rel.ends_with("/..")))
      return Fail(ErrorCode::kCorruption, "file manifest holds an unsafe path '" + rel + "'");
    if (!options.include.empty() && !Selected(rel, options.include, {})) continue;
    std::string full = options.target_root + "/" + rel;
    uint64_t size = entry.at("size").get<uint64_t>();
    std::string action = fs::exists(full) ? "replace" : "create";
    if (options.dry_run) {
      report.plan.push_back({rel, size, action});
      ++report.files;
      report.bytes += size;
      continue;
    }
    if (!options.overwrite && action == "replace")
      return Fail(ErrorCode::kAlreadyExists, "refusing to overwrite " + full, "pass overwrite to replace it");
    std::error_code ec;
    fs::create_directories(fs::path(full).parent_path(), ec);
    if (ec) return Fail(ErrorCode::kPermission, "creating " + fs::path(full).parent_path().string() + ": " + ec.message());
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(entry.at("stream").get<std::string>()));
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto sink, OpenFileSink(full), "restoring " + rel);
    Sha256 hash;
    uint64_t n = 0;
    SUMMIT_TRY_CTX(CopyAll(*src, *sink, &hash, &n), "restoring " + rel);
    if (hash.HexDigest() != entry.at("sha256").get<std::string>())
      return Fail(ErrorCode::kCorruption, "restoring " + rel + ": content does not match its checksum");
    // The mode is set on the temp file before the rename makes it visible.
    mode_t mode = secret ? 0600 : static_cast<mode_t>(entry.at("mode").get<unsigned>());
    if (::chmod((full + ".tmp").c_str(), mode) != 0) return Fail(ErrnoError("chmod", full + ".tmp", errno));
    SUMMIT_TRY_CTX(sink->Close(), "restoring " + rel);
    int64_t mtime_ns = entry.at("mtime_ns").get<int64_t>();
    timespec times[2];
    times[0].tv_sec = times[1].tv_sec = mtime_ns / 1000000000LL;
    times[0].tv_nsec = times[1].tv_nsec = mtime_ns % 1000000000LL;
    if (::utimensat(AT_FDCWD, full.c_str(), times, 0) != 0) return Fail(ErrnoError("setting mtime of", full, errno));
    ++report.files;
    report.bytes += n;
  }
  return report;
}

Result<BackupReport> BackupCommand(const std::string& name, const std::string& command, CaptureSink& out) {
  SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream(name + ".out"));
  ProcessOptions o = ShellCommand(command);
  o.stdout_sink = sink.get();
  SUMMIT_ASSIGN_OR_RETURN(auto r, RunChecked(o, "capturing command output '" + name + "'"));
  SUMMIT_TRY(sink->Close());
  out.SetAttribute(name + ".command", command);
  return BackupReport{1, 0};
}

Status RestoreCommand(const std::string& name, const std::string& command, CaptureSource& in) {
  SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(name + ".out"));
  ProcessOptions o = ShellCommand(command);
  o.stdin_source = src.get();
  SUMMIT_TRY(RunChecked(o, "restoring command output '" + name + "'"));
  return Ok();
}

Result<nlohmann::json> Fingerprint(const std::string& root, const std::vector<std::string>& include) {
  SUMMIT_ASSIGN_OR_RETURN(auto paths, Walk(root, include, {}));
  nlohmann::json fp = nlohmann::json::object();
  for (const auto& rel : paths) {
    std::string full = root + "/" + rel;
    SUMMIT_ASSIGN_OR_RETURN(auto src, OpenFileSource(full));
    Sha256 hash;
    std::vector<uint8_t> buf(1 << 16);
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(size_t n, src->Read(buf));
      if (n == 0) break;
      hash.Update(ByteView(buf.data(), n));
    }
    struct stat st {};
    ::stat(full.c_str(), &st);
    fp[rel] = {{"sha256", hash.HexDigest()}, {"mode", st.st_mode & 07777}};
  }
  return fp;
}

}  // namespace summit::sources::files
