#include "repo/repository.h"

#include <gtest/gtest.h>

#include <thread>

#include "repo/repo_test_util.h"
#include "repo/snapshot.h"
#include "storage/memory/memory_backend.h"
#include "testing/faulty_backend.h"

namespace summit::repo {
namespace {

using testutil::SmallRepo;
using testutil::TableDump;
using testutil::TestClock;

std::unique_ptr<Repository> MustInit(storage::Backend& b, const char* pw = "secret") {
  auto r = Repository::Init(b, SecretString(pw), SmallRepo(), TestClock());
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return std::move(*r);
}

StreamSummary MustWrite(Repository& repo, const std::string& data, size_t piece = 10000) {
  auto w = repo.NewStream();
  for (size_t i = 0; i < data.size(); i += piece)
    EXPECT_TRUE(w->Write(AsBytes(std::string_view(data).substr(i, piece))).has_value());
  auto st = w->Close();
  EXPECT_TRUE(st.has_value()) << st.error().ToString();
  return w->summary();
}

std::string MustRead(Repository& repo, const StreamSummary& s) {
  auto src = repo.OpenStream(s.chunks, s.sha256);
  auto all = src->ReadAll();
  EXPECT_TRUE(all.has_value()) << all.error().ToString();
  return all.value_or("");
}

TEST(Repository, StreamRoundTripsBitExactlyAcrossManyPacks) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  std::string data = TableDump(30000, 1);  // ~2.5 MB: many chunks, ~10 packs
  StreamSummary s = MustWrite(*repo, data);
  ASSERT_TRUE(repo->Flush().has_value());
  EXPECT_EQ(s.size, data.size());
  EXPECT_EQ(s.sha256, crypto::Sha256(AsBytes(data)));
  EXPECT_GT(s.chunks.size(), 20u);
  EXPECT_LT(s.stored_size, data.size() / 2) << "table dumps compress";
  auto packs = b.List("data/");
  ASSERT_TRUE(packs.has_value());
  EXPECT_GT(packs->size(), 2u);
  EXPECT_EQ(MustRead(*repo, s), data);

  // A fresh Open reads the index from the backend and restores the same bytes.
  auto reopened = Repository::Open(b, SecretString("secret"), {.workers = 2});
  ASSERT_TRUE(reopened.has_value()) << reopened.error().ToString();
  EXPECT_EQ(MustRead(**reopened, s), data);
}

// Stream reads decode runs of chunks into reused buffers, bounded by plaintext size: a very
// compressible stream (many chunks per run, runs cut at the plaintext bound) and a table dump,
// read in odd-sized pieces with and without a recorded digest, come back bit-exact; a wrong
// digest fails the final read.
TEST(Repository, StreamReadsRunsOfEveryShapeBitExactly) {
  storage::MemoryBackend b;
  InitOptions o = SmallRepo();
  o.pack_size = 8u << 20;  // long runs: up to the reader's plaintext bound per job
  auto r = Repository::Init(b, SecretString("secret"), o, TestClock());
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto& repo = **r;
  std::string data(12u << 20, 'a');
  for (size_t i = 0; i < data.size(); i += 4099) data[i] = static_cast<char>('b' + i % 7);
  data += TableDump(20000, 3);
  StreamSummary s = MustWrite(repo, data, 1u << 20);
  ASSERT_TRUE(repo.Flush().has_value());
  for (bool with_digest : {true, false}) {
    auto src = with_digest ? repo.OpenStream(s.chunks, s.sha256) : repo.OpenStream(s.chunks);
    std::string got;
    std::vector<uint8_t> buf(7777);
    for (;;) {
      auto n = src->Read(buf);
      ASSERT_TRUE(n.has_value()) << n.error().ToString();
      if (*n == 0) break;
      got.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data) << "with_digest=" << with_digest;
  }
  crypto::Digest wrong = s.sha256;
  wrong[0] ^= 1;
  auto all = repo.OpenStream(s.chunks, wrong)->ReadAll();
  ASSERT_FALSE(all.has_value());
  EXPECT_EQ(all.error().code(), ErrorCode::kCorruption);
}

// A second backup of slightly changed data: its chunks alternate between the first backup's
// packs (with gaps where chunks were replaced) and its own, and some repeat. Every job of the
// reader then spans several packs and ranges; the bytes must come back exactly, with every
// kind of check.
TEST(Repository, StreamReadsChunksAlternatingBetweenThePacksOfTwoBackups) {
  storage::MemoryBackend b;
  InitOptions o = SmallRepo();
  o.pack_size = 1u << 20;
  auto r = Repository::Init(b, SecretString("secret"), o, TestClock());
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto& repo = **r;
  std::string day1 = TableDump(60000, 9);
  MustWrite(repo, day1);
  ASSERT_TRUE(repo.Flush().has_value());
  std::string day2 = day1;
  for (size_t i = 1000; i < day2.size(); i += 23456) day2[i] = '#';
  day2 += day2.substr(0, 200000) + day2.substr(0, 200000);
  StreamSummary s = MustWrite(repo, day2);
  ASSERT_TRUE(repo.Flush().has_value());
  size_t switches = 0;
  for (size_t i = 1; i < s.chunks.size(); ++i) switches += repo.Find(s.chunks[i])->pack != repo.Find(s.chunks[i - 1])->pack;
  EXPECT_GT(switches, 20u) << "the test needs chunks alternating between packs";
  std::vector<StreamCheck> checks = {StreamCheck{s.sha256, std::nullopt}, StreamCheck{std::nullopt, s.xxh3_128},
                                     StreamCheck{}};
  for (const auto& check : checks) {
    auto all = repo.OpenStream(s.chunks, check)->ReadAll();
    ASSERT_TRUE(all.has_value()) << all.error().ToString();
    EXPECT_TRUE(*all == day2) << check.sha256.has_value() << check.xxh3_128.has_value();
  }
  codec::Xxh128 wrong = s.xxh3_128;
  wrong[0] ^= 1;
  auto bad = repo.OpenStream(s.chunks, StreamCheck{std::nullopt, wrong})->ReadAll();
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kCorruption);
}

