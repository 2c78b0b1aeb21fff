// The S3 backend against the harness's two MinIO servers (primary and DR): the Backend
// contract (put/get/range/stat/list with pagination/delete/missing keys), multipart uploads
// with integrity and abort, and the error classes an operator sees for a wrong endpoint,
// wrong credentials and a missing bucket.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "core/log.h"
#include "harness_env.h"
#include "storage/retry.h"
#include "storage/s3/backend_url.h"
#include "storage/s3/s3_backend.h"
#include "storage/s3/s3_util.h"
#include "testing/backend_conformance.h"
#include "testing/flaky_backend.h"

namespace summit::storage::s3 {
namespace {

using testing::Env;

std::string RandomSuffix() {
  std::random_device rd;
  std::mt19937_64 g(rd());
  return std::to_string(g() % 1000000000ULL);
}

S3Settings SettingsFor(const std::string& which, const std::string& prefix) {
  S3Settings s;
  s.endpoint = Env(("S3_" + which + "_ENDPOINT").c_str());
  s.region = Env(("S3_" + which + "_REGION").c_str());
  s.bucket = Env(("S3_" + which + "_BUCKET").c_str());
  s.access_key = Env(("S3_" + which + "_ACCESS_KEY").c_str());
  s.secret_key = SecretString(Env(("S3_" + which + "_SECRET_KEY").c_str()));
  s.prefix = prefix;
  return s;
}

Bytes RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  Bytes b(n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = g();
    for (size_t j = 0; j < 8 && i + j < n; ++j) b[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return b;
}

class S3BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    SUMMIT_REQUIRE_SERVICE("s3");
    prefix_ = "it-s3-" + RandomSuffix();
    auto b = S3Backend::Open(SettingsFor(GetParam(), prefix_));
    ASSERT_TRUE(b) << b.error().ToString();
    backend_ = std::move(*b);
  }
  void TearDown() override {
    if (!backend_) return;
    auto all = backend_->List("");
    if (all) {
      for (const auto& o : *all) (void)backend_->Delete(o.key);
    }
  }
  std::string prefix_;
  std::unique_ptr<S3Backend> backend_;
};

TEST_P(S3BackendTest, PutThenGetReturnsTheSameBytesAndStatTheSize) {
  ASSERT_TRUE(backend_->CheckBucket());
  Bytes data = RandomBytes(100000, 1);
  ASSERT_TRUE(backend_->Put("data/ab/object", data));
  auto got = backend_->Get("data/ab/object");
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(*got, data);
  auto info = backend_->Stat("data/ab/object");
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->key, "data/ab/object");
}

TEST_P(S3BackendTest, KeysWithSpecialCharactersRoundTripThroughPutListAndGet) {
  const std::string key = "odd/a b&c+d=e%f\xc3\xa9<g>'h\"";
  ASSERT_TRUE(backend_->Put(key, AsBytes("x")));
  auto list = backend_->List("odd/");
  ASSERT_TRUE(list) << list.error().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, key);
  auto got = backend_->Get(key);
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(AsString(*got), "x");
}

TEST_P(S3BackendTest, PutReplacesAnExistingObject) {
  ASSERT_TRUE(backend_->Put("locks/x", AsBytes("first")));
  ASSERT_TRUE(backend_->Put("locks/x", AsBytes("second!")));
  auto got = backend_->Get("locks/x");
  ASSERT_TRUE(got);
  EXPECT_EQ(AsString(*got), "second!");
}

