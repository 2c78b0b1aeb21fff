#include "storage/s3/backend_url.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace summit::storage {
namespace {

S3Credentials Creds() { return {"AKID", SecretString("sekret")}; }

TEST(ParseS3Url, ReadsBucketPrefixAndParameters) {
  auto s = ParseS3Url(
      "s3://summit-backups/prod/eu?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=us-west-2&path_style=true"
      "&tls_verify=false&multipart_threshold_mib=128&part_size_mib=8",
      Creds());
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->bucket, "summit-backups");
  EXPECT_EQ(s->prefix, "prod/eu");
  EXPECT_EQ(s->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(s->region, "us-west-2");
  EXPECT_TRUE(s->path_style);
  EXPECT_FALSE(s->tls_verify);
  EXPECT_EQ(s->multipart_threshold, 128 * s3::kMiB);
  EXPECT_EQ(s->part_size, 8 * s3::kMiB);
  EXPECT_EQ(s->access_key, "AKID");
  EXPECT_EQ(s->secret_key.Reveal(), "sekret");
}

TEST(ParseS3Url, DefaultsToAwsRegionalEndpointWithVirtualHostedAddressing) {
  auto s = ParseS3Url("s3://bucket-one?region=eu-west-1", Creds());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->endpoint, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(s->path_style);
  EXPECT_EQ(s->prefix, "");
  auto unescaped = ParseS3Url("s3://bucket-one/p?endpoint=http://127.0.0.1:9000", Creds());
  ASSERT_TRUE(unescaped);
  EXPECT_EQ(unescaped->endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(unescaped->path_style);
}

TEST(ParseS3Url, RejectsUnknownParametersBadValuesAndMissingBucket) {
  for (const char* bad : {"s3://b-1/p?endpoint=x&colour=red", "s3://b-1?path_style=maybe",
                          "s3://b-1?part_size_mib=abc", "s3:///prefix", "s3://b-1?endpoint=%zz"}) {
    auto s = ParseS3Url(bad, Creds());
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidInput) << bad;
    EXPECT_NE(s.error().message().find("repository url"), std::string::npos) << s.error().ToString();
  }
}

TEST(OpenBackendFromUrl, OpensS3WrappedInRetryAndValidatesSettings) {
  BackendOpenOptions o;
  o.s3 = Creds();
  auto b = OpenBackendFromUrl("s3://bucket-one/p?endpoint=http://127.0.0.1:9&region=us-east-1", o);
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_NE(dynamic_cast<RetryBackend*>(b->get()), nullptr);
  EXPECT_EQ((*b)->Describe(), "s3://bucket-one/p (http://127.0.0.1:9)");
  o.retry = false;
  auto raw = OpenBackendFromUrl("s3://bucket-one/p?endpoint=http://127.0.0.1:9", o);
  ASSERT_TRUE(raw);
  EXPECT_NE(dynamic_cast<s3::S3Backend*>(raw->get()), nullptr);
  auto bad_bucket = OpenBackendFromUrl("s3://Bad_Bucket?endpoint=http://127.0.0.1:9", o);
  ASSERT_FALSE(bad_bucket);
  EXPECT_EQ(bad_bucket.error().code(), ErrorCode::kInvalidInput);
  auto no_creds = OpenBackendFromUrl("s3://bucket-one?endpoint=http://127.0.0.1:9", {});
  ASSERT_FALSE(no_creds);
  EXPECT_EQ(no_creds.error().code(), ErrorCode::kInvalidInput);
  auto small_parts = OpenBackendFromUrl("s3://bucket-one?endpoint=http://127.0.0.1:9&part_size_mib=1", o);
  ASSERT_FALSE(small_parts);
  EXPECT_NE(small_parts.error().message().find("5 MiB"), std::string::npos) << small_parts.error().ToString();
  auto with_path = OpenBackendFromUrl("s3://bucket-one?endpoint=http://127.0.0.1:9/sub", o);
  ASSERT_FALSE(with_path);
  EXPECT_EQ(with_path.error().code(), ErrorCode::kInvalidInput);
  auto bad_endpoint = OpenBackendFromUrl("s3://bucket-one?endpoint=127.0.0.1:9000", o);
  ASSERT_FALSE(bad_endpoint);
  EXPECT_NE(bad_endpoint.error().message().find("http://"), std::string::npos);
}

TEST(OpenBackendFromUrl, OpensLocalDirectoriesInEveryAcceptedSpelling) {
  char tmpl[] = "/tmp/backend-url-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  for (std::string url : {"local:" + dir + "/a", "file://" + dir + "/b", dir + "/c"}) {
    auto b = OpenBackendFromUrl(url);
    ASSERT_TRUE(b) << url << ": " << b.error().ToString();
    ASSERT_TRUE((*b)->Put("k", AsBytes("v")));
    auto got = (*b)->Get("k");
    ASSERT_TRUE(got);
    EXPECT_EQ(AsString(*got), "v");
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/a/k"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/b/k"));
  auto unknown = OpenBackendFromUrl("gs://bucket/x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kInvalidInput);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace summit::storage
