#include "repo/lock.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/log.h"

namespace summit::repo {

namespace {

std::string RandomId() {
  std::random_device rd;
  Bytes b(16);
  for (auto& x : b) x = static_cast<uint8_t>(rd());
  return HexEncode(b);
}

std::string ThisHost() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

bool DefaultProcessAlive(int64_t pid) {
  if (pid <= 0) return true;
  // EPERM: it exists but belongs to another user.
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string Age(TimePoint then, TimePoint now) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h";
}

std::string Describe(const LockInfo& l, TimePoint now) {
  return std::string(LockKindName(l.kind)) + " lock " + l.id + " held by " + l.host + " pid " +
         std::to_string(l.pid) + (l.purpose.empty() ? "" : " (" + l.purpose + ")") + " since " +
         FormatRfc3339(l.created) + ", refreshed " + Age(l.refreshed, now) + " ago";
}

bool Conflicts(LockKind want, const LockInfo& other) {
  return want == LockKind::kExclusive || other.kind == LockKind::kExclusive;
}

// The first live lock (other than `own_id`) that conflicts with `want`, if any.
Result<std::optional<LockInfo>> FindConflict(storage::Backend& backend, LockKind want, const std::string& own_id,
                                             TimePoint now, const LockOptions& options, const std::string& host) {
  SUMMIT_ASSIGN_OR_RETURN(auto locks, ListLocks(backend));
  for (const auto& l : locks) {
    if (l.id == own_id || !Conflicts(want, l)) continue;
    if (IsStale(l, now, options, host)) {
      log::Info("ignoring stale repository lock", {{"lock", Describe(l, now)}});
      continue;
    }
    return std::optional<LockInfo>(l);
  }
  return std::optional<LockInfo>();
}

}  // namespace

std::string_view LockKindName(LockKind kind) { return kind == LockKind::kShared ? "shared" : "exclusive"; }

std::string EncodeLock(const LockInfo& info) {
  nlohmann::json j = {{"kind", LockKindName(info.kind)},   {"host", info.host},
                      {"pid", info.pid},                   {"purpose", info.purpose},
                      {"created", FormatRfc3339(info.created)}, {"refreshed", FormatRfc3339(info.refreshed)}};
  return j.dump();
}

Result<LockInfo> DecodeLock(std::string_view id, std::string_view json) {
  auto bad = [&](const std::string& why) {
    return Fail(ErrorCode::kCorruption, "lock " + std::string(kLocksPrefix) + std::string(id) + ": " + why,
                "if no summit-dr process holds it, remove it with `summit-dr unlock --remove-all`");
  };
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  LockInfo l;
  l.id = std::string(id);
  if (!j.contains("kind") || !j["kind"].is_string()) return bad("no kind");
  std::string kind = j["kind"];
  if (kind == "shared") l.kind = LockKind::kShared;
  else if (kind == "exclusive") l.kind = LockKind::kExclusive;
  else return bad("unknown kind '" + kind + "'");
  if (j.contains("host") && j["host"].is_string()) l.host = j["host"];
  if (j.contains("pid") && j["pid"].is_number_integer()) l.pid = j["pid"];
  if (j.contains("purpose") && j["purpose"].is_string()) l.purpose = j["purpose"];
  if (!j.contains("created") || !j["created"].is_string() || !ParseUtc(j["created"], &l.created))
    return bad("bad created time");
  if (!j.contains("refreshed") || !j["refreshed"].is_string() || !ParseUtc(j["refreshed"], &l.refreshed))
    return bad("bad refreshed time");
  return l;
}

bool IsStale(const LockInfo& lock, TimePoint now, const LockOptions& options, std::string_view this_host) {
  if (now - lock.refreshed > options.stale_after) return true;
  if (!this_host.empty() && lock.host == this_host && lock.pid > 0) {
    const auto& alive = options.process_alive ? options.process_alive : DefaultProcessAlive;
    if (!alive(lock.pid)) return true;
  }
  return false;
}

Result<std::vector<LockInfo>> ListLocks(storage::Backend& backend) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto objects, backend.List(kLocksPrefix), "listing repository locks");
  std::vector<LockInfo> out;
  for (const auto& o : objects) {
    std::string_view id = std::string_view(o.key).substr(kLocksPrefix.size());
    auto data = backend.Get(o.key);
    if (!data) {
      if (data.error().code() == ErrorCode::kNotFound) continue;  // released meanwhile
      return Unexpected{std::move(data).error().Context("reading repository lock")};
    }
    SUMMIT_ASSIGN_OR_RETURN(LockInfo l, DecodeLock(id, AsString(*data)));
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<LockInfo>> RemoveStaleLocks(storage::Backend& backend, const Clock& clock,
                                               const LockOptions& options) {
  std::string host = options.host.empty() ? ThisHost() : options.host;
  SUMMIT_ASSIGN_OR_RETURN(auto locks, ListLocks(backend));
  std::vector<LockInfo> removed;
  TimePoint now = clock.Now();
  for (const auto& l : locks) {
    if (!IsStale(l, now, options, host)) continue;
    SUMMIT_TRY_CTX(backend.Delete(std::string(kLocksPrefix) + l.id), "removing stale lock " + l.id);
    log::Info("removed stale repository lock", {{"lock", Describe(l, now)}});
    removed.push_back(l);
  }
  return removed;
}

Result<std::unique_ptr<RepositoryLock>> RepositoryLock::Acquire(storage::Backend& backend, LockKind kind,
                                                                const Clock& clock, LockOptions options) {
  if (options.host.empty()) options.host = ThisHost();
  if (options.pid == 0) options.pid = getpid();
  if (options.refresh_interval >= options.stale_after)
    return Fail(ErrorCode::kInvalidInput, "lock refresh interval must be shorter than the stale age");
  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  std::mt19937_64 rng(std::random_device{}());
  auto pause = [&] {
    // Jitter so that two processes racing for an exclusive lock do not stay in step.
    auto base = options.poll_interval.count();
    auto ms = base / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(base + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  const std::string id = RandomId();
  const std::string key = std::string(kLocksPrefix) + id;
  const std::string where = " in " + backend.Describe();
  while (true) {
    TimePoint now = clock.Now();
    SUMMIT_ASSIGN_OR_RETURN(auto conflict, FindConflict(backend, kind, id, now, options, options.host));
    if (!conflict) {
      LockInfo info;
      info.id = id;
      info.kind = kind;
      info.host = options.host;
      info.pid = options.pid;
      info.purpose = options.purpose;
      info.created = now;
      info.refreshed = now;
      SUMMIT_TRY_CTX(backend.Put(key, AsBytes(EncodeLock(info))), "writing repository lock" + where);
      if (options.settle.count() > 0) std::this_thread::sleep_for(options.settle);
      auto again = FindConflict(backend, kind, id, clock.Now(), options, options.host);
      if (!again) {
        (void)backend.Delete(key);
        return Unexpected{std::move(again).error()};
      }
      if (!*again) {
        return std::unique_ptr<RepositoryLock>(new RepositoryLock(backend, clock, std::move(info), std::move(options)));
      }
      // Someone took a conflicting lock at the same time: withdraw ours and try again.
      conflict = *again;
      SUMMIT_TRY_CTX(backend.Delete(key), "withdrawing repository lock" + where);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Fail(ErrorCode::kLocked,
                  "cannot take a " + std::string(LockKindName(kind)) + " lock" + where + ": " +
                      Describe(*conflict, clock.Now()),
                  "wait for that operation to finish; if its process is gone the lock becomes stale " +
                      std::to_string(options.stale_after.count() / 60) +
                      " min after its last refresh and can then be removed with `summit-dr unlock`");
    }
    pause();
  }
}

RepositoryLock::RepositoryLock(storage::Backend& backend, const Clock& clock, LockInfo info, LockOptions options)
    : backend_(backend), clock_(clock), info_(std::move(info)), options_(std::move(options)) {
  refresher_ = std::jthread([this](std::stop_token stop) { RefreshLoop(stop); });
}

RepositoryLock::~RepositoryLock() {
  Status st = Release();
  if (!st) log::Warn("could not release repository lock", {{"lock", key()}, {"error", st.error().ToString()}});
}

LockInfo RepositoryLock::info() const {
  std::lock_guard<std::mutex> lock(mu_);
  return info_;
}

void RepositoryLock::RefreshLoop(std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop.stop_requested()) {
    if (cv_.wait_for(lock, stop, options_.refresh_interval, [] { return false; })) break;
    if (stop.stop_requested()) break;
    lock.unlock();
    Status st = Refresh();
    if (!st) log::Warn("repository lock refresh failed", {{"lock", key()}, {"error", st.error().ToString()}});
    lock.lock();
  }
}

Status RepositoryLock::Refresh() {
  LockInfo copy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return Fail(ErrorCode::kInternal, "refreshing a released lock " + key());
    copy = info_;
  }
  const std::string k = key();
  auto exists = backend_.Stat(k);
  Status result;
  if (!exists) {
    if (exists.error().code() == ErrorCode::kNotFound) {
      result = Fail(ErrorCode::kLocked,
                    "repository lock " + k + " in " + backend_.Describe() +
                        " was removed by another process (it considered it stale): the lock is lost",
                    "stop this operation and run it again; raise the stale age if refreshes are slow");
    } else {
      result = Unexpected{std::move(exists).error().Context("refreshing repository lock " + k)};
    }
  } else {
    copy.refreshed = clock_.Now();
    Status put = backend_.Put(k, AsBytes(EncodeLock(copy)));
    if (put) {
      std::lock_guard<std::mutex> lock(mu_);
      info_.refreshed = copy.refreshed;
    } else {
      result = Unexpected{std::move(put).error().Context("refreshing repository lock " + k)};
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  // A lost lock stays lost; a transient failure is cleared by the next good refresh.
  if (!health_ && health_.error().code() == ErrorCode::kLocked) return health_;
  health_ = result;
  return result;
}

Status RepositoryLock::Healthy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return health_;
}

Status RepositoryLock::Release() {
  refresher_.request_stop();
  if (refresher_.joinable()) refresher_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return Ok();
    released_ = true;
  }
  SUMMIT_TRY_CTX(backend_.Delete(key()), "releasing repository lock");
  return Ok();
}

}  // namespace summit::repo
