#include "repo/snapshot.h"

#include <gtest/gtest.h>

#include <functional>

#include "repo/check.h"
#include "repo/prune.h"
#include "repo/replicate.h"
#include "repo/repo_test_util.h"
#include "storage/memory/memory_backend.h"
#include "testing/faulty_backend.h"

namespace summit::repo {
namespace {

using testutil::SmallRepo;
using testutil::TableDump;
using testutil::TestClock;

std::unique_ptr<Repository> MustInit(storage::Backend& b) {
  auto r = Repository::Init(b, SecretString("pw"), SmallRepo(), TestClock());
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return std::move(*r);
}

void WriteStream(CaptureSink& sink, const std::string& name, const std::string& data) {
  auto s = sink.OpenStream(name);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  ASSERT_TRUE((*s)->Write(data).has_value());
  ASSERT_TRUE((*s)->Close().has_value());
}

// A snapshot with postgres (two tables + schema) and redis.
nlohmann::json MakeSnapshot(Repository& repo, const std::string& id, uint32_t seed,
                            const std::vector<std::string>& bases = {}) {
  auto w = SnapshotWriter::Begin(repo, {.id = id, .set = "full", .host = "db1", .tool_version = "0.1.0"}, TestClock());
  EXPECT_TRUE(w.has_value()) << w.error().ToString();
  for (const auto& b : bases) (*w)->AddBase(b);
  auto pg = (*w)->Component("postgres");
  EXPECT_TRUE(pg.has_value());
  WriteStream(**pg, "schema.pre.sql", "CREATE TABLE users (id bigint primary key);\n");
  WriteStream(**pg, "data/public.users", TableDump(3000, seed));
  WriteStream(**pg, "data/public.events", TableDump(3000, seed + 1000));
  (*pg)->SetAttribute("lsn", "0/3000060");
  auto redis = (*w)->Component("redis");
  WriteStream(**redis, "dump.rdb", TableDump(500, seed + 2000));
  (*redis)->SetAttribute("replication_offset", 12345);
  auto meta = (*w)->Finish();
  EXPECT_TRUE(meta.has_value()) << meta.error().ToString();
  return meta.value_or(nlohmann::json());
}

std::string ReadStream(Repository& repo, const std::string& id, const std::string& comp, const std::string& stream) {
  auto r = SnapshotReader::Open(repo, id);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  auto c = (*r)->Component(comp);
  EXPECT_TRUE(c.has_value());
  auto s = (*c)->OpenStream(stream);
  EXPECT_TRUE(s.has_value());
  auto all = (*s)->ReadAll();
  EXPECT_TRUE(all.has_value()) << all.error().ToString();
  return all.value_or("");
}

TEST(Snapshot, CaptureRoundTripsThroughSinkAndSource) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "summit-backup-full-20250120T020000Z", 1);
  auto r = SnapshotReader::Open(*repo, "summit-backup-full-20250120T020000Z");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->Components(), (std::vector<std::string>{"postgres", "redis"}));
  auto pg = (*r)->Component("postgres");
  ASSERT_TRUE(pg.has_value());
  EXPECT_EQ((*pg)->ListStreams(),
            (std::vector<std::string>{"data/public.events", "data/public.users", "schema.pre.sql"}));
  EXPECT_EQ((*pg)->Attributes()["lsn"], "0/3000060");
  EXPECT_EQ(*(*pg)->StreamSize("data/public.users"), TableDump(3000, 1).size());
  EXPECT_EQ(ReadStream(*repo, "summit-backup-full-20250120T020000Z", "postgres", "data/public.users"),
            TableDump(3000, 1));
  EXPECT_EQ(ReadStream(*repo, "summit-backup-full-20250120T020000Z", "redis", "dump.rdb"), TableDump(500, 2001));
  EXPECT_EQ((*pg)->OpenStream("nope").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ((*r)->Component("neo4j").error().code(), ErrorCode::kNotFound);
}