TEST(Repository, EmptyStreamHasNoChunks) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  StreamSummary s = MustWrite(*repo, "");
  EXPECT_EQ(s.size, 0u);
  EXPECT_TRUE(s.chunks.empty());
  EXPECT_EQ(MustRead(*repo, s), "");
}

TEST(Repository, IdenticalDataIsStoredOnce) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  std::string data = TableDump(20000, 2);
  StreamSummary first = MustWrite(*repo, data);
  ASSERT_TRUE(repo->Flush().has_value());
  uint64_t after_first = repo->bytes_uploaded();
  StreamSummary second = MustWrite(*repo, data, 7777);  // different write sizes, same chunks
  ASSERT_TRUE(repo->Flush().has_value());
  EXPECT_EQ(first.chunks, second.chunks);
  EXPECT_EQ(second.new_bytes, 0u);
  EXPECT_EQ(repo->bytes_uploaded(), after_first);
}

// StreamWriter cuts chunks in the caller's bytes when it can and in its own buffer when a
// chunk spans two Writes: the boundaries must be the chunker's on the whole stream whatever
// the write sizes (dedup across backups depends on it).
TEST(Repository, ChunkBoundariesDoNotDependOnWriteSizes) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  std::string data = TableDump(40000, 5);
  // One Write of everything: every chunk is cut by the chunker on the whole stream.
  StreamSummary whole = MustWrite(*repo, data, data.size());
  for (size_t piece : {size_t{1} << 20, size_t{65536}, size_t{65537}, size_t{9999}, size_t{4096}, size_t{333}}) {
    StreamSummary s = MustWrite(*repo, data, piece);
    EXPECT_EQ(s.chunks, whole.chunks) << "write size " << piece;
    EXPECT_EQ(s.sha256, whole.sha256);
  }
  // Irregular sizes, including ones straddling the max chunk size.
  auto w = repo->NewStream();
  size_t pos = 0, step = 0;
  const size_t sizes[] = {1, 70000, 65535, 3, 200000, 16384, 65536, 12345};
  while (pos < data.size()) {
    size_t n = std::min(sizes[step++ % std::size(sizes)], data.size() - pos);
    ASSERT_TRUE(w->Write(AsBytes(std::string_view(data).substr(pos, n))).has_value());
    pos += n;
  }
  ASSERT_TRUE(w->Close().has_value());
  EXPECT_EQ(w->summary().chunks, whole.chunks);
  ASSERT_TRUE(repo->Flush().has_value());
  EXPECT_EQ(MustRead(*repo, whole), data);
}

