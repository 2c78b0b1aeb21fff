#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "codec/checksum.h"
#include "codec/chunker.h"
#include "codec/compress.h"

namespace summit::codec {
namespace {

// COPY-text-like rows: what table dumps look like.
std::string TableDump(size_t rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  for (size_t i = 0; i < rows; ++i) {
    out += std::to_string(i) + "\tuser" + std::to_string(rng() % 100000) + "@example.com\t" +
           std::to_string(rng()) + "\t2025-01-" + std::to_string(1 + rng() % 28) + " 12:00:00+00\t{\"k\":" +
           std::to_string(rng() % 1000) + "}\n";
  }
  return out;
}

std::vector<size_t> Boundaries(const Chunker& c, ByteView data) {
  std::vector<size_t> cuts;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = c.Cut(data.subspan(pos));
    pos += n;
    cuts.push_back(pos);
  }
  return cuts;
}

ChunkerParams Small() { return ChunkerParams{2048, 8192, 32768}; }

TEST(Chunker, RejectsInvalidSizes) {
  EXPECT_FALSE(Chunker::Create({8192, 8192, 32768}, 1).has_value());
  EXPECT_FALSE(Chunker::Create({2048, 8000, 32768}, 1).has_value());
  EXPECT_FALSE(Chunker::Create({2048, 8192, 8192}, 1).has_value());
  EXPECT_TRUE(Chunker::Create(Small(), 1).has_value());
}

TEST(Chunker, ChunksRespectMinAndMaxAndCoverTheInput) {
  auto c = Chunker::Create(Small(), 42);
  ASSERT_TRUE(c.has_value());
  std::string dump = TableDump(20000, 1);
  auto cuts = Boundaries(*c, AsBytes(dump));
  size_t prev = 0;
  for (size_t i = 0; i < cuts.size(); ++i) {
    size_t len = cuts[i] - prev;
    EXPECT_LE(len, Small().max_size);
    if (i + 1 < cuts.size()) {
      EXPECT_GE(len, Small().min_size);
    }
    prev = cuts[i];
  }
  EXPECT_EQ(cuts.back(), dump.size());
  double avg = static_cast<double>(dump.size()) / cuts.size();
  EXPECT_GT(avg, Small().avg_size * 0.5);
  EXPECT_LT(avg, Small().avg_size * 2.0);
}

TEST(Chunker, BoundariesStableAfterPrefixInsert) {
  auto c = Chunker::Create(Small(), 42);
  ASSERT_TRUE(c.has_value());
  std::string dump = TableDump(20000, 2);
  std::string changed = "an inserted row that shifts every byte\n" + dump;
  auto a = Boundaries(*c, AsBytes(dump));
  auto b = Boundaries(*c, AsBytes(changed));
  size_t shift = changed.size() - dump.size();
  std::set<size_t> sa(a.begin(), a.end());
  size_t same = 0;
  for (size_t x : b)
    if (x >= shift && sa.count(x - shift)) ++same;
  // All but the first one or two boundaries resynchronise.
  EXPECT_GE(same + 2, a.size());
}

TEST(Chunker, SeedChangesBoundaries) {
  auto c1 = Chunker::Create(Small(), 1);
  auto c2 = Chunker::Create(Small(), 2);
  std::string dump = TableDump(5000, 3);
  EXPECT_NE(Boundaries(*c1, AsBytes(dump)), Boundaries(*c2, AsBytes(dump)));
  EXPECT_EQ(Boundaries(*c1, AsBytes(dump)), Boundaries(*Chunker::Create(Small(), 1), AsBytes(dump)));
}

TEST(Chunker, ShortInputIsOneChunk) {
  auto c = Chunker::Create(Small(), 1);
  std::string s(100, 'a');
  EXPECT_EQ(c->Cut(AsBytes(s)), 100u);
  EXPECT_EQ(c->Cut(ByteView{}), 0u);
}

TEST(Compress, RoundTripsCompressibleData) {
  std::string dump = TableDump(2000, 4);
  Bytes out;
  ASSERT_TRUE(CompressIfSmaller(AsBytes(dump), 3, out));
  EXPECT_LT(out.size(), dump.size() / 2);
  auto back = Decompress(out, dump.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(AsString(*back), dump);
}

TEST(Compress, IncompressibleDataIsFlaggedRaw) {
  Bytes random(100000);
  std::mt19937 rng(5);
  for (auto& b : random) b = static_cast<uint8_t>(rng());
  Bytes out;
  EXPECT_FALSE(CompressIfSmaller(random, 3, out));
  EXPECT_TRUE(out.empty());
}

// Backup compresses into a buffer one byte smaller than the chunk: a frame that does not fit
// means "store raw", one that fits is smaller and decompresses to the input.
TEST(Compress, CompressIntoReportsWhetherTheFrameFits) {
  std::string dump = TableDump(2000, 4);
  Bytes out(dump.size() - 1);
  size_t n = CompressInto(AsBytes(dump), 1, out);
  ASSERT_GT(n, 0u);
  EXPECT_LT(n, dump.size());
  auto back = Decompress(ByteView(out.data(), n), dump.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(AsString(*back), dump);

  Bytes random(100000);
  std::mt19937 rng(6);
  for (auto& b : random) b = static_cast<uint8_t>(rng());
  Bytes small(random.size() - 1);
  EXPECT_EQ(CompressInto(random, 1, small), 0u);
  Bytes tiny(8);
  EXPECT_EQ(CompressInto(AsBytes(dump), 3, tiny), 0u);
}

TEST(Compress, CorruptFrameOrWrongSizeIsCorruption) {
  std::string dump = TableDump(200, 6);
  Bytes out;
  ASSERT_TRUE(CompressIfSmaller(AsBytes(dump), 3, out));
  auto wrong = Decompress(out, dump.size() + 1);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kCorruption);
  out[out.size() / 2] ^= 0xff;
  out[4] ^= 0xff;
  auto bad = Decompress(out, dump.size());
  if (bad.has_value()) {
    EXPECT_NE(AsString(*bad), dump);
  } else {
    EXPECT_EQ(bad.error().code(), ErrorCode::kCorruption);
  }
}

TEST(Compress, LevelValidation) {
  EXPECT_TRUE(ValidateZstdLevel(3).has_value());
  EXPECT_FALSE(ValidateZstdLevel(0).has_value());
  EXPECT_FALSE(ValidateZstdLevel(99).has_value());
}

TEST(Xxh3, StreamingEqualsOneShotAndTheReferenceValue) {
  // XXH3-128 of no bytes, in canonical order (what `xxhsum -H2` prints).
  EXPECT_EQ(Xxh128Hex(Xxh3_128({})), "99aa06d3014798d86001c324468d497f");
  std::string data = TableDump(20000, 5);
  Xxh128 whole = Xxh3_128(AsBytes(data));
  for (size_t piece : {1u, 7u, 4096u, 65537u}) {
    Xxh3Hasher h;
    for (size_t at = 0; at < data.size(); at += piece)
      h.Update(AsBytes(std::string_view(data).substr(at, piece)));
    EXPECT_EQ(h.Digest(), whole) << piece;
  }
  // Every input-size class of XXH3 (<=16, <=128, <=240, stripes, blocks): the hasher (the
  // AVX-512 build on CPUs that have it) agrees with libxxhash's one-shot function.
  for (size_t n : {0u, 1u, 3u, 4u, 8u, 9u, 16u, 17u, 128u, 129u, 240u, 241u, 1023u, 1024u, 1025u, 70000u}) {
    Xxh3Hasher h;
    h.Update(AsBytes(std::string_view(data).substr(0, n)));
    EXPECT_EQ(h.Digest(), Xxh3_128(AsBytes(std::string_view(data).substr(0, n)))) << n;
  }
  std::string other = data;
  other[other.size() / 2] ^= 1;
  EXPECT_NE(Xxh3_128(AsBytes(other)), whole);
}

TEST(Xxh3, HexRoundTripsAndRejectsMalformed) {
  Xxh128 d = Xxh3_128(AsBytes("abc"));
  EXPECT_EQ(ParseXxh128(Xxh128Hex(d)), d);
  for (std::string bad : {std::string(), std::string("zz"), std::string(31, 'a'), std::string(33, 'a'), std::string(30, 'a') + "g0"})
    EXPECT_FALSE(ParseXxh128(bad).has_value()) << bad;
}

}  // namespace
}  // namespace summit::codec