TEST(Snapshot, MetadataJsonHasSizesHashesAndPositionsButNoChunkIds) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  nlohmann::json m = MakeSnapshot(*repo, "summit-backup-full-20250120T020000Z", 1);
  EXPECT_EQ(m["id"], "summit-backup-full-20250120T020000Z");
  EXPECT_EQ(m["set"], "full");
  EXPECT_EQ(m["host"], "db1");
  EXPECT_EQ(m["repository_id"], repo->config().id);
  EXPECT_EQ(m["started"], "2025-01-20T02:00:00Z");
  const auto& users = m["components"]["postgres"]["streams"]["data/public.users"];
  std::string dump = TableDump(3000, 1);
  EXPECT_EQ(users["size"], dump.size());
  EXPECT_EQ(users["sha256"], crypto::DigestHex(crypto::Sha256(AsBytes(dump))));
  EXPECT_EQ(users["xxh3_128"], codec::Xxh128Hex(codec::Xxh3_128(AsBytes(dump))));
  EXPECT_GT(users["chunk_count"].get<int>(), 1);
  EXPECT_GT(users["stored_size"].get<uint64_t>(), 0u);
  EXPECT_EQ(m["components"]["redis"]["attributes"]["replication_offset"], 12345);
  std::string text = m.dump();
  const auto entries = repo->IndexEntries();  // the loop must not run over a destroyed temporary
  for (const auto& id : entries[0].blobs)
    EXPECT_EQ(text.find(IdHex(id.id)), std::string::npos) << "chunk ids must not leak into metadata";
}

TEST(Snapshot, ManifestIsWrittenLastAndOnlyOnFinish) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  auto w = SnapshotWriter::Begin(*repo, {.id = "s1", .set = "full"}, TestClock());
  ASSERT_TRUE(w.has_value());
  auto pg = (*w)->Component("postgres");
  WriteStream(**pg, "data/t", TableDump(3000, 3));
  EXPECT_TRUE(b.List("snapshots/")->empty());
  auto open = (*pg)->OpenStream("data/open");
  ASSERT_TRUE(open.has_value());
  auto early = (*w)->Finish();
  ASSERT_FALSE(early.has_value()) << "finish with an open stream must fail";
  EXPECT_TRUE(b.List("snapshots/")->empty());
}

TEST(Snapshot, DuplicateStreamOrSnapshotIdIsRefused) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "s1", 1);
  EXPECT_EQ(SnapshotWriter::Begin(*repo, {.id = "s1"}, TestClock()).error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(SnapshotWriter::Begin(*repo, {.id = "../x"}, TestClock()).error().code(), ErrorCode::kInvalidInput);
  auto w = SnapshotWriter::Begin(*repo, {.id = "s2"}, TestClock());
  auto c = (*w)->Component("files");
  WriteStream(**c, "a", "x");
  EXPECT_EQ((*c)->OpenStream("a").error().code(), ErrorCode::kAlreadyExists);
}

TEST(Snapshot, UnchangedSecondSnapshotAddsAlmostNothing) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  auto m1 = MakeSnapshot(*repo, "s1", 1);
  auto m2 = MakeSnapshot(*repo, "s2", 1);
  EXPECT_GT(m1["new_bytes"].get<uint64_t>(), 10000u);
  EXPECT_EQ(m2["new_bytes"].get<uint64_t>(), 0u);
  auto list = ListSnapshots(*repo);
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
}