TEST_P(S3BackendTest, RangeReadsReturnTheRequestedSliceAndClampAtTheEnd) {
  Bytes data = RandomBytes(5000, 2);
  ASSERT_TRUE(backend_->Put("r", data));
  auto mid = backend_->Get("r", 100, 50);
  ASSERT_TRUE(mid) << mid.error().ToString();
  EXPECT_EQ(*mid, Bytes(data.begin() + 100, data.begin() + 150));
  auto tail = backend_->Get("r", 4990);
  ASSERT_TRUE(tail);
  EXPECT_EQ(*tail, Bytes(data.begin() + 4990, data.end()));
  auto over = backend_->Get("r", 4990, 100);
  ASSERT_TRUE(over);
  EXPECT_EQ(over->size(), 10u);
  auto past = backend_->Get("r", 6000, 10);
  ASSERT_TRUE(past) << past.error().ToString();
  EXPECT_TRUE(past->empty());
  auto none = backend_->Get("r", 10, 0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(S3BackendTest, MissingKeysAreNotFoundAndDeletingThemSucceeds) {
  auto g = backend_->Get("nope");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(g.error().message().find("nope"), std::string::npos);
  auto r = backend_->Get("nope", 5, 5);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  auto s = backend_->Stat("nope");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(backend_->Delete("nope"));
}

TEST_P(S3BackendTest, DeleteRemovesTheObject) {
  ASSERT_TRUE(backend_->Put("d", AsBytes("1")));
  ASSERT_TRUE(backend_->Delete("d"));
  auto s = backend_->Stat("d");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kNotFound);
}

TEST_P(S3BackendTest, ListPaginatesPastAThousandKeysSortedAndFilteredByPrefix) {
  constexpr int kKeys = 1105;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      for (int i = w; i < kKeys; i += 8) {
        char key[32];
        std::snprintf(key, sizeof key, "many/%05d", i);
        if (!backend_->Put(key, AsBytes(std::to_string(i)))) ++failures;
      }
    });
  }
  for (auto& t : workers) t.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(backend_->Put("other/zzz", AsBytes("x")));
  auto list = backend_->List("many/");
  ASSERT_TRUE(list) << list.error().ToString();
  ASSERT_EQ(list->size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "many/%05d", i);
    ASSERT_EQ((*list)[i].key, key);
    ASSERT_EQ((*list)[i].size, std::to_string(i).size());
  }
  auto all = backend_->List("");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<size_t>(kKeys + 1));
}

TEST_P(S3BackendTest, LargeObjectsUploadInPartsAndReadBackBitExact) {
  S3Settings s = SettingsFor(GetParam(), prefix_);
  s.multipart_threshold = 6 * kMiB;
  s.part_size = 5 * kMiB;
  auto b = S3Backend::Open(s);
  ASSERT_TRUE(b);
  Bytes data = RandomBytes(23 * kMiB + 12345, 3);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE((*b)->Put("big/object", data));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "multipart upload: " << data.size() / secs / kMiB << " MiB/s\n";
  auto info = (*b)->Stat("big/object");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  auto got = (*b)->Get("big/object");
  ASSERT_TRUE(got);
  EXPECT_EQ(Sha256Hex(*got), Sha256Hex(data));
  auto uploads = (*b)->ListMultipartUploads("big/object");
  ASSERT_TRUE(uploads) << uploads.error().ToString();
  EXPECT_TRUE(uploads->empty());
}

TEST_P(S3BackendTest, AnUnfinishedMultipartUploadIsAbortedWhenDestroyed) {
  std::string id;
  {
    auto up = backend_->BeginMultipart("abandoned");
    ASSERT_TRUE(up) << up.error().ToString();
    id = (*up)->upload_id();
    ASSERT_TRUE((*up)->UploadPart(RandomBytes(5 * kMiB, 4)));
    auto pending = backend_->ListMultipartUploads("abandoned");
    ASSERT_TRUE(pending);
    EXPECT_NE(std::find(pending->begin(), pending->end(), id), pending->end());
  }
  auto after = backend_->ListMultipartUploads("abandoned");
  ASSERT_TRUE(after);
  EXPECT_EQ(std::find(after->begin(), after->end(), id), after->end());
  auto s = backend_->Stat("abandoned");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kNotFound);
}

