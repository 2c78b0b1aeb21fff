// Unit tests of the RDB parser, DUMP payload helpers, the keys stream and Export, on RDB files
// built by hand here (the integration tests use files written by a real redis-server).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "sources/redis/crc64.h"
#include "sources/redis/key_stream.h"
#include "sources/redis/lzf.h"
#include "sources/redis/rdb_reader.h"
#include "sources/redis/redis_source.h"

namespace summit::sources::redis {
namespace {

std::string Len(uint64_t n) {
  std::string s;
  if (n < 64) {
    s.push_back(static_cast<char>(n));
  } else if (n < 16384) {
    s.push_back(static_cast<char>(0x40 | (n >> 8)));
    s.push_back(static_cast<char>(n & 0xff));
  } else {
    s.push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  return s;
}
std::string Str(std::string_view v) { return Len(v.size()) + std::string(v); }
std::string Le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
std::string Op(uint8_t b) { return std::string(1, static_cast<char>(b)); }

// An RDB with the given body between header and EOF, with a correct checksum.
std::string Rdb(const std::string& body, int version = 10) {
  char h[16];
  std::snprintf(h, sizeof(h), "REDIS%04d", version);
  std::string f = std::string(h) + body + Op(rdb::kOpEof);
  return f + Le(Crc64(0, f), 8);
}

const std::string kLzfValue(300, 'z');

std::string SampleBody() {
  std::string b;
  b += Op(rdb::kOpAux) + Str("redis-ver") + Str("7.0.15");
  b += Op(rdb::kOpAux) + Str("ctime") + Op(0xC2) + Le(1700000000, 4);  // int32-encoded aux value
  b += Op(rdb::kOpSelectDb) + Len(0) + Op(rdb::kOpResizeDb) + Len(4) + Len(1);
  b += Op(rdb::kString) + Str("greeting") + Str("hello");
  b += Op(rdb::kOpExpireTimeMs) + Le(4102444800000ULL, 8) + Op(rdb::kString) + Str("counter") + Op(0xC1) + Le(1234, 2);
  std::string comp = LzfCompress(kLzfValue);
  b += Op(rdb::kString) + Str("big") + Op(0xC3) + Len(comp.size()) + Len(kLzfValue.size()) + comp;
  b += Op(rdb::kOpIdle) + Len(10) + Op(rdb::kSet) + Str("s") + Len(2) + Str("x") + Str("y");
  b += Op(rdb::kOpSelectDb) + Len(2);
  b += Op(rdb::kOpExpireTime) + Le(2000000000, 4) + Op(rdb::kZset2) + Str("z") + Len(1) + Str("m") + Le(0x3FF0000000000000ULL, 8);
  b += Op(rdb::kListQuicklist2) + Str("l") + Len(1) + Len(2) + Str(std::string("\x0a\x00\x00\x00\x01\x00\x81q\x02\xff", 10));
  return b;
}

Result<std::vector<RdbKey>> ParseAll(const std::string& file, std::unique_ptr<RdbReader>* keep = nullptr) {
  StringSource src(file);
  SUMMIT_ASSIGN_OR_RETURN(auto reader, RdbReader::Open(&src));
  std::vector<RdbKey> keys;
  RdbKey k;
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(bool more, reader->Next(&k));
    if (!more) break;
    keys.push_back(k);
  }
  if (keep) *keep = std::move(reader);
  return keys;
}

TEST(RdbReader, YieldsKeysWithDbExpiryAndExactValueBytes) {
  std::string file = Rdb(SampleBody());
  StringSource src(file);
  auto reader = RdbReader::Open(&src);
  ASSERT_TRUE(reader);
  std::vector<RdbKey> keys;
  RdbKey k;
  for (;;) {
    auto more = (*reader)->Next(&k);
    ASSERT_TRUE(more) << more.error().ToString();
    if (!*more) break;
    keys.push_back(k);
  }
  EXPECT_TRUE((*reader)->checksum_verified());
  EXPECT_EQ((*reader)->version(), 10);
  ASSERT_EQ((*reader)->aux().size(), 2u);
  EXPECT_EQ((*reader)->aux()[1].second, "1700000000");
  ASSERT_EQ(keys.size(), 6u);
  EXPECT_EQ(keys[0].key, "greeting");
  EXPECT_EQ(keys[0].value, Op(rdb::kString) + Str("hello"));
  EXPECT_FALSE(keys[0].expire_ms);
  EXPECT_EQ(keys[1].key, "counter");
  EXPECT_EQ(keys[1].expire_ms.value_or(0), 4102444800000LL);
  EXPECT_EQ(*DecodeStringValue(keys[1].value), "1234");
  EXPECT_EQ(*DecodeStringValue(keys[2].value), kLzfValue);
  EXPECT_EQ(keys[3].type, rdb::kSet);
  EXPECT_FALSE(keys[3].expire_ms);  // IDLE does not carry an expiry over
  EXPECT_EQ(keys[4].db, 2);
  EXPECT_EQ(keys[4].expire_ms.value_or(0), 2000000000000LL);
  EXPECT_EQ(keys[5].type, rdb::kListQuicklist2);
  EXPECT_EQ(TypeName(keys[5].type), "list");
  for (const auto& key : keys) EXPECT_TRUE(ValidateValue(key.value)) << key.key;
}

TEST(RdbReader, DetectsChecksumMismatch) {
  std::string file = Rdb(SampleBody());
  file[23] ^= 0x01;  // inside the first aux value: still parses, checksum must catch it
  auto keys = ParseAll(file);
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(keys.error().message().find("checksum"), std::string::npos);
}

TEST(RdbReader, AcceptsZeroChecksumAsDisabled) {
  std::string file = Rdb(SampleBody());
  file.replace(file.size() - 8, 8, std::string(8, '\0'));
  std::unique_ptr<RdbReader> reader;
  ASSERT_TRUE(ParseAll(file, &reader));
  EXPECT_FALSE(reader->checksum_verified());
}

TEST(RdbReader, ModuleValueIsUnsupportedNamingKeyAndOffset) {
  std::string body = Op(rdb::kOpSelectDb) + Len(0) + Op(rdb::kString) + Str("a") + Str("1") + Op(rdb::kModule2) +
                     Str("json:doc") + Len(12345);
  auto keys = ParseAll(Rdb(body));
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(keys.error().message().find("json:doc"), std::string::npos) << keys.error().message();
  EXPECT_NE(keys.error().message().find("at byte 16"), std::string::npos) << keys.error().message();
}

TEST(RdbReader, ModuleAuxAndUnknownTypeAreClearErrors) {
  auto aux = ParseAll(Rdb(Op(rdb::kOpModuleAux) + Len(1)));
  ASSERT_FALSE(aux);
  EXPECT_EQ(aux.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(aux.error().message().find("module aux"), std::string::npos);
  auto unknown = ParseAll(Rdb(Op(rdb::kString) + Str("k") + Str("v") + Op(42) + Str("weird") + Str("x")));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(unknown.error().message().find("weird"), std::string::npos) << unknown.error().message();
  EXPECT_NE(unknown.error().message().find("unknown value type 42"), std::string::npos);
}

TEST(RdbReader, RejectsBadHeaderNewVersionAndTruncation) {
  EXPECT_EQ(ParseAll("NOTREDIS0").error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(ParseAll(Rdb("", 12)).error().code(), ErrorCode::kUnsupported);
  std::string file = Rdb(SampleBody());
  for (size_t cut : {size_t{9}, size_t{30}, file.size() / 2, file.size() - 3}) {
    auto keys = ParseAll(file.substr(0, cut));
    ASSERT_FALSE(keys) << cut;
    EXPECT_EQ(keys.error().code(), ErrorCode::kCorruption) << cut;
  }
}

TEST(RdbReader, ParsesStreamWithConsumerGroups) {
  // A v2 stream (Redis 7.0): one node, length, ids, one group with one pending entry and one
  // consumer owning it.
  std::string id16(16, '\1');
  std::string v = Len(1) + Str(id16) + Str(std::string("\x07\x00\x00\x00\x00\x00\xff", 7)) + Len(1) + Len(5) + Len(0) +
                  Len(5) + Len(0) + Len(0) + Len(0) + Len(1) +  // first, max deleted, added
                  Len(1) + Str("g1") + Len(5) + Len(0) + Len(1) +         // group, last id, entries read
                  Len(1) + id16 + Le(1700000000000ULL, 8) + Len(1) +      // PEL
                  Len(1) + Str("alice") + Le(1700000000000ULL, 8) + Len(1) + id16;  // consumer
  std::string body = Op(rdb::kStreamListpacks2) + Str("events") + v + Op(rdb::kString) + Str("after") + Str("x");
  auto keys = ParseAll(Rdb(body));
  ASSERT_TRUE(keys) << keys.error().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ(keys->at(0).value, Op(rdb::kStreamListpacks2) + v);
  EXPECT_EQ(keys->at(1).key, "after");
}

TEST(DumpPayload, RoundTripsAndDetectsDamage) {
  std::string value = EncodeStringValue("hello");
  std::string payload = MakeDumpPayload(value, 10);
  ASSERT_EQ(payload.size(), value.size() + 10);
  auto parts = SplitDumpPayload(payload);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->value, value);
  EXPECT_EQ(parts->rdb_version, 10);
  payload[1] ^= 1;
  EXPECT_EQ(SplitDumpPayload(payload).error().code(), ErrorCode::kCorruption);
  EXPECT_FALSE(SplitDumpPayload("short"));
}

TEST(CanonicalValue, SortsHashTableSetsAndHashesOnly) {
  std::string s1 = Op(rdb::kSet) + Len(3) + Str("b") + Str("a") + Str("c");
  std::string s2 = Op(rdb::kSet) + Len(3) + Str("c") + Str("b") + Str("a");
  EXPECT_EQ(*CanonicalValue(s1), *CanonicalValue(s2));
  std::string h1 = Op(rdb::kHash) + Len(2) + Str("f1") + Str("v1") + Str("f2") + Str("v2");
  std::string h2 = Op(rdb::kHash) + Len(2) + Str("f2") + Str("v2") + Str("f1") + Str("v1");
  std::string h3 = Op(rdb::kHash) + Len(2) + Str("f2") + Str("v1") + Str("f1") + Str("v2");
  EXPECT_EQ(*CanonicalValue(h1), *CanonicalValue(h2));
  EXPECT_NE(*CanonicalValue(h1), *CanonicalValue(h3));
  std::string l = Op(rdb::kList) + Len(2) + Str("b") + Str("a");
  EXPECT_EQ(*CanonicalValue(l), l);
}

TEST(KeyStream, RoundTripsAndDetectsTruncation) {
  StringSink sink;
  auto w = KeyStreamWriter::Open(&sink);
  ASSERT_TRUE(w);
  KeyRecord a{0, "k1", std::nullopt, MakeDumpPayload(EncodeStringValue("v1"), 10)};
  KeyRecord b{3, std::string("bin\0key", 7), 1700000000123LL, MakeDumpPayload(EncodeStringValue("v2"), 10)};
  ASSERT_TRUE((*w)->Add(a));
  ASSERT_TRUE((*w)->Add(b));
  ASSERT_TRUE((*w)->Finish());
  ASSERT_TRUE(sink.closed());

  StringSource src(sink.data());
  auto r = KeyStreamReader::Open(&src);
  ASSERT_TRUE(r);
  KeyRecord got;
  ASSERT_TRUE(*(*r)->Next(&got));
  EXPECT_EQ(got.key, "k1");
  EXPECT_FALSE(got.expire_ms);
  ASSERT_TRUE(*(*r)->Next(&got));
  EXPECT_EQ(got.db, 3);
  EXPECT_EQ(got.key, b.key);
  EXPECT_EQ(got.expire_ms.value_or(0), 1700000000123LL);
  EXPECT_EQ(got.payload, b.payload);
  EXPECT_FALSE(*(*r)->Next(&got));

  StringSource cut(sink.data().substr(0, sink.data().size() - 9));  // no end record
  auto r2 = KeyStreamReader::Open(&cut);
  ASSERT_TRUE(r2);
  ASSERT_TRUE(*(*r2)->Next(&got));
  ASSERT_TRUE(*(*r2)->Next(&got));
  auto end = (*r2)->Next(&got);
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code(), ErrorCode::kCorruption);
}

class TempDir {
 public:
  TempDir() {
    std::mt19937_64 rng(std::random_device{}());
    path_ = std::filesystem::temp_directory_path() / ("summit-redis-unit-" + std::to_string(rng()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(Export, RebuildsAnRdbFromAKeysCaptureThatParsesBack) {
  TempDir dir;
  DirCaptureWriter cap(dir.path());
  {
    auto sink = cap.OpenStream(kKeysStream);
    ASSERT_TRUE(sink);
    auto w = KeyStreamWriter::Open(sink->get());
    ASSERT_TRUE((*w)->Add({0, "a", std::nullopt, MakeDumpPayload(EncodeStringValue("1"), 10)}));
    ASSERT_TRUE((*w)->Add({0, "b", 4102444800000LL, MakeDumpPayload(EncodeStringValue("2"), 10)}));
    ASSERT_TRUE((*w)->Add({5, "c", std::nullopt,
                           MakeDumpPayload(Op(rdb::kSet) + Len(2) + Str("x") + Str("y"), 10)}));
    ASSERT_TRUE((*w)->Finish());
  }
  ASSERT_TRUE(cap.Finish());
  auto src = DirCaptureReader::Open(dir.path());
  ASSERT_TRUE(src);
  StringSink out;
  auto st = Export(**src, ExportFormat::kRdb, out);
  ASSERT_TRUE(st) << st.error().ToString();
  auto keys = ParseAll(out.data());
  ASSERT_TRUE(keys) << keys.error().ToString();
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ(out.data().substr(0, 9), "REDIS0010");
  EXPECT_EQ(keys->at(1).expire_ms.value_or(0), 4102444800000LL);
  EXPECT_EQ(keys->at(2).db, 5);
  EXPECT_EQ(keys->at(2).value, Op(rdb::kSet) + Len(2) + Str("x") + Str("y"));
}

TEST(Restore, DryRunPlansFromAFullCaptureWithoutAServer) {
  TempDir dir;
  DirCaptureWriter cap(dir.path());
  {
    auto sink = cap.OpenStream(kRdbStream);
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->Write(Rdb(SampleBody())));
    ASSERT_TRUE((*sink)->Close());
  }
  ASSERT_TRUE(cap.Finish());
  auto src = DirCaptureReader::Open(dir.path());
  ASSERT_TRUE(src);
  FakeClock clock(std::chrono::system_clock::time_point(std::chrono::milliseconds(2100000000000LL)));
  RestoreOptions opt;
  opt.dry_run = true;
  opt.clock = &clock;
  opt.filter.exclude = {"gre*"};
  Settings nowhere;
  nowhere.port = 1;  // a dry run must not connect
  auto plan = Restore(nowhere, opt, **src, nullptr);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->skipped_filtered, 1u);  // greeting
  EXPECT_EQ(plan->skipped_expired, 1u);   // z expired at 2000000000 s, before the fake now
  EXPECT_EQ(plan->keys, 4u);
  EXPECT_EQ(plan->keys_per_db.at(0), 3u);
  EXPECT_EQ(plan->keys_per_db.at(2), 1u);
}

}  // namespace
}  // namespace summit::sources::redis