TEST(Snapshot, ManifestCodecRoundTripsAndRejectsGarbage) {
  SnapshotManifest m;
  m.id = "x";
  m.components.push_back({"pg", {{"lsn", "0/1"}}, {{"t", 3, 50, crypto::Sha256(AsBytes("abc")), {crypto::Sha256(AsBytes("c"))}}}});
  auto back = ParseManifest(AsBytes(EncodeManifest(m)));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->components[0].streams[0].chunks, m.components[0].streams[0].chunks);
  EXPECT_TRUE(back->bases.empty());
  m.bases = {"base-1", "base-2"};
  auto with_bases = ParseManifest(AsBytes(EncodeManifest(m)));
  ASSERT_TRUE(with_bases.has_value());
  EXPECT_EQ(with_bases->bases, m.bases);
  EXPECT_EQ(MetadataJson(*with_bases)["bases"], nlohmann::json(m.bases));
  for (std::string bad : {"", "{}", "{\"version\":1,\"id\":\"x\",\"components\":[{\"name\":1}]}",
                          "{\"version\":1,\"id\":\"x\",\"components\":[{\"name\":\"a\",\"streams\":[{\"name\":\"s\","
                          "\"size\":1,\"sha256\":\"zz\",\"chunks\":[]}]}]}"})
    EXPECT_EQ(ParseManifest(AsBytes(bad)).error().code(), ErrorCode::kCorruption) << bad;
}

// Writes an authentic manifest (sealed with the repository's key, as only a bug of summit-dr
// itself could) for snapshot `id`: a copy of `from` changed by `edit`.
void WriteEditedManifest(Repository& repo, const std::string& from, const std::string& id,
                         const std::function<void(SnapshotStream&)>& edit) {
  auto m = LoadManifest(repo, from);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  m->id = id;
  for (auto& c : m->components)
    for (auto& s : c.streams)
      if (s.name == "data/public.users") edit(s);
  std::string text = EncodeManifest(*m);
  ASSERT_TRUE(repo.PutSealed(SnapshotKey(id), AsBytes(text), kAadSnapshot).has_value());
}

Result<std::string> TryRead(Repository& repo, const std::string& id) {
  SUMMIT_ASSIGN_OR_RETURN(auto r, SnapshotReader::Open(repo, id));
  SUMMIT_ASSIGN_OR_RETURN(auto c, r->Component("postgres"));
  SUMMIT_ASSIGN_OR_RETURN(auto s, c->OpenStream("data/public.users"));
  return s->ReadAll();
}

TEST(Snapshot, RestoreRefusesReassembledBytesThatDifferFromTheBackup) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "good", 1);
  auto good = LoadManifest(*repo, "good");
  ASSERT_TRUE(good.has_value());
  const SnapshotStream& users = good->components[0].streams[1];
  ASSERT_EQ(users.name, "data/public.users");
  ASSERT_TRUE(users.xxh3_128.has_value()) << "backups record the XXH3-128";
  ASSERT_GE(users.chunks.size(), 2u);
  ASSERT_NE(users.chunks[0], users.chunks[1]);
  auto swap = [](SnapshotStream& s) { std::swap(s.chunks[0], s.chunks[1]); };
  auto legacy = [](SnapshotStream& s) { s.xxh3_128.reset(); };

  // Every blob authentic, every size right, the bytes in the wrong order: refused.
  WriteEditedManifest(*repo, "good", "swapped", swap);
  auto swapped = TryRead(*repo, "swapped");
  ASSERT_FALSE(swapped.has_value());
  EXPECT_EQ(swapped.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(swapped.error().message().find("xxh3_128"), std::string::npos) << swapped.error().message();
  // The recorded XXH3-128 altered: refused although the bytes are the backup's.
  WriteEditedManifest(*repo, "good", "bad-xxh3", [](SnapshotStream& s) { (*s.xxh3_128)[7] ^= 1; });
  EXPECT_EQ(TryRead(*repo, "bad-xxh3").error().code(), ErrorCode::kCorruption);
  // A snapshot from before the field: restores, and is checked with its SHA-256.
  WriteEditedManifest(*repo, "good", "legacy", legacy);
  EXPECT_EQ(TryRead(*repo, "legacy").value_or(""), TableDump(3000, 1));
  WriteEditedManifest(*repo, "good", "legacy-swapped", [&](SnapshotStream& s) { legacy(s), swap(s); });
  auto legacy_swapped = TryRead(*repo, "legacy-swapped");
  ASSERT_FALSE(legacy_swapped.has_value());
  EXPECT_NE(legacy_swapped.error().message().find("sha256"), std::string::npos) << legacy_swapped.error().message();
  EXPECT_EQ(TryRead(*repo, "good").value_or(""), TableDump(3000, 1));
}