TEST_P(S3BackendTest, AFailedCompleteLeavesNoObjectAndTheUploadIsAborted) {
  std::string id;
  {
    auto up = backend_->BeginMultipart("too-small");
    ASSERT_TRUE(up);
    id = (*up)->upload_id();
    // Two 1 MiB parts: S3 refuses to complete (every part but the last must be >= 5 MiB).
    ASSERT_TRUE((*up)->UploadPart(RandomBytes(kMiB, 5)));
    ASSERT_TRUE((*up)->UploadPart(RandomBytes(kMiB, 6)));
    auto st = (*up)->Complete();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message().find("too-small"), std::string::npos) << st.error().ToString();
  }
  auto after = backend_->ListMultipartUploads("too-small");
  ASSERT_TRUE(after);
  EXPECT_EQ(std::find(after->begin(), after->end(), id), after->end());
  EXPECT_FALSE(backend_->Stat("too-small"));
}

TEST_P(S3BackendTest, PartsUploadedInParallelAssembleInOrder) {
  S3Settings s = SettingsFor(GetParam(), prefix_);
  s.multipart_threshold = 5 * kMiB;
  s.part_size = 5 * kMiB;
  s.upload_concurrency = 4;
  auto b = S3Backend::Open(s);
  ASSERT_TRUE(b);
  Bytes data = RandomBytes(41 * kMiB + 7, 8);  // 9 parts, the last short
  ASSERT_TRUE((*b)->Put("parallel", data));
  auto got = (*b)->Get("parallel");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size(), data.size());
  EXPECT_EQ(Sha256Hex(*got), Sha256Hex(data));
  auto tail = (*b)->Get("parallel", 40 * kMiB, 2 * kMiB);
  ASSERT_TRUE(tail);
  EXPECT_EQ(*tail, Bytes(data.begin() + 40 * kMiB, data.end()));
}

TEST_P(S3BackendTest, WrongCredentialsArePermissionErrorsWithAHint) {
  S3Settings s = SettingsFor(GetParam(), prefix_);
  s.secret_key = SecretString("definitely-wrong-secret");
  auto b = S3Backend::Open(s);
  ASSERT_TRUE(b);
  auto st = (*b)->Put("x", AsBytes("x"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kPermission) << st.error().ToString();
  EXPECT_FALSE(st.error().hint().empty());
  EXPECT_EQ(st.error().ToString().find("definitely-wrong-secret"), std::string::npos);
  auto g = (*b)->Get("x");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code(), ErrorCode::kPermission);
}

TEST_P(S3BackendTest, AMissingBucketIsNotFoundWithAHintToCreateIt) {
  S3Settings s = SettingsFor(GetParam(), prefix_);
  s.bucket = "no-such-bucket-" + RandomSuffix();
  auto b = S3Backend::Open(s);
  ASSERT_TRUE(b);
  auto st = (*b)->Put("x", AsBytes("x"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kNotFound) << st.error().ToString();
  EXPECT_NE(st.error().hint().find("create the bucket"), std::string::npos);
  auto chk = (*b)->CheckBucket();
  ASSERT_FALSE(chk);
  EXPECT_EQ(chk.error().code(), ErrorCode::kNotFound);
}

TEST_P(S3BackendTest, PassesTheBackendConformanceSuiteWithMultipart) {
  // Every check gets a fresh, empty prefix; a 6 MiB threshold sends the suite's 20 MiB object
  // through multipart.
  std::vector<std::string> prefixes;
  summit::testing::BackendConformanceOptions options;
  options.large_object_bytes = 20u << 20;
  summit::testing::RunBackendConformance(
      [&]() -> std::unique_ptr<Backend> {
        prefixes.push_back(prefix_ + "/conf-" + std::to_string(prefixes.size()));
        S3Settings s = SettingsFor(GetParam(), prefixes.back());
        s.multipart_threshold = 6 * kMiB;
        s.part_size = 5 * kMiB;
        auto b = S3Backend::Open(s);
        EXPECT_TRUE(b);
        return std::move(*b);
      },
      options);
  // TearDown lists the whole test prefix, which includes these.
}

TEST_P(S3BackendTest, RetriesSurviveInjectedTransientErrors) {
  summit::log::SetLevel(summit::log::Level::kError);
  summit::testing::FlakyBackend flaky(backend_.get());
  flaky.FailFraction(0.3, 77);
  struct NotOwning final : Backend {
    explicit NotOwning(Backend* b) : b(b) {}
    Status Put(std::string_view k, ByteView d) override { return b->Put(k, d); }
    Result<Bytes> Get(std::string_view k, uint64_t o, uint64_t l) override { return b->Get(k, o, l); }
    Result<ObjectInfo> Stat(std::string_view k) override { return b->Stat(k); }
    Result<std::vector<ObjectInfo>> List(std::string_view p) override { return b->List(p); }
    Status Delete(std::string_view k) override { return b->Delete(k); }
    std::string Describe() const override { return b->Describe(); }
    Backend* b;
  };
  RetryPolicy policy;
  policy.initial_backoff = std::chrono::milliseconds(5);
  policy.max_backoff = std::chrono::milliseconds(50);
  policy.max_attempts = 15;
  RetryBackend retry(std::make_unique<NotOwning>(&flaky), policy);
  for (int i = 0; i < 60; ++i) {
    std::string key = "retry/" + std::to_string(i);
    Bytes data = RandomBytes(1000 + i, 100 + i);
    ASSERT_TRUE(retry.Put(key, data));
    auto got = retry.Get(key);
    ASSERT_TRUE(got) << got.error().ToString();
    ASSERT_EQ(*got, data);
  }
  auto list = retry.List("retry/");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 60u);
  EXPECT_GT(flaky.injected_failures(), 20u);
  EXPECT_EQ(retry.retries(), flaky.injected_failures());
}

