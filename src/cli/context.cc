#include "cli/context.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/log.h"
#include "repo/snapshot.h"
#include "storage/s3/backend_url.h"

extern char** environ;

namespace summit::cli {
namespace fs = std::filesystem;

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string DefaultKeyFile(const std::map<std::string, std::string>& env) {
  auto it = env.find("XDG_CONFIG_HOME");
  std::string base = it != env.end() && !it->second.empty() ? it->second : "";
  if (base.empty()) {
    auto home = env.find("HOME");
    base = (home != env.end() ? home->second : std::string("/root")) + "/.config";
  }
  return base + "/summit-dr/encryption.key";
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':') out.push_back(static_cast<char>(c));
    else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

Status WriteFileAtomic(const std::string& path, const std::string& text, unsigned mode) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Fail(ErrorCode::kPermission, "creating " + fs::path(path).parent_path().string() + ": " + ec.message());
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Fail(ErrnoError("creating", tmp, errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(ErrnoError("writing", tmp, e));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Fail(ErrnoError("syncing", tmp, errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Fail(ErrnoError("renaming", tmp, errno));
  return Ok();
}

int ReportError(const Error& error, const GlobalOptions& options) {
  if (options.json) {
    nlohmann::json j = {{"ok", false},
                        {"error", {{"class", std::string(ErrorCodeName(error.code()))}, {"message", error.message()}}}};
    if (!error.hint().empty()) j["error"]["hint"] = error.hint();
    std::printf("%s\n", j.dump(2).c_str());
  }
  std::fprintf(stderr, "summit-dr: %s\n", error.message().c_str());
  if (!error.hint().empty()) std::fprintf(stderr, "HINT: %s\n", error.hint().c_str());
  return ExitCodeFor(error.code());
}

Result<std::unique_ptr<Context>> Context::Create(const GlobalOptions& options) {
  auto ctx = std::unique_ptr<Context>(new Context());
  ctx->options_ = options;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) ctx->env_[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  ctx->terminal_ = isatty(STDERR_FILENO) && !options.json && !options.quiet;
  std::string path = options.config_path;
  if (path.empty()) path = ctx->Env("SUMMIT_DR_CONFIG").value_or("");
  if (path.empty() && fs::exists("config/backup-sets.yaml")) path = "config/backup-sets.yaml";
  if (path.empty()) path = std::string(SUMMIT_SOURCE_DIR) + "/config/backup-sets.yaml";
  SUMMIT_ASSIGN_OR_RETURN(ctx->config_, config::LoadConfig(path, config::ProcessEnv()));
  return ctx;
}

std::optional<std::string> Context::Env(const std::string& name) const {
  auto it = env_.find(name);
  if (it == env_.end()) return std::nullopt;
  return it->second;
}

std::string Context::MetadataBase() const {
  auto it = config_.repositories.find("local");
  if (it != config_.repositories.end() && it->second.type == config::RepositoryConfig::Type::kLocal)
    return it->second.path;
  return Env("BACKUP_BASE").value_or("./backups");
}

bool Context::Usable(const std::string& name, std::string* why) const {
  auto it = config_.repositories.find(name);
  if (it == config_.repositories.end()) {
    if (why) *why = "no repository named '" + name + "' in " + config_.file;
    return false;
  }
  const auto& r = it->second;
  if (r.type == config::RepositoryConfig::Type::kLocal) return true;
  if (r.access_key.empty() || r.secret_key.empty()) {
    if (why) *why = "S3 repository '" + name + "' has no credentials (set S3_" + std::string(name == "dr" ? "DR" : "PRIMARY") +
                    "_ACCESS_KEY/_SECRET_KEY or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)";
    return false;
  }
  return true;
}

std::vector<std::string> Context::UsableOf(const std::vector<std::string>& wanted, std::vector<std::string>* skipped) const {
  std::vector<std::string> out;
  for (const auto& n : wanted) {
    std::string why;
    if (Usable(n, &why)) out.push_back(n);
    else if (skipped) skipped->push_back(why);
  }
  return out;
}

std::string Context::DefaultRepository() const {
  if (auto from = Env("SUMMIT_DR_REPOSITORY")) return *from;
  return config_.repositories.count("local") ? "local" : config_.repositories.begin()->first;
}

Result<std::unique_ptr<storage::Backend>> Context::OpenBackend(const std::string& name) const {
  std::string why;
  if (!Usable(name, &why)) return Fail(ErrorCode::kInvalidInput, why);
  const auto& r = config_.repositories.at(name);
  storage::BackendOpenOptions o;
  if (r.type == config::RepositoryConfig::Type::kLocal) {
    return storage::OpenBackendFromUrl("local:" + (fs::absolute(r.path) / ".repository").string(), o);
  }
  o.s3.access_key = r.access_key.Reveal();
  o.s3.secret_key = r.secret_key;
  std::string url = "s3://" + r.bucket + (r.prefix.empty() ? "" : "/" + r.prefix) + "?endpoint=" + UrlEncode(r.endpoint) +
                    "&region=" + UrlEncode(r.region) + "&path_style=" + (r.path_style ? "true" : "false");
  return storage::OpenBackendFromUrl(url, o);
}

Result<SecretString> Context::Key(bool create) const {
  if (!config_.encryption.key.empty()) return config_.encryption.key;
  if (!config_.encryption.key_file.empty()) {
    std::ifstream in(config_.encryption.key_file);
    if (!in) return Fail(ErrorCode::kNotFound, "cannot read key file " + config_.encryption.key_file);
    std::string k((std::istreambuf_iterator<char>(in)), {});
    return SecretString(Trim(k));
  }
  std::string path = DefaultKeyFile(env_);
  std::ifstream in(path);
  if (in) {
    std::string k((std::istreambuf_iterator<char>(in)), {});
    return SecretString(Trim(k));
  }
  if (!create)
    return Fail(ErrorCode::kWrongKey, "no encryption key: ENCRYPTION_KEY is not set and " + path + " does not exist",
                "set ENCRYPTION_KEY (or encryption.key_file) to the key the repository was created with");
  uint8_t raw[32];
  std::ifstream rnd("/dev/urandom", std::ios::binary);
  rnd.read(reinterpret_cast<char*>(raw), sizeof raw);
  if (!rnd) return Fail(ErrorCode::kInternal, "cannot read /dev/urandom");
  std::string key = HexEncode(ByteView(raw, sizeof raw));
  SUMMIT_TRY(WriteFileAtomic(path, key + "\n", 0600));
  std::fprintf(stderr,
               "⚠️  ENCRYPTION_KEY is not set: generated a new encryption key in %s (mode 0600).\n"
               "   Keep a copy of it somewhere safe: without it no backup can be restored.\n",
               path.c_str());
  return SecretString(key);
}

Result<OpenRepo> Context::Open(const std::string& name, bool create) const {
  OpenRepo out;
  out.name = name;
  SUMMIT_ASSIGN_OR_RETURN(out.backend, OpenBackend(name));
  out.describe = out.backend->Describe();
  SUMMIT_ASSIGN_OR_RETURN(SecretString key, Key(create));
  repo::OpenOptions oo;
  oo.workers = config_.jobs;
  auto opened = repo::Repository::Open(*out.backend, key, oo);
  if (opened) {
    out.repo = std::move(*opened);
    return out;
  }
  if (opened.error().code() != ErrorCode::kNotFound || !create)
    return Fail(std::move(opened).error().Context("repository '" + name + "' (" + out.describe + ")"));
  repo::InitOptions io;
  io.chunker.min_size = config_.chunker.min_bytes;
  io.chunker.avg_size = config_.chunker.avg_bytes;
  io.chunker.max_size = config_.chunker.max_bytes;
  io.zstd_level = config_.compression.level;
  io.workers = config_.jobs;
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  io.host = host;
  io.username = Env("USER").value_or("root");
  io.label = "created by summit-dr backup";
  SUMMIT_ASSIGN_OR_RETURN_CTX(out.repo, repo::Repository::Init(*out.backend, key, io, clock_),
                              "initializing repository '" + name + "' (" + out.describe + ")");
  log::Info("initialized repository", {{"repository", name}, {"location", out.describe}});
  return out;
}

Result<OpenRepo> Context::OpenHolding(const std::string& id, const std::string& from) const {
  if (!from.empty()) return Open(from, false);
  std::vector<std::string> names;
  names.push_back(DefaultRepository());
  for (const auto& [n, _] : config_.repositories)
    if (n != names.front()) names.push_back(n);
  std::optional<Error> first;
  for (const auto& n : names) {
    if (!Usable(n)) continue;
    auto r = Open(n, false);
    if (!r) {
      if (!first) first = r.error();
      continue;
    }
    if (repo::LoadManifest(*r->repo, id)) return r;
  }
  if (first && first->code() == ErrorCode::kWrongKey) return Fail(*first);
  return Fail(ErrorCode::kNotFound, "backup " + id + " not found in any configured repository",
              "`summit-dr list` shows the backups; --from=NAME reads another repository");
}

backup::StoreSettings Context::SourceStores() const {
  backup::StoreSettings s;
  const auto& src = config_.sources;
  s.postgres.host = src.postgres.host;
  s.postgres.port = src.postgres.port;
  s.postgres.user = src.postgres.user;
  s.postgres.password = src.postgres.password;
  s.postgres.dbname = src.postgres.database;
  if (!src.postgres.sslmode.empty()) s.postgres.extra["sslmode"] = src.postgres.sslmode;
  if (auto r = sources::redis::ParseUrl(src.redis.url.Reveal())) s.redis = *r;
  s.neo4j.uri = src.neo4j.uri;
  s.neo4j.user = src.neo4j.user;
  s.neo4j.password = src.neo4j.password;
  if (!src.neo4j.database.empty()) s.neo4j.database = src.neo4j.database;
  s.environment = env_;
  return s;
}

Result<restore::TargetSettings> Context::Targets(const std::string& env_name,
                                                 const std::map<std::string, std::string>& overrides) const {
  const config::EnvironmentConfig* env = config_.FindEnvironment(env_name);
  if (!env) return Fail(ErrorCode::kInvalidInput, "environment '" + env_name + "' is not defined in " + config_.file);
  backup::StoreSettings base = SourceStores();
  restore::TargetSettings t;
  t.postgres = base.postgres;
  if (!env->postgres.host.empty()) t.postgres.host = env->postgres.host;
  if (env->postgres.port) t.postgres.port = env->postgres.port;
  if (!env->postgres.user.empty()) t.postgres.user = env->postgres.user;
  if (!env->postgres.password.empty()) t.postgres.password = env->postgres.password;
  if (!env->postgres.database.empty()) t.postgres.dbname = env->postgres.database;
  t.redis = base.redis;
  if (!env->redis.url.empty()) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(t.redis, sources::redis::ParseUrl(env->redis.url.Reveal()),
                                "environment " + env_name + ": redis url");
  }
  t.neo4j = base.neo4j;
  if (!env->neo4j.uri.empty()) t.neo4j.uri = env->neo4j.uri;
  if (!env->neo4j.user.empty()) t.neo4j.user = env->neo4j.user;
  if (!env->neo4j.password.empty()) t.neo4j.password = env->neo4j.password;
  if (!env->neo4j.database.empty()) t.neo4j.database = env->neo4j.database;
  // Files go back in place only for production; other environments get a tree of their own so
  // that a rehearsal never overwrites the live configuration.
  const std::string& root = config_.sources.files_root;
  t.files_root = env_name == "production" ? root : (fs::path(root) / ".summit-restore" / env_name).string();
  t.secrets_root = t.files_root;
  for (const auto& [name, cmd] : config_.sources.commands) t.commands[name] = cmd.restore_argv;
  for (const auto& [component, url] : overrides) {
    if (component == "postgres") {
      SUMMIT_ASSIGN_OR_RETURN_CTX(t.postgres, sources::postgres::Settings::ParseUrl(url), "--target postgres");
    } else if (component == "redis") {
      SUMMIT_ASSIGN_OR_RETURN_CTX(t.redis, sources::redis::ParseUrl(url), "--target redis");
    } else if (component == "neo4j") {
      t.neo4j.uri = url;
    } else if (component == "config" || component == "kubernetes" || component == "terraform") {
      t.files_root = url;
    } else if (component == "secrets") {
      t.secrets_root = url;
    }
  }
  return t;
}

}  // namespace summit::cli