TEST(Check, HealthyRepositoryPassesStructureAndReadData) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "s1", 1);
  MakeSnapshot(*repo, "s2", 7);
  auto report = Check(*repo, {.read_data = true});
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok()) << report->ToJson().dump(2);
  EXPECT_EQ(report->snapshots, 2u);
  EXPECT_EQ(report->packs_read, report->packs);
  EXPECT_TRUE(report->warnings.empty());
}

// The bit flip test of issue 3: a damaged blob is reported as exactly the streams using it.
TEST(Check, ReadDataNamesExactlyTheStreamsABitFlipBreaks) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "s1", 1);
  MakeSnapshot(*repo, "s2", 1);  // same data: shares every chunk with s1
  // Flip a bit inside the last chunk of s1's postgres/data/public.events.
  auto manifest = LoadManifest(*repo, "s1");
  const auto* pg = manifest->FindComponent("postgres");
  const SnapshotStream* events = nullptr;
  for (const auto& s : pg->streams)
    if (s.name == "data/public.events") events = &s;
  ASSERT_NE(events, nullptr);
  BlobId victim = events->chunks.back();
  // Only events uses it (users/redis data differ), so only that stream may be reported.
  auto loc = repo->Find(victim);
  ASSERT_TRUE(loc.has_value());
  ASSERT_TRUE(b.Mutate(PackKey(loc->pack), [&](Bytes& d) { d[loc->blob.offset + 20] ^= 0x10; }));

  auto report = Check(*repo, {.read_data = true});
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->ok());
  ASSERT_EQ(report->damaged_packs.size(), 1u);
  EXPECT_NE(report->damaged_packs[0].find(PackKey(loc->pack)), std::string::npos);
  std::vector<Damage> expected = {{"s1", "postgres", "data/public.events", ""},
                                  {"s2", "postgres", "data/public.events", ""}};
  ASSERT_EQ(report->damaged.size(), 2u) << report->ToJson().dump(2);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(report->damaged[i].snapshot, expected[i].snapshot);
    EXPECT_EQ(report->damaged[i].component, expected[i].component);
    EXPECT_EQ(report->damaged[i].stream, expected[i].stream);
  }
  // Structure alone does not read data, so it passes.
  auto structure = Check(*repo);
  EXPECT_TRUE(structure->ok());
  // Restoring the damaged stream fails loudly; the others still restore.
  EXPECT_EQ(ReadStream(*repo, "s1", "postgres", "data/public.users"), TableDump(3000, 1));
}

TEST(Check, MissingPackIsAStructuralErrorNamingTheStreams) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "s1", 1);
  auto m = LoadManifest(*repo, "s1");
  auto loc = repo->Find(m->FindComponent("redis")->streams[0].chunks[0]);
  ASSERT_TRUE(b.Delete(PackKey(loc->pack)).has_value());
  auto report = Check(*repo);
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->ok());
  EXPECT_FALSE(report->errors.empty());
  bool redis_named = false;
  for (const auto& d : report->damaged) redis_named |= d.component == "redis" && d.stream == "dump.rdb";
  EXPECT_TRUE(redis_named) << report->ToJson().dump(2);
}

