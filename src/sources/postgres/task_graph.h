// A scheduler for the steps of a restore: table loads, index builds, foreign keys, ANALYZE.
//
// pg_restore -j runs each TOC entry once its dependencies are done; this does the same and
// also knows which table locks each step takes, so that it never hands a connection a step
// that would only sit waiting for another connection's lock (an index build on a table whose
// primary key is being added, two foreign keys on one parent). A step that is ready and
// unblocked starts at once, most important first (the caller's priority: the bytes of the
// table, so that the long pole -- the largest table's load, then its indexes -- goes first).
//
// Dependencies are hard (never broken) or soft: when nothing is ready and nothing runs, the
// unstarted step of highest priority whose hard dependencies are done starts anyway (a cycle
// of foreign keys among loads that the data reducer wants parents-first).
//
// Thread-safety: RunTaskGraph runs `workers` threads and joins them before returning; `run`
// is called concurrently, each worker index from one thread only.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"

namespace summit::sources::postgres {

// PostgreSQL's table lock modes, weakest first (the documentation's "Table-Level Locks").
enum class LockMode {
  kAccessShare,
  kRowShare,
  kRowExclusive,
  kShareUpdateExclusive,
  kShare,
  kShareRowExclusive,
  kExclusive,
  kAccessExclusive,
};

// True when PostgreSQL does not grant `a` and `b` on one table to two transactions at once.
bool LocksConflict(LockMode a, LockMode b);

struct TableLock {
  std::string table;  // any consistent name, e.g. "public.events"
  LockMode mode;
};

struct GraphTask {
  std::string label;               // for errors: "index events_time_idx"
  std::vector<size_t> deps;        // indexes of tasks that must have finished
  std::vector<size_t> soft_deps;   // may be broken to escape a cycle (see above)
  std::vector<TableLock> locks;
  double priority = 0;             // higher first
};

// Runs every task once through `run(worker, task)` on `workers` threads, respecting
// dependencies and locks. The first failure stops new tasks from starting; running ones
// finish; that failure (with the task's label as context) is returned. A dependency on a
// task index out of range, or on itself, is kInvalidInput before anything runs.
Status RunTaskGraph(int workers, const std::vector<GraphTask>& tasks,
                    const std::function<Status(int worker, size_t task)>& run);

}  // namespace summit::sources::postgres
