#include "testing/backend_conformance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace summit::testing {
namespace {

Bytes Pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

std::vector<std::string> Keys(const std::vector<storage::ObjectInfo>& infos) {
  std::vector<std::string> out;
  for (const auto& i : infos) out.push_back(i.key);
  return out;
}

#define CONF_ASSERT_OK(expr)                                                   \
  do {                                                                         \
    auto&& conf_r_ = (expr);                                                   \
    ASSERT_TRUE(conf_r_.has_value()) << #expr << ": " << conf_r_.error().ToString(); \
  } while (0)

void PutThenGetReturnsSameBytes(storage::Backend& b) {
  Bytes data = Pattern(1000, 1);
  // Every byte value, to catch text-mode or encoding bugs.
  for (int i = 0; i < 256; ++i) data.push_back(static_cast<uint8_t>(i));
  CONF_ASSERT_OK(b.Put("data/ab/abcdef", data));
  auto got = b.Get("data/ab/abcdef");
  CONF_ASSERT_OK(got);
  EXPECT_EQ(*got, data);
  auto st = b.Stat("data/ab/abcdef");
  CONF_ASSERT_OK(st);
  EXPECT_EQ(st->size, data.size());
  EXPECT_EQ(st->key, "data/ab/abcdef");
}

void EmptyObjectRoundTrips(storage::Backend& b) {
  CONF_ASSERT_OK(b.Put("empty", ByteView{}));
  auto got = b.Get("empty");
  CONF_ASSERT_OK(got);
  EXPECT_TRUE(got->empty());
  auto st = b.Stat("empty");
  CONF_ASSERT_OK(st);
  EXPECT_EQ(st->size, 0u);
}

void RangeReadsReturnTheSlice(storage::Backend& b) {
  Bytes data = Pattern(10000, 2);
  CONF_ASSERT_OK(b.Put("pack", data));
  auto mid = b.Get("pack", 1234, 100);
  CONF_ASSERT_OK(mid);
  EXPECT_EQ(*mid, Bytes(data.begin() + 1234, data.begin() + 1334));
  auto tail = b.Get("pack", 9990);
  CONF_ASSERT_OK(tail);
  EXPECT_EQ(*tail, Bytes(data.begin() + 9990, data.end()));
  auto past = b.Get("pack", 9995, 100);  // a range past the end returns what exists
  CONF_ASSERT_OK(past);
  EXPECT_EQ(*past, Bytes(data.begin() + 9995, data.end()));
  auto first = b.Get("pack", 0, 1);
  CONF_ASSERT_OK(first);
  EXPECT_EQ(*first, Bytes(data.begin(), data.begin() + 1));
}

void MissingKeyIsNotFound(storage::Backend& b) {
  auto got = b.Get("snapshots/does-not-exist");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), ErrorCode::kNotFound) << got.error().ToString();
  auto st = b.Stat("snapshots/does-not-exist");
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code(), ErrorCode::kNotFound) << st.error().ToString();
}

void PutReplacesExistingObject(storage::Backend& b) {
  CONF_ASSERT_OK(b.Put("locks/x", AsBytes("first version, longer")));
  CONF_ASSERT_OK(b.Put("locks/x", AsBytes("second")));
  auto got = b.Get("locks/x");
  CONF_ASSERT_OK(got);
  EXPECT_EQ(AsString(*got), "second");
  auto st = b.Stat("locks/x");
  CONF_ASSERT_OK(st);
  EXPECT_EQ(st->size, 6u);
}

void ListIsSortedAndFilteredByPrefix(storage::Backend& b) {
  std::vector<std::string> keys = {"index/02", "index/01", "data/ff/ff01", "data/00/0001", "data/0a/0a99",
                                   "snapshots/s1", "indexes-not/1", "config"};
  for (const auto& k : keys) CONF_ASSERT_OK(b.Put(k, AsBytes(k)));
  auto all = b.List("");
  CONF_ASSERT_OK(all);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Keys(*all), sorted);
  for (const auto& info : *all) EXPECT_EQ(info.size, info.key.size()) << info.key;

  auto data = b.List("data/");
  CONF_ASSERT_OK(data);
  EXPECT_EQ(Keys(*data), (std::vector<std::string>{"data/00/0001", "data/0a/0a99", "data/ff/ff01"}));
  auto index = b.List("index/");
  CONF_ASSERT_OK(index);
  EXPECT_EQ(Keys(*index), (std::vector<std::string>{"index/01", "index/02"}));
  auto partial = b.List("data/0");  // a prefix need not end at a '/'
  CONF_ASSERT_OK(partial);
  EXPECT_EQ(Keys(*partial), (std::vector<std::string>{"data/00/0001", "data/0a/0a99"}));
  auto none = b.List("nothing-here/");
  CONF_ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