// Restore decodes on the pool and hashes in stream order on whichever worker finishes the next
// run: with one worker (a queue of two tasks) up to many workers, and read buffers from one
// byte to larger than a run, the bytes come back exactly and the digest check still bites.
TEST(Repository, StreamReadIsBitExactWithAnyWorkerCountAndReadSize) {
  storage::MemoryBackend b;
  InitOptions o = SmallRepo();
  o.pack_size = 1u << 20;
  auto r = Repository::Init(b, SecretString("secret"), o, TestClock());
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  std::string data = TableDump(60000, 6);  // ~5 MB: many runs
  StreamSummary s = MustWrite(**r, data, 1u << 20);
  ASSERT_TRUE((*r)->Flush().has_value());
  for (int workers : {1, 2, 3, 8, 16}) {
    auto repo = Repository::Open(b, SecretString("secret"), {.workers = workers});
    ASSERT_TRUE(repo.has_value()) << repo.error().ToString();
    for (size_t read_size : {size_t{1}, size_t{4093}, size_t{1} << 20, size_t{16} << 20}) {
      if (read_size == 1 && workers > 3) continue;  // slow, and covered by fewer workers
      auto src = (*repo)->OpenStream(s.chunks, s.sha256);
      std::string got;
      std::vector<uint8_t> buf(read_size);
      for (;;) {
        auto n = src->Read(buf);
        ASSERT_TRUE(n.has_value()) << n.error().ToString();
        if (*n == 0) break;
        got.append(reinterpret_cast<const char*>(buf.data()), *n);
      }
      ASSERT_TRUE(got == data) << "workers " << workers << " read size " << read_size;
    }
    // The zero-copy View hands out the decoded runs themselves.
    {
      auto src = (*repo)->OpenStream(s.chunks, s.sha256);
      std::string got;
      Bytes scratch;
      for (size_t max : {size_t{1}, size_t{5000}, size_t{64} << 20}) {
        for (int i = 0; i < 50; ++i) {
          auto v = src->View(max, scratch);
          ASSERT_TRUE(v.has_value()) << v.error().ToString();
          got.append(reinterpret_cast<const char*>(v->data()), v->size());
          ASSERT_LE(v->size(), max);
        }
      }
      for (;;) {
        auto v = src->View(1u << 20, scratch);
        ASSERT_TRUE(v.has_value()) << v.error().ToString();
        if (v->empty()) break;
        got.append(reinterpret_cast<const char*>(v->data()), v->size());
      }
      EXPECT_TRUE(scratch.empty()) << "no copy through the caller's buffer";
      ASSERT_TRUE(got == data) << "View, workers " << workers;
    }
    crypto::Digest wrong = s.sha256;
    wrong[31] ^= 0x80;
    auto bad = (*repo)->OpenStream(s.chunks, wrong)->ReadAll();
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code(), ErrorCode::kCorruption);
    // Abandoning a stream mid-way (jobs still running) is safe.
    auto partial = (*repo)->OpenStream(s.chunks, s.sha256);
    std::vector<uint8_t> some(100000);
    ASSERT_TRUE(partial->Read(some).has_value());
  }
}

TEST(Repository, AppendedRowsAddOnlyTheChangedTail) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  std::string day1 = TableDump(20000, 3);
  std::string day2 = day1 + TableDump(500, 4, 20000);
  StreamSummary s1 = MustWrite(*repo, day1);
  StreamSummary s2 = MustWrite(*repo, day2);
  ASSERT_TRUE(repo->Flush().has_value());
  EXPECT_LT(s2.new_bytes, s1.new_bytes / 10) << "only the tail chunks are new";
  EXPECT_EQ(MustRead(*repo, s2), day2);
}

