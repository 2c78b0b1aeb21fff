// A fixed pool of worker threads with a bounded queue: the repository's pipeline runs chunk
// hashing, compression, encryption and pack uploads here while the caller cuts the next chunk.
// The bound is what keeps memory independent of input size: Submit blocks while the queue is
// full (back-pressure).
//
// Tasks must not block waiting for other tasks of the same pool. Thread-safety: Submit may be
// called from any thread; the destructor drains the queue and joins (no detached threads).
//
// InOrder is the pool's way to run a sequential step (a stream's SHA-256) over items that
// tasks finish in any order, without a thread of its own and without a task ever waiting.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace summit::repo {

class WorkerPool {
 public:
  // `threads` >= 1; `max_queued` >= 1 tasks may wait before Submit blocks.
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task);
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::function<void()>> queue_;
  size_t max_queued_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Items numbered 0, 1, 2, ... are completed by any threads in any order; `step` runs on each
// item exactly once, in sequence order, on whichever thread completes the item that is next in
// line (that thread then also steps every later item already completed). A completing thread
// never waits: when another thread is stepping, it leaves its item for that thread. A consumer
// takes items, in order, once stepped. Items waiting to be stepped or taken stay here, so the
// caller bounds memory by bounding how far ahead of Take it lets items be produced.
//
// `step` runs without the lock held and never concurrently with itself; it may not call back
// into this object. Thread-safety: Complete from any threads, Take from one thread at a time.
template <class T>
class InOrder {
 public:
  explicit InOrder(std::function<void(T&)> step) : step_(std::move(step)) {}

  // Item `seq` is complete (each seq exactly once).
  void Complete(size_t seq, T item) {
    std::unique_lock lock(mu_);
    items_.emplace(seq, std::move(item));
    if (stepping_) return;  // the stepping thread will reach it
    stepping_ = true;
    while (true) {
      auto it = items_.find(next_step_);
      if (it == items_.end()) break;
      // Map nodes are stable and Take never touches items at or beyond next_step_, so the
      // item can be stepped without the lock.
      lock.unlock();
      step_(it->second);
      lock.lock();
      ++next_step_;
      stepped_.notify_all();
    }
    stepping_ = false;
  }

  // Blocks until item `seq` (the next one not yet taken) has been stepped, then returns it.
  T Take(size_t seq) {
    std::unique_lock lock(mu_);
    stepped_.wait(lock, [&] { return next_step_ > seq; });
    auto node = items_.extract(seq);
    return std::move(node.mapped());
  }

 private:
  std::function<void(T&)> step_;
  std::mutex mu_;
  std::condition_variable stepped_;
  std::map<size_t, T> items_;  // completed, not yet taken
  size_t next_step_ = 0;       // items below this have been stepped
  bool stepping_ = false;      // a thread is inside the stepping loop
};

}  // namespace summit::repo