void DeleteRemovesAndIsIdempotent(storage::Backend& b) {
  CONF_ASSERT_OK(b.Put("snapshots/a", AsBytes("a")));
  CONF_ASSERT_OK(b.Put("snapshots/b", AsBytes("b")));
  CONF_ASSERT_OK(b.Delete("snapshots/a"));
  auto got = b.Get("snapshots/a");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code(), ErrorCode::kNotFound);
  CONF_ASSERT_OK(b.Delete("snapshots/a"));        // deleting a missing key succeeds
  CONF_ASSERT_OK(b.Delete("never/existed/key"));
  auto list = b.List("snapshots/");
  CONF_ASSERT_OK(list);
  EXPECT_EQ(Keys(*list), (std::vector<std::string>{"snapshots/b"}));
}

void LargeObjectRoundTrips(storage::Backend& b, size_t size) {
  Bytes data = Pattern(size, 3);
  CONF_ASSERT_OK(b.Put("data/la/large", data));
  auto st = b.Stat("data/la/large");
  CONF_ASSERT_OK(st);
  EXPECT_EQ(st->size, size);
  auto got = b.Get("data/la/large");
  CONF_ASSERT_OK(got);
  EXPECT_TRUE(*got == data) << "large object differs";
  auto slice = b.Get("data/la/large", size - 5000, 4000);
  CONF_ASSERT_OK(slice);
  EXPECT_TRUE(*slice == Bytes(data.end() - 5000, data.end() - 1000));
}

void ConcurrentPutsAllLand(storage::Backend& b, int threads, int per_thread) {
  std::vector<std::thread> workers;
  std::vector<std::string> errors(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        std::string key = "data/c" + std::to_string(t) + "/obj" + std::to_string(i);
        Bytes data = Pattern(4096 + i, static_cast<uint32_t>(t * 1000 + i));
        auto st = b.Put(key, data);
        if (!st) { errors[t] = st.error().ToString(); return; }
        // The same key written by every thread: the last writer wins, never a torn object.
        auto shared = b.Put("shared/lock", Pattern(50000, static_cast<uint32_t>(t)));
        if (!shared) { errors[t] = shared.error().ToString(); return; }
      }
    });
  }
  for (auto& w : workers) w.join();
  for (int t = 0; t < threads; ++t) EXPECT_TRUE(errors[t].empty()) << "thread " << t << ": " << errors[t];
  auto list = b.List("data/");
  CONF_ASSERT_OK(list);
  EXPECT_EQ(list->size(), static_cast<size_t>(threads * per_thread));
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      std::string key = "data/c" + std::to_string(t) + "/obj" + std::to_string(i);
      auto got = b.Get(key);
      CONF_ASSERT_OK(got);
      EXPECT_TRUE(*got == Pattern(4096 + i, static_cast<uint32_t>(t * 1000 + i))) << key;
    }
  }
  auto shared = b.Get("shared/lock");
  CONF_ASSERT_OK(shared);
  bool matches_one = false;
  for (int t = 0; t < threads; ++t) matches_one |= (*shared == Pattern(50000, static_cast<uint32_t>(t)));
  EXPECT_TRUE(matches_one) << "shared/lock is torn: it matches no writer's bytes";
}

void DescribeIsNotEmpty(storage::Backend& b) { EXPECT_FALSE(b.Describe().empty()); }

}  // namespace

void RunBackendConformance(const BackendFactory& make, const BackendConformanceOptions& options) {
  struct Case {
    const char* name;
    std::function<void(storage::Backend&)> run;
  };
  std::vector<Case> cases = {
      {"PutThenGetReturnsSameBytes", PutThenGetReturnsSameBytes},
      {"EmptyObjectRoundTrips", EmptyObjectRoundTrips},
      {"RangeReadsReturnTheSlice", RangeReadsReturnTheSlice},
      {"MissingKeyIsNotFound", MissingKeyIsNotFound},
      {"PutReplacesExistingObject", PutReplacesExistingObject},
      {"ListIsSortedAndFilteredByPrefix", ListIsSortedAndFilteredByPrefix},
      {"DeleteRemovesAndIsIdempotent", DeleteRemovesAndIsIdempotent},
      {"LargeObjectRoundTrips", [&](storage::Backend& b) { LargeObjectRoundTrips(b, options.large_object_bytes); }},
      {"ConcurrentPutsAllLand",
       [&](storage::Backend& b) { ConcurrentPutsAllLand(b, options.threads, options.objects_per_thread); }},
      {"DescribeIsNotEmpty", DescribeIsNotEmpty},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("backend conformance check ") + c.name);
    std::unique_ptr<storage::Backend> backend = make();
    ASSERT_NE(backend, nullptr) << "backend factory returned null";
    auto existing = backend->List("");
    ASSERT_TRUE(existing.has_value()) << existing.error().ToString();
    ASSERT_TRUE(existing->empty()) << "backend factory must return an empty backend; "
                                   << backend->Describe() << " has " << existing->size() << " objects";
    c.run(*backend);
  }
}

}  // namespace summit::testing
