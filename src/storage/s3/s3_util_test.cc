#include "storage/s3/s3_util.h"

#include <gtest/gtest.h>

namespace summit::storage::s3 {
namespace {

TEST(S3UriEncode, KeepsUnreservedAndSlashEncodesTheRest) {
  EXPECT_EQ(UriEncode("data/3f/ab-c_d.e~f", true), "data/3f/ab-c_d.e~f");
  EXPECT_EQ(UriEncode("a b+c/d", true), "a%20b%2Bc/d");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("\xc3\xa9", true), "%C3%A9");
}

TEST(S3CanonicalQuery, SortsKeysAndAlwaysWritesEquals) {
  std::map<std::string, std::string> q{{"uploads", ""}, {"prefix", "a b/"}, {"list-type", "2"}};
  EXPECT_EQ(CanonicalQuery(q), "list-type=2&prefix=a%20b%2F&uploads=");
}

TEST(S3XmlUnescape, DecodesPredefinedAndNumericEntities) {
  EXPECT_EQ(XmlUnescape("a&amp;b&lt;c&gt;d&quot;e&apos;f"), "a&b<c>d\"e'f");
  EXPECT_EQ(XmlUnescape("&#65;&#x42;&#xe9;"), "AB\xc3\xa9");
  EXPECT_EQ(XmlUnescape("&unknown; & alone"), "&unknown; & alone");
  EXPECT_EQ(XmlUnescape("&#xZZ;"), "&#xZZ;");
}

TEST(S3XmlElements, MatchesExactTagNamesOnly) {
  std::string xml =
      "<R><KeyCount>2</KeyCount><Contents><Key>a&amp;b</Key><Size>3</Size></Contents>"
      "<Contents><Key>c</Key><Size>10</Size></Contents><Empty/><IsTruncated>false</IsTruncated></R>";
  auto contents = XmlElements(xml, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(XmlText(contents[0], "Key"), "a&b");
  EXPECT_EQ(XmlText(contents[1], "Size"), "10");
  EXPECT_EQ(XmlText(xml, "KeyCount"), "2");
  EXPECT_EQ(XmlText(xml, "Key"), "a&b");
  EXPECT_EQ(XmlText(xml, "Empty"), "");
  EXPECT_FALSE(XmlText(xml, "Missing").has_value());
}

TEST(S3ObjectUrl, BuildsPathStyleAndVirtualHostedUrls) {
  EXPECT_EQ(ObjectUrl("http", "127.0.0.1:9000", "bkt", "p/data/a b", "", true),
            "http://127.0.0.1:9000/bkt/p/data/a%20b");
  EXPECT_EQ(ObjectUrl("https", "s3.us-west-2.amazonaws.com", "bkt", "p/k", "partNumber=1&uploadId=x", false),
            "https://bkt.s3.us-west-2.amazonaws.com/p/k?partNumber=1&uploadId=x");
  EXPECT_EQ(ObjectUrl("http", "h:1", "bkt", "", "list-type=2", true), "http://h:1/bkt?list-type=2");
  EXPECT_EQ(ObjectUrl("http", "h:1", "bkt", "", "list-type=2", false), "http://bkt.h:1/?list-type=2");
}

TEST(S3ValidateKey, RejectsKeysCurlOrS3WouldNotRoundTrip) {
  EXPECT_TRUE(ValidateS3Key("data/ab/abcdef"));
  EXPECT_TRUE(ValidateS3Key("odd/a b&c"));
  for (std::string_view bad : {"", "/lead", "a//b", "a/./b", "a/../b", "trail/", ".."}) {
    auto st = ValidateS3Key(bad);
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().code(), ErrorCode::kInvalidInput);
  }
  EXPECT_FALSE(ValidateS3Key(std::string_view("a\0b", 3)));
}

TEST(S3Digests, MatchKnownVectors) {
  EXPECT_EQ(Md5Base64(AsBytes("")), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(Sha256Hex(AsBytes("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(S3ClassifyError, MapsStatusAndCodeToErrorClasses) {
  auto body = [](const char* code) { return std::string("<Error><Code>") + code + "</Code></Error>"; };
  EXPECT_EQ(ClassifyS3Error(503, body("SlowDown"), "put", "s3://b/k").code(), ErrorCode::kTransient);
  EXPECT_EQ(ClassifyS3Error(500, "", "put", "s3://b/k").code(), ErrorCode::kTransient);
  EXPECT_EQ(ClassifyS3Error(429, "", "get", "s3://b/k").code(), ErrorCode::kTransient);
  EXPECT_EQ(ClassifyS3Error(400, body("RequestTimeout"), "put", "s3://b/k").code(), ErrorCode::kTransient);
  Error denied = ClassifyS3Error(403, body("InvalidAccessKeyId"), "get", "s3://b/k");
  EXPECT_EQ(denied.code(), ErrorCode::kPermission);
  EXPECT_NE(denied.hint().find("access key"), std::string::npos);
  EXPECT_NE(denied.message().find("s3://b/k"), std::string::npos);
  EXPECT_EQ(ClassifyS3Error(404, body("NoSuchKey"), "get", "s3://b/k").code(), ErrorCode::kNotFound);
  Error bucket = ClassifyS3Error(404, body("NoSuchBucket"), "get", "s3://b/k");
  EXPECT_EQ(bucket.code(), ErrorCode::kNotFound);
  EXPECT_NE(bucket.hint().find("bucket"), std::string::npos);
  EXPECT_EQ(ClassifyS3Error(400, body("BadDigest"), "put", "s3://b/k").code(), ErrorCode::kCorruption);
  EXPECT_EQ(ClassifyS3Error(400, body("AuthorizationHeaderMalformed"), "put", "s3://b/k").code(),
            ErrorCode::kPermission);
  EXPECT_EQ(ClassifyS3Error(507, body("XMinioStorageFull"), "put", "s3://b/k").code(), ErrorCode::kNoSpace);
}

}  // namespace
}  // namespace summit::storage::s3
