// Repository locks that work on any Backend, including S3, which offers no atomic
// create-if-absent here (restic's approach, doc/design.rst "Locks").
//
// Each process writes its own lock object "locks/<random id>" holding JSON
// {kind: shared|exclusive, host, pid, purpose, created, refreshed}, then lists "locks/" and
// looks for conflicts: an exclusive lock conflicts with every other lock, a shared lock only
// with exclusive ones. Conflicts are checked before writing and again after (two processes
// racing for the exclusive lock both see each other, both withdraw, and retry with jitter).
// Shared: backup, restore, verify, check. Exclusive: prune.
//
// Invariant: a lock whose `refreshed` is older than stale_after, or whose holder is a dead
// process on this host, is stale: it is ignored for conflicts and RemoveStaleLocks deletes
// it. A held lock is refreshed on a background thread every refresh_interval (which must be
// well below stale_after); if a refresh finds the lock gone (someone removed it as stale), the
// lock is lost and Healthy() says so: the holder must stop writing.
//
// Thread-safety: RepositoryLock's methods are safe to call from any thread; the refresher is
// a std::jthread joined by Release()/the destructor (never detached).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "storage/backend.h"

namespace summit::repo {

enum class LockKind { kShared, kExclusive };
std::string_view LockKindName(LockKind kind);

inline constexpr std::string_view kLocksPrefix = "locks/";

struct LockInfo {
  std::string id;  // the object key's last segment
  LockKind kind = LockKind::kShared;
  std::string host;
  int64_t pid = 0;
  std::string purpose;  // "backup", "prune", ...
  TimePoint created;
  TimePoint refreshed;
};

// Encodes/decodes a lock object. Decode fails with kCorruption naming the key.
std::string EncodeLock(const LockInfo& info);
Result<LockInfo> DecodeLock(std::string_view id, std::string_view json);

struct LockOptions {
  std::string purpose;
  std::chrono::seconds stale_after{std::chrono::minutes(30)};
  std::chrono::milliseconds refresh_interval{std::chrono::minutes(5)};
  // How long Acquire keeps retrying while a conflicting lock is held (0: fail at once).
  std::chrono::milliseconds wait{0};
  std::chrono::milliseconds poll_interval{1000};
  // Pause between writing our lock and re-checking, for stores that list new objects late.
  std::chrono::milliseconds settle{200};
  // Identity of this process; empty/0 = gethostname()/getpid().
  std::string host;
  int64_t pid = 0;
  // Whether a process on this host is alive (default: kill(pid, 0)). A test seam.
  std::function<bool(int64_t pid)> process_alive;
};

// True when `lock` is stale at `now`: not refreshed for stale_after, or held by a dead
// process of this host.
bool IsStale(const LockInfo& lock, TimePoint now, const LockOptions& options, std::string_view this_host);

// Every readable lock in the repository (locks that vanish while listing are skipped).
// Fails with the backend's error; an unreadable lock object is kCorruption naming it.
Result<std::vector<LockInfo>> ListLocks(storage::Backend& backend);

// Deletes stale locks; returns the ones removed.
Result<std::vector<LockInfo>> RemoveStaleLocks(storage::Backend& backend, const Clock& clock,
                                               const LockOptions& options);

class RepositoryLock {
 public:
  // Takes a lock of `kind`. Fails with kLocked naming the holder (host, pid, purpose, age)
  // when a conflicting live lock is held after options.wait; with the backend's error when it
  // cannot be written or listed. `backend` and `clock` must outlive the lock.
  static Result<std::unique_ptr<RepositoryLock>> Acquire(storage::Backend& backend, LockKind kind,
                                                         const Clock& clock, LockOptions options);

  RepositoryLock(const RepositoryLock&) = delete;
  RepositoryLock& operator=(const RepositoryLock&) = delete;
  // Stops the refresher and deletes the lock object (errors are logged).
  ~RepositoryLock();

  // Rewrites the lock with a new `refreshed` time now. kLocked if the lock object is gone.
  Status Refresh();
  // Stops the refresher and deletes the lock object; idempotent.
  Status Release();
  // Ok while the lock is held; the last refresh failure otherwise (kLocked when lost).
  Status Healthy() const;

  LockInfo info() const;
  std::string key() const { return std::string(kLocksPrefix) + info_.id; }

 private:
  RepositoryLock(storage::Backend& backend, const Clock& clock, LockInfo info, LockOptions options);
  void RefreshLoop(std::stop_token stop);

  storage::Backend& backend_;
  const Clock& clock_;
  LockInfo info_;
  LockOptions options_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  Status health_;
  bool released_ = false;
  std::jthread refresher_;
};

}  // namespace summit::repo
