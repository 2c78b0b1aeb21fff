// The one conformance suite every storage Backend passes (restic's internal/backend/test,
// kopia's blobtesting): the memory, local and S3 backends and every wrapper run it, so that
// nothing above storage/backend.h depends on which backend it has.
//
// Usage, inside a gtest TEST body:
//   summit::testing::RunBackendConformance([&] { return MakeFreshBackend(); });
// `make` must return a new, EMPTY backend (e.g. a fresh directory or S3 prefix) on every call;
// each check gets its own. Failures are reported with gtest EXPECT/ADD_FAILURE and SCOPED_TRACE
// naming the check. Thread-safety: call from one test thread; the suite starts its own threads
// for the concurrency checks.
#pragma once

#include <functional>
#include <memory>

#include "storage/backend.h"

namespace summit::testing {

struct BackendConformanceOptions {
  // Size of the "large object" check: above the S3 multipart threshold when testing S3.
  size_t large_object_bytes = 20u << 20;
  // Threads x objects for the concurrent-put check.
  int threads = 4;
  int objects_per_thread = 8;
};

using BackendFactory = std::function<std::unique_ptr<storage::Backend>()>;

void RunBackendConformance(const BackendFactory& make, const BackendConformanceOptions& options = {});

}  // namespace summit::testing
