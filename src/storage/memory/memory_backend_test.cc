#include "storage/memory/memory_backend.h"

#include <gtest/gtest.h>

#include "testing/backend_conformance.h"

namespace summit::storage {
namespace {

TEST(MemoryBackend, PassesBackendConformance) {
  summit::testing::RunBackendConformance([] { return std::make_unique<MemoryBackend>(); });
}

TEST(MemoryBackend, RejectsKeysWithDotDotOrEmptySegments) {
  MemoryBackend b;
  for (const char* key : {"", "/abs", "a//b", "a/../b", "a/./b", "trailing/"}) {
    auto st = b.Put(key, AsBytes("x"));
    ASSERT_FALSE(st.has_value()) << key;
    EXPECT_EQ(st.error().code(), ErrorCode::kInvalidInput) << key;
  }
}

}  // namespace
}  // namespace summit::storage