TEST(Prune, ForgettingASnapshotFreesItsDataAndKeepsTheRestRestorable) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "old", 1);
  MakeSnapshot(*repo, "new", 50);
  uint64_t before = 0;
  auto packs_before = b.List("data/");
  for (const auto& o : *packs_before) before += o.size;

  auto dry = Prune(*repo, {.forget = {"old"}, .dry_run = true});
  ASSERT_TRUE(dry.has_value());
  EXPECT_GT(dry->bytes_freed, 0u);
  EXPECT_TRUE(b.Stat("snapshots/old").has_value()) << "dry run changes nothing";

  auto report = Prune(*repo, {.forget = {"old"}});
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report->snapshots_removed, std::vector<std::string>{"old"});
  uint64_t after = 0;
  auto packs_after = b.List("data/");
  for (const auto& o : *packs_after) after += o.size;
  EXPECT_LT(after, before * 0.7);
  EXPECT_FALSE(b.Stat("snapshots/old").has_value());
  auto reopened = Repository::Open(b, SecretString("pw"));
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(ReadStream(**reopened, "new", "postgres", "data/public.events"), TableDump(3000, 1050));
  auto check = Check(**reopened, {.read_data = true});
  EXPECT_TRUE(check->ok()) << check->ToJson().dump(2);
  EXPECT_TRUE(check->warnings.empty());
  EXPECT_EQ(b.List("index/")->size(), 1u);
}

TEST(Prune, UnknownSnapshotIsNotFoundAndChangesNothing) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "s1", 1);
  size_t objects = b.ObjectCount();
  auto r = Prune(*repo, {.forget = {"nope"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(b.ObjectCount(), objects);
}

TEST(Replicate, CopiesSnapshotsThatRestoreBitExactlyFromTheReplica) {
  storage::MemoryBackend primary, dr;
  auto repo = MustInit(primary);
  MakeSnapshot(*repo, "s1", 1);
  MakeSnapshot(*repo, "s2", 60);
  auto r = Replicate(*repo, dr, {"s1"});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->initialized_destination);
  EXPECT_EQ(r->snapshots_copied, std::vector<std::string>{"s1"});
  auto replica = Repository::Open(dr, SecretString("pw"));
  ASSERT_TRUE(replica.has_value()) << replica.error().ToString();
  EXPECT_EQ(ReadStream(**replica, "s1", "postgres", "data/public.users"), TableDump(3000, 1));
  EXPECT_FALSE(SnapshotReader::Open(**replica, "s2").has_value());
  auto check = Check(**replica, {.read_data = true});
  EXPECT_TRUE(check->ok()) << check->ToJson().dump(2);

  auto all = Replicate(*repo, dr);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->snapshots_copied, std::vector<std::string>{"s2"});
  EXPECT_EQ(all->snapshots_present, std::vector<std::string>{"s1"});
  auto again = Replicate(*repo, dr);
  EXPECT_EQ(again->packs_copied, 0u);
  EXPECT_TRUE(again->snapshots_copied.empty());
}

TEST(Prune, RefusesToForgetABaseOfASnapshotThatStays) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "base", 1);
  MakeSnapshot(*repo, "incr", 2, {"base"});
  size_t objects = b.ObjectCount();
  auto r = Prune(*repo, {.forget = {"base"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("base is a base of snapshot incr"), std::string::npos) << r.error().message();
  EXPECT_EQ(b.ObjectCount(), objects);
  auto both = Prune(*repo, {.forget = {"base", "incr"}});
  EXPECT_TRUE(both.has_value()) << both.error().ToString();
}

TEST(Check, ASnapshotWhoseBaseIsMissingIsBrokenNamingBoth) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "base", 1);
  MakeSnapshot(*repo, "incr", 2, {"base"});
  MakeSnapshot(*repo, "incr2", 3, {"incr"});
  EXPECT_TRUE(Check(*repo)->ok());
  ASSERT_TRUE(b.Delete("snapshots/base").has_value());  // as an older tool's prune could
  auto all = Check(*repo);
  ASSERT_TRUE(all.has_value());
  EXPECT_FALSE(all->ok());
  ASSERT_EQ(all->damaged.size(), 2u) << all->ToJson().dump(2);
  EXPECT_NE(all->errors[0].find("snapshot incr depends on base snapshot base"), std::string::npos) << all->errors[0];
  auto one = Check(*repo, {.snapshots = {"incr2"}});
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->errors.size(), 1u);
  EXPECT_NE(one->errors[0].find("incr2 depends on base snapshot base (through incr)"), std::string::npos) << one->errors[0];
}