TEST_P(S3BackendTest, OpenBackendFromUrlReachesTheServer) {
  const std::string w = GetParam();
  BackendOpenOptions o;
  o.s3 = {Env(("S3_" + w + "_ACCESS_KEY").c_str()), SecretString(Env(("S3_" + w + "_SECRET_KEY").c_str()))};
  std::string url = "s3://" + Env(("S3_" + w + "_BUCKET").c_str()) + "/" + prefix_ + "/url?endpoint=" +
                    Env(("S3_" + w + "_ENDPOINT").c_str()) + "&region=" + Env(("S3_" + w + "_REGION").c_str());
  auto b = OpenBackendFromUrl(url, o);
  ASSERT_TRUE(b) << b.error().ToString();
  ASSERT_TRUE((*b)->Put("k", AsBytes("via url")));
  auto got = backend_->Get("url/k");
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(AsString(*got), "via url");
}

INSTANTIATE_TEST_SUITE_P(Servers, S3BackendTest, ::testing::Values("PRIMARY", "DR"));

TEST(S3BackendUnreachable, ARefusedEndpointIsUnavailableQuicklyWithAHint) {
  SUMMIT_REQUIRE_SERVICE("s3");
  S3Settings s = SettingsFor("PRIMARY", "x");
  s.endpoint = "http://127.0.0.1:1";
  auto b = S3Backend::Open(s);
  ASSERT_TRUE(b);
  auto t0 = std::chrono::steady_clock::now();
  auto g = (*b)->Get("k");
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code(), ErrorCode::kUnavailable) << g.error().ToString();
  EXPECT_NE(g.error().hint().find("127.0.0.1:1"), std::string::npos);
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(S3BackendUnreachable, AServerThatNeverAnswersTimesOutAsTransient) {
  SUMMIT_REQUIRE_SERVICE("s3");
  // A socket that listens but never accepts: the kernel completes the TCP handshake, then
  // nothing is ever sent back.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  S3Settings s = SettingsFor("PRIMARY", "x");
  s.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  s.stall_timeout = std::chrono::seconds(1);
  auto b = S3Backend::Open(s);
  ASSERT_TRUE(b);
  auto t0 = std::chrono::steady_clock::now();
  auto g = (*b)->Get("k");
  auto elapsed = std::chrono::steady_clock::now() - t0;
  close(fd);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code(), ErrorCode::kTransient) << g.error().ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

}  // namespace
}  // namespace summit::storage::s3
