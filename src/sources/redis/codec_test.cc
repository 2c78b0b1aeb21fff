// Unit tests of the pure codecs: CRC-64 (jones), LZF, listpack, ziplist, intset, globs, URLs.
#include <gtest/gtest.h>

#include <random>

#include "sources/redis/crc64.h"
#include "sources/redis/encodings.h"
#include "sources/redis/lzf.h"
#include "sources/redis/settings.h"

namespace summit::sources::redis {
namespace {

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

uint64_t BitwiseCrc64(std::string_view s) {
  uint64_t crc = 0;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
  }
  return crc;
}

TEST(Crc64, MatchesRedisCheckValue) {
  // The value Redis's own crc64 test expects for "123456789".
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, ""), 0u);
}

TEST(Crc64, SlicedEqualsBitwiseAndIsIncremental) {
  std::mt19937 rng(7);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t len : {1u, 7u, 8u, 9u, 63u, 64u, 999u, 1000u}) {
    std::string_view v(data.data(), len);
    EXPECT_EQ(Crc64(0, v), BitwiseCrc64(v)) << len;
    for (size_t cut : {size_t{0}, len / 3, len}) {
      EXPECT_EQ(Crc64(Crc64(0, v.substr(0, cut)), v.substr(cut)), Crc64(0, v)) << len << "/" << cut;
    }
  }
}

TEST(Lzf, DecodesHandMadeLiteralAndOverlappingBackReference) {
  // literal "abc" (ctrl 2), then a back reference of 6 bytes at distance 3 that overlaps its
  // own output: ctrl = (6-2)<<5 | 0, offset byte = 3-1.
  auto out = LzfDecompress(B({2, 'a', 'b', 'c', 0x80, 2}), 9);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "abcabcabc");
}

TEST(Lzf, DecodesLongBackReference) {
  // ctrl 7<<5 with an extra length byte: 7 + 100 + 2 = 109 copies of 'x'.
  auto out = LzfDecompress(B({0, 'x', 0xE0, 100, 0}), 110);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, std::string(110, 'x'));
}

TEST(Lzf, RejectsMalformedInput) {
  EXPECT_EQ(LzfDecompress(B({0x80, 5}), 8).error().code(), ErrorCode::kCorruption);       // before start
  EXPECT_EQ(LzfDecompress(B({5, 'a', 'b'}), 6).error().code(), ErrorCode::kCorruption);   // short literal
  EXPECT_EQ(LzfDecompress(B({2, 'a', 'b', 'c'}), 2).error().code(), ErrorCode::kCorruption);  // too long
  EXPECT_EQ(LzfDecompress(B({2, 'a', 'b', 'c'}), 4).error().code(), ErrorCode::kCorruption);  // too short
  EXPECT_EQ(LzfDecompress(B({0, 'a', 0xE0}), 20).error().code(), ErrorCode::kCorruption);     // truncated ref
}

TEST(Lzf, CompressRoundTrips) {
  std::mt19937 rng(1);
  for (int round = 0; round < 50; ++round) {
    std::string s;
    int n = rng() % 5000;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + rng() % (round % 5 + 1)));
    auto back = LzfDecompress(LzfCompress(s), s.size());
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(*back, s);
  }
  EXPECT_LT(LzfCompress(std::string(10000, 'z')).size(), 200u);
}

// listpack: total bytes u32, count u16, entries (encoding, data, back length), 0xFF.
std::string Listpack(const std::string& entries, int count) {
  std::string lp;
  uint32_t total = static_cast<uint32_t>(6 + entries.size() + 1);
  for (int i = 0; i < 4; ++i) lp.push_back(static_cast<char>((total >> (8 * i)) & 0xff));
  lp.push_back(static_cast<char>(count & 0xff));
  lp.push_back(static_cast<char>(count >> 8));
  return lp + entries + B({0xFF});
}

TEST(Listpack, DecodesEveryEntryEncoding) {
  std::string e;
  e += B({0x05, 1});                      // 7-bit uint 5
  e += B({0x82, 'h', 'i', 3});            // 6-bit string "hi"
  e += B({0xDF, 0xFF, 2});                // 13-bit int -1
  std::string s100(100, 'q');
  e += B({0xE0, 100}) + s100 + B({102});  // 12-bit string of 100
  e += B({0xF1, 0x18, 0xFC, 3});          // int16 -1000
  e += B({0xF2, 0x40, 0x42, 0x0F, 4});    // int24 1000000
  e += B({0xF3, 0x00, 0x00, 0x00, 0x80, 5});  // int32 INT32_MIN
  e += B({0xF4, 1, 0, 0, 0, 0, 0, 0, 0, 9});  // int64 1
  auto out = DecodeListpack(Listpack(e, 8));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, (std::vector<std::string>{"5", "hi", "-1", s100, "-1000", "1000000", "-2147483648", "1"}));
}

TEST(Listpack, DecodesTwoByteBackLengthOfLongString) {
  std::string s200(200, 'w');  // entry of 202 bytes: back length needs two bytes
  // backlen 202 = 0b1_1001010: stored as [0x01, 0x80|0x4A] (high part first, low 7 bits last).
  std::string e = B({0xE0, 200}) + s200 + B({0x01, 0xCA});
  auto out = DecodeListpack(Listpack(e, 1));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->at(0), s200);
}

