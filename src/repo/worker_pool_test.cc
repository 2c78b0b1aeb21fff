#include "repo/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <vector>

namespace summit::repo {
namespace {

// Items completed in a scrambled order by many threads are stepped exactly once each, in
// sequence order, and taken in order after their step.
TEST(InOrder, StepsEveryItemOnceInSequenceOrderWhateverTheCompletionOrder) {
  constexpr size_t kItems = 5000;
  std::vector<size_t> stepped;  // touched by the step only (never concurrently)
  InOrder<size_t> in_order([&](size_t& v) {
    stepped.push_back(v);
    v += 1;  // the taker sees what the step did
  });
  std::vector<size_t> order(kItems);
  for (size_t i = 0; i < kItems; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  {
    WorkerPool pool(8, 2);
    for (size_t seq : order) pool.Submit([&in_order, seq] { in_order.Complete(seq, seq * 10); });
    for (size_t seq = 0; seq < kItems; ++seq) ASSERT_EQ(in_order.Take(seq), seq * 10 + 1);
  }
  ASSERT_EQ(stepped.size(), kItems);
  for (size_t i = 0; i < kItems; ++i) ASSERT_EQ(stepped[i], i * 10);
}

}  // namespace
}  // namespace summit::repo