TEST(Repository, WrongKeyFailsAndChangesNothing) {
  storage::MemoryBackend b;
  { MustInit(b, "right"); }
  auto before = b.List("");
  auto r = Repository::Open(b, SecretString("wrong"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kWrongKey);
  EXPECT_EQ(r.error().message(), "wrong encryption key");
  auto after = b.List("");
  ASSERT_EQ(before->size(), after->size());
  for (size_t i = 0; i < before->size(); ++i) EXPECT_EQ((*before)[i].key, (*after)[i].key);
}

TEST(Repository, InitRefusesAnExistingRepository) {
  storage::MemoryBackend b;
  MustInit(b);
  auto again = Repository::Init(b, SecretString("x"), SmallRepo(), TestClock());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
}

TEST(Repository, OpenOnEmptyLocationIsNotFoundWithHint) {
  storage::MemoryBackend b;
  auto r = Repository::Open(b, SecretString("x"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().hint().find("init"), std::string::npos);
}

TEST(Repository, FlippedBitInAPackIsReportedAsCorruptionNamingThePack) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  std::string data = TableDump(3000, 5);
  StreamSummary s = MustWrite(*repo, data);
  ASSERT_TRUE(repo->Flush().has_value());
  auto packs = b.List("data/");
  ASSERT_FALSE(packs->empty());
  std::string pack = (*packs)[0].key;
  b.Mutate(pack, [](Bytes& bytes) { bytes[10] ^= 0x01; });
  auto src = repo->OpenStream(s.chunks, s.sha256);
  auto all = src->ReadAll();
  ASSERT_FALSE(all.has_value());
  EXPECT_EQ(all.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(all.error().message().find(pack), std::string::npos) << all.error().message();
}

TEST(Repository, KeysCanBeAddedListedRemovedAndRotatedWithoutRewritingData) {
  storage::MemoryBackend b;
  auto repo = MustInit(b, "first");
  std::string data = TableDump(2000, 6);
  StreamSummary s = MustWrite(*repo, data);
  ASSERT_TRUE(repo->Flush().has_value());
  auto data_before = b.List("data/");

  auto second = repo->AddKey(SecretString("second"), crypto::TestKdfParams(), "ops laptop", TestClock());
  ASSERT_TRUE(second.has_value());
  auto keys = repo->ListKeys();
  ASSERT_TRUE(keys.has_value());
  ASSERT_EQ(keys->size(), 2u);
  int current = 0;
  for (const auto& k : *keys) current += k.current;
  EXPECT_EQ(current, 1);

  auto via_second = Repository::Open(b, SecretString("second"));
  ASSERT_TRUE(via_second.has_value());
  EXPECT_EQ(MustRead(**via_second, s), data);

  // The key in use cannot be removed; another can.
  EXPECT_EQ(repo->RemoveKey(repo->current_key_id()).error().code(), ErrorCode::kInvalidInput);
  ASSERT_TRUE(repo->RemoveKey(*second).has_value());
  EXPECT_EQ(Repository::Open(b, SecretString("second")).error().code(), ErrorCode::kWrongKey);

  // Rotate: the new password opens, the old one no longer does, data objects are untouched.
  auto rotated = repo->RotateKey(SecretString("third"), crypto::TestKdfParams(), TestClock());
  ASSERT_TRUE(rotated.has_value());
  EXPECT_EQ(Repository::Open(b, SecretString("first")).error().code(), ErrorCode::kWrongKey);
  auto via_third = Repository::Open(b, SecretString("third"));
  ASSERT_TRUE(via_third.has_value());
  EXPECT_EQ(MustRead(**via_third, s), data);
  auto data_after = b.List("data/");
  ASSERT_EQ(data_before->size(), data_after->size());
}

TEST(Repository, CompactIndexMergesFilesAndKeepsEveryBlob) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  std::vector<StreamSummary> streams;
  for (uint32_t i = 0; i < 4; ++i) {
    streams.push_back(MustWrite(*repo, TableDump(2000, 10 + i)));
    ASSERT_TRUE(repo->Flush().has_value());
  }
  EXPECT_EQ(b.List("index/")->size(), 4u);
  size_t blobs = repo->BlobCount();
  ASSERT_TRUE(repo->CompactIndex().has_value());
  EXPECT_EQ(b.List("index/")->size(), 1u);
  auto reopened = Repository::Open(b, SecretString("secret"));
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ((*reopened)->BlobCount(), blobs);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(MustRead(**reopened, streams[i]), TableDump(2000, 10 + i));
}

TEST(Repository, NoSpaceFailsCleanlyAndLeavesTheRepositoryReadable) {
  storage::MemoryBackend mem;
  summit::testing::FaultyBackend faulty(&mem);
  auto repo = MustInit(faulty);
  std::string first = TableDump(3000, 20);
  StreamSummary s = MustWrite(*repo, first);
  ASSERT_TRUE(repo->Flush().has_value());

  faulty.FailPutsAfterBytes(300000, ErrorCode::kNoSpace);
  auto w = repo->NewStream();
  std::string big = TableDump(40000, 21);
  Status st = Ok();
  for (size_t i = 0; i < big.size() && st.has_value(); i += 65536)
    st = w->Write(AsBytes(std::string_view(big).substr(i, 65536)));
  if (st.has_value()) st = w->Close();
  if (st.has_value()) st = repo->Flush();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code(), ErrorCode::kNoSpace) << st.error().ToString();
  // Further writes report the same error instead of pretending to work.
  EXPECT_FALSE(repo->Flush().has_value());

  faulty.Heal();
  auto reopened = Repository::Open(mem, SecretString("secret"));
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(MustRead(**reopened, s), first);
}

TEST(Repository, ConcurrentStreamsFromManyThreadsAllRoundTrip) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  std::vector<std::string> inputs;
  for (uint32_t i = 0; i < 6; ++i) inputs.push_back(TableDump(4000, 30 + i % 3));  // some duplicates
  std::vector<StreamSummary> out(inputs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inputs.size(); ++i)
    threads.emplace_back([&, i] { out[i] = MustWrite(*repo, inputs[i], 3000 + i * 100); });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(repo->Flush().has_value());
  auto reopened = Repository::Open(b, SecretString("secret"));
  ASSERT_TRUE(reopened.has_value());
  for (size_t i = 0; i < inputs.size(); ++i) EXPECT_EQ(MustRead(**reopened, out[i]), inputs[i]) << i;
}

}  // namespace
}  // namespace summit::repo