TEST(Listpack, RejectsCorruption) {
  std::string good = Listpack(B({0x82, 'h', 'i', 3}), 1);
  EXPECT_TRUE(DecodeListpack(good));
  std::string bad_total = good;
  bad_total[0] = 50;
  EXPECT_EQ(DecodeListpack(bad_total).error().code(), ErrorCode::kCorruption);
  EXPECT_FALSE(DecodeListpack(Listpack(B({0x82, 'h', 'i', 4}), 1)));   // wrong back length
  EXPECT_FALSE(DecodeListpack(Listpack(B({0x82, 'h', 'i', 3}), 2)));   // wrong count
  EXPECT_FALSE(DecodeListpack(Listpack(B({0xBF, 'h'}), 1)));           // string past the end
  EXPECT_FALSE(DecodeListpack(Listpack(B({0xF9}), 1)));                // unknown encoding
  EXPECT_FALSE(DecodeListpack(good.substr(0, 4)));
}

// ziplist: zlbytes u32, zltail u32, zllen u16, entries (prevlen, encoding, data), 0xFF.
std::string Ziplist(const std::string& entries, int count) {
  std::string z;
  uint32_t total = static_cast<uint32_t>(10 + entries.size() + 1);
  for (int i = 0; i < 4; ++i) z.push_back(static_cast<char>((total >> (8 * i)) & 0xff));
  z += B({0, 0, 0, 0});  // tail offset: not used by the decoder
  z.push_back(static_cast<char>(count));
  z.push_back(0);
  return z + entries + B({0xFF});
}

TEST(Ziplist, DecodesStringsAndIntegers) {
  std::string e;
  e += B({0, 0x03, 'a', 'b', 'c'});    // prevlen 0, 6-bit string "abc" (entry: 5 bytes)
  e += B({5, 0xFE, 0xF6});             // int8 -10 (3 bytes)
  e += B({3, 0xF1 + 7});               // immediate 7 (2 bytes)
  e += B({2, 0xC0, 0x39, 0x30});       // int16 12345 (4 bytes)
  e += B({4, 0xF0, 0xFF, 0xFF, 0xFF}); // int24 -1 (5 bytes)
  std::string s70(70, 'k');
  e += B({5, 0x40, 70}) + s70;         // 14-bit string
  auto out = DecodeZiplist(Ziplist(e, 6));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, (std::vector<std::string>{"abc", "-10", "7", "12345", "-1", s70}));
}

TEST(Ziplist, RejectsWrongPrevLength) {
  std::string e = B({0, 0x01, 'a', 9, 0x01, 'b'});  // second prevlen should be 3
  EXPECT_EQ(DecodeZiplist(Ziplist(e, 2)).error().code(), ErrorCode::kCorruption);
}

TEST(Intset, DecodesEachWidthAndRejectsDisorder) {
  auto out = DecodeIntset(B({2, 0, 0, 0, 3, 0, 0, 0, 0xFF, 0xFF, 1, 0, 2, 0}));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, (std::vector<std::string>{"-1", "1", "2"}));
  auto wide = DecodeIntset(B({8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}));
  ASSERT_TRUE(wide);
  EXPECT_EQ(wide->at(0), "-9223372036854775808");
  EXPECT_FALSE(DecodeIntset(B({2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0})));  // descending
  EXPECT_FALSE(DecodeIntset(B({3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0})));     // bad width
  EXPECT_FALSE(DecodeIntset(B({2, 0, 0, 0, 5, 0, 0, 0, 1, 0})));        // short
}

TEST(Settings, ParsesUrlForms) {
  auto s = ParseUrl("redis://alice:p%40ss@cache.local:6380/3");
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->host, "cache.local");
  EXPECT_EQ(s->port, 6380);
  EXPECT_EQ(s->db, 3);
  EXPECT_EQ(s->username, "alice");
  EXPECT_EQ(s->password.Reveal(), "p@ss");
  EXPECT_EQ(s->ToString(), "redis://alice:***@cache.local:6380/3");

  auto p = ParseUrl("redis://:secret@127.0.0.1:7000/0");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->username.empty());
  EXPECT_EQ(p->password.Reveal(), "secret");

  auto d = ParseUrl("redis://localhost");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
  EXPECT_TRUE(d->password.empty());

  auto v6 = ParseUrl("redis://[::1]:6390/1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 6390);
}

TEST(Settings, RejectsBadUrlsWithoutEchoingThePassword) {
  EXPECT_EQ(ParseUrl("http://x:1/0").error().code(), ErrorCode::kInvalidInput);
  EXPECT_FALSE(ParseUrl("redis://host:99999/0"));
  EXPECT_FALSE(ParseUrl("redis://host:12/x"));
  auto bad = ParseUrl("redis://u:topsecret@host:notaport/0");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().ToString().find("topsecret"), std::string::npos);
}

TEST(Glob, FollowsRedisRules) {
  EXPECT_TRUE(GlobMatch("session:*", "session:1234"));
  EXPECT_FALSE(GlobMatch("session:*", "sessions:1"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("cache:*:entity:*", "cache:customer-acme:entity:42"));
  EXPECT_FALSE(GlobMatch("cache:*:entity:*", "cache:customer-acme:user:42"));
  EXPECT_TRUE(GlobMatch("h?llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-c]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("*a*a*a*", "banana-a"));
  EXPECT_FALSE(GlobMatch("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

}  // namespace
}  // namespace summit::sources::redis
