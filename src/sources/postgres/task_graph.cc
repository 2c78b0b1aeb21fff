#include "sources/postgres/task_graph.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace summit::sources::postgres {

bool LocksConflict(LockMode a, LockMode b) {
  // Row r lists the modes that conflict with mode r, as bits in LockMode order.
  static constexpr unsigned kConflicts[] = {
      0b10000000,  // ACCESS SHARE: ACCESS EXCLUSIVE
      0b11000000,  // ROW SHARE: EXCLUSIVE, ACCESS EXCLUSIVE
      0b11110000,  // ROW EXCLUSIVE: SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE, ACCESS EXCLUSIVE
      0b11111000,  // SHARE UPDATE EXCLUSIVE: itself and everything stronger
      0b11101100,  // SHARE: ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE, SHARE ROW EXCL., EXCL., ACCESS EXCL.
      0b11111100,  // SHARE ROW EXCLUSIVE: ROW EXCLUSIVE and everything stronger
      0b11111110,  // EXCLUSIVE: ROW SHARE and everything stronger
      0b11111111,  // ACCESS EXCLUSIVE: everything
  };
  return (kConflicts[static_cast<int>(a)] >> static_cast<int>(b)) & 1u;
}

Status RunTaskGraph(int workers, const std::vector<GraphTask>& tasks,
                    const std::function<Status(int worker, size_t task)>& run) {
  const size_t n = tasks.size();
  for (size_t i = 0; i < n; ++i) {
    for (const auto* list : {&tasks[i].deps, &tasks[i].soft_deps}) {
      for (size_t d : *list) {
        if (d >= n || d == i) {
          return Fail(ErrorCode::kInvalidInput, "task " + tasks[i].label + " depends on task " + std::to_string(d) +
                                                    ", which is " + (d == i ? "itself" : "not in the graph"));
        }
      }
    }
  }
  // Candidates in priority order (stable: equal priorities keep the caller's order).
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tasks[a].priority > tasks[b].priority; });

  std::mutex mu;
  std::condition_variable cv;
  std::vector<char> started(n, 0), done(n, 0);
  size_t finished = 0, running = 0;
  std::multimap<std::string, LockMode> held;  // locks of running tasks
  std::optional<Error> first;

  auto deps_done = [&](const std::vector<size_t>& deps) {
    return std::all_of(deps.begin(), deps.end(), [&](size_t d) { return done[d] != 0; });
  };
  auto locks_free = [&](const GraphTask& t) {
    for (const auto& l : t.locks) {
      auto [b, e] = held.equal_range(l.table);
      for (auto it = b; it != e; ++it) {
        if (LocksConflict(l.mode, it->second)) return false;
      }
    }
    return true;
  };
  constexpr size_t kNone = static_cast<size_t>(-1);
  // Called with `mu` held: the task to start now, or kNone.
  auto pick = [&]() -> size_t {
    for (size_t k : order) {
      if (!started[k] && deps_done(tasks[k].deps) && deps_done(tasks[k].soft_deps) && locks_free(tasks[k])) return k;
    }
    if (running == 0) {
      // Nothing can start and nothing will finish: break a soft dependency.
      for (size_t k : order) {
        if (!started[k] && deps_done(tasks[k].deps)) return k;
      }
    }
    return kNone;
  };
  bool stuck = false;
  auto worker = [&](int w) {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      size_t k = kNone;
      cv.wait(lock, [&] {
        if (first || stuck || finished + running == n) return true;
        k = pick();
        if (k == kNone && running == 0) stuck = true;
        return k != kNone || stuck;
      });
      if (first || stuck || k == kNone) break;
      started[k] = 1;
      ++running;
      for (const auto& l : tasks[k].locks) held.emplace(l.table, l.mode);
      lock.unlock();
      Status st = run(w, k);
      lock.lock();
      for (const auto& l : tasks[k].locks) {
        auto [b, e] = held.equal_range(l.table);
        for (auto it = b; it != e; ++it) {
          if (it->second == l.mode) {
            held.erase(it);
            break;
          }
        }
      }
      --running;
      ++finished;
      done[k] = 1;
      if (!st && !first) first = std::move(st).error().Context(tasks[k].label);
      cv.notify_all();
    }
    cv.notify_all();
  };
  int nthreads = std::max(1, std::min<int>(workers, static_cast<int>(n)));
  std::vector<std::thread> threads;
  for (int i = 0; i < nthreads && n > 0; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  if (first) return Fail(*first);
  if (finished != n) {
    return Fail(ErrorCode::kInternal, "restore steps left with unmet dependencies (" + std::to_string(n - finished) +
                                          " of " + std::to_string(n) + "): a dependency cycle");
  }
  return Ok();
}

}  // namespace summit::sources::postgres