TEST(Replicate, CopiesTheBasesOfAnIncrementalSnapshotFirst) {
  storage::MemoryBackend primary, dr;
  auto repo = MustInit(primary);
  MakeSnapshot(*repo, "base", 1);
  MakeSnapshot(*repo, "incr", 2, {"base"});
  MakeSnapshot(*repo, "other", 3);
  auto r = Replicate(*repo, dr, {"incr"});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->snapshots_copied, (std::vector<std::string>{"base", "incr"}));
  auto replica = Repository::Open(dr, SecretString("pw"));
  ASSERT_TRUE(replica.has_value());
  EXPECT_TRUE(Check(**replica, {.read_data = true})->ok());
}

TEST(Replicate, RefusesADestinationHoldingAnotherRepository) {
  storage::MemoryBackend a, other;
  auto repo = MustInit(a);
  MakeSnapshot(*repo, "s1", 1);
  MustInit(other);
  auto r = Replicate(*repo, other);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
}

TEST(Check, DamagedPackHeaderAloneBreaksNoStream) {
  storage::MemoryBackend b;
  auto repo = MustInit(b);
  MakeSnapshot(*repo, "s1", 1);
  auto packs = b.List("data/");
  ASSERT_FALSE(packs->empty());
  std::string pack = (*packs)[0].key;
  // The byte just before the 4-byte trailer is the sealed header's GCM tag.
  ASSERT_TRUE(b.Mutate(pack, [](Bytes& d) { d[d.size() - 5] ^= 0x01; }));
  auto report = Check(*repo, {.read_data = true});
  ASSERT_TRUE(report.has_value());
  ASSERT_EQ(report->damaged_packs.size(), 1u) << report->ToJson().dump(2);
  EXPECT_NE(report->damaged_packs[0].find("header"), std::string::npos);
  EXPECT_TRUE(report->damaged.empty()) << "every blob still verifies: " << report->ToJson().dump(2);
  EXPECT_EQ(ReadStream(*repo, "s1", "postgres", "data/public.users"), TableDump(3000, 1));
}

TEST(Snapshot, NoSpaceDuringBackupLeavesNoSnapshotAndEarlierOnesIntact) {
  storage::MemoryBackend mem;
  summit::testing::FaultyBackend faulty(&mem);
  auto repo = MustInit(faulty);
  MakeSnapshot(*repo, "s1", 1);
  faulty.FailPutsAfterBytes(20000, ErrorCode::kNoSpace);
  auto w = SnapshotWriter::Begin(*repo, {.id = "s2", .set = "full"}, TestClock());
  ASSERT_TRUE(w.has_value());
  auto pg = (*w)->Component("postgres");
  auto s = (**pg).OpenStream("data/big");
  Status st = (*s)->Write(TableDump(20000, 77));
  if (st.has_value()) st = (*s)->Close();
  Result<nlohmann::json> done = st.has_value() ? (*w)->Finish() : Result<nlohmann::json>(Fail(st.error()));
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code(), ErrorCode::kNoSpace) << done.error().ToString();
  EXPECT_FALSE(mem.Stat("snapshots/s2").has_value());
  faulty.Heal();
  auto reopened = Repository::Open(mem, SecretString("pw"));
  ASSERT_TRUE(reopened.has_value());
  auto report = Check(**reopened, {.read_data = true});
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->ok()) << report->ToJson().dump(2);
  EXPECT_EQ(ReadStream(**reopened, "s1", "postgres", "data/public.users"), TableDump(3000, 1));
}

}  // namespace
}  // namespace summit::repo
