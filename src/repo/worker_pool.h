// A fixed pool of worker threads with a bounded queue: the repository's pipeline runs chunk
// hashing, compression, encryption and pack uploads here while the caller cuts the next chunk.
// The bound is what keeps memory independent of input size: Submit blocks while the queue is
// full (back-pressure).
//
// Tasks must not block waiting for other tasks of the same pool. Thread-safety: Submit may be
// called from any thread; the destructor drains the queue and joins (no detached threads).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
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

}  // namespace summit::repo
