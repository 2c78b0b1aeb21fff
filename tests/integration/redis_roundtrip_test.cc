// Redis capture and restore against a real server (REDIS_URL from tests/harness/up.sh).
// The tests FLUSHALL that server: it must be a throwaway one.
//
// They build a keyspace with every type in both its compact and its full encoding (checked
// with OBJECT ENCODING), expiries in seconds and milliseconds, several databases and a stream
// with consumer groups; then capture, FLUSHALL, restore and compare every key's DUMP and TTL
// with the baseline. Exported RDB files are loaded by a fresh redis-server started here.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "harness_env.h"
#include "sources/redis/client.h"
#include "sources/redis/key_stream.h"
#include "sources/redis/rdb_reader.h"
#include "sources/redis/redis_source.h"

extern char** environ;

namespace summit::sources::redis {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::mt19937_64 rng(std::random_device{}());
    path_ = fs::temp_directory_path() / ("summit-redis-it-" + std::to_string(rng()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path(const std::string& sub = "") const { return sub.empty() ? path_.string() : (path_ / sub).string(); }

 private:
  fs::path path_;
};

Settings Target() {
  auto s = ParseUrl(testing::Env("REDIS_URL"));
  EXPECT_TRUE(s) << s.error().ToString();
  return *s;
}

std::unique_ptr<Connection> Connect(const Settings& s) {
  auto c = Connection::Open(s);
  EXPECT_TRUE(c) << c.error().ToString();
  return c ? std::move(*c) : nullptr;
}

void Cmd(Connection& c, std::vector<std::string_view> args) {
  auto r = c.Command(args);
  ASSERT_TRUE(r) << args[0] << ": " << r.error().ToString();
}

std::string Str(Connection& c, std::vector<std::string_view> args) {
  auto r = c.Command(args);
  EXPECT_TRUE(r) << r.error().ToString();
  return r ? std::string(ReplyString(r->get())) : "";
}

// db -> key -> (DUMP payload, PTTL)
using Snapshot = std::map<int, std::map<std::string, std::pair<std::string, long long>>>;

Snapshot Take(const Settings& s) {
  Snapshot snap;
  auto c = Connect(s);
  if (!c) return snap;
  auto dbs = NonEmptyDatabases(*c);
  EXPECT_TRUE(dbs);
  for (int db : *dbs) {
    std::string d = std::to_string(db);
    Cmd(*c, {"SELECT", d});
    std::string cursor = "0";
    do {
      auto r = c->Command({"SCAN", cursor, "COUNT", "1000"});
      EXPECT_TRUE(r);
      if (!r) return snap;
      cursor = std::string(ReplyString((*r)->element[0]));
      for (size_t i = 0; i < (*r)->element[1]->elements; ++i) {
        std::string k(ReplyString((*r)->element[1]->element[i]));
        auto dump = c->Command({"DUMP", k});
        auto pttl = c->Command({"PTTL", k});
        EXPECT_TRUE(dump && pttl);
        snap[db][k] = {std::string(ReplyString(dump->get())), (*pttl)->integer};
      }
    } while (cursor != "0");
  }
  return snap;
}

// Builds the test keyspace; returns the encodings seen.
std::set<std::string> Populate(const Settings& s) {
  auto c = Connect(s);
  std::set<std::string> encodings;
  if (!c) return encodings;
  Cmd(*c, {"FLUSHALL"});
  Cmd(*c, {"SELECT", "0"});
  Cmd(*c, {"SET", "str:int", "12345"});
  Cmd(*c, {"SET", "str:embstr", "hello"});
  Cmd(*c, {"SET", "str:raw", std::string(100, 'r') + "x"});
  std::string lzf;
  for (int i = 0; i < 500; ++i) lzf += "compressible-" + std::to_string(i % 7) + ";";
  Cmd(*c, {"SET", "str:lzf", lzf});
  Cmd(*c, {"SET", std::string("bin\0\xff\x01key", 8), std::string("\0\xfe value", 8)});
  Cmd(*c, {"RPUSH", "list:small", "a", "b", "1", "-7"});
  for (int i = 0; i < 3000; ++i) Cmd(*c, {"RPUSH", "list:big", "item-" + std::to_string(i)});
  Cmd(*c, {"RPUSH", "list:plain", std::string(20000, 'p'), "small"});  // a PLAIN quicklist node
  Cmd(*c, {"SADD", "set:intset", "1", "2", "3", "-100000", "4000000000"});
  Cmd(*c, {"SADD", "set:strs", "alpha", "beta", "gamma"});
  for (int i = 0; i < 700; ++i) Cmd(*c, {"SADD", "set:bigints", std::to_string(i * 3)});
  for (int i = 0; i < 300; ++i) Cmd(*c, {"SADD", "set:big", "member-" + std::to_string(i)});
  Cmd(*c, {"ZADD", "zset:small", "1.5", "a", "-2", "b", "inf", "c"});
  for (int i = 0; i < 300; ++i) Cmd(*c, {"ZADD", "zset:big", std::to_string(i * 0.25), "m" + std::to_string(i)});
  Cmd(*c, {"HSET", "hash:small", "f1", "v1", "f2", "2", "f3", "three"});
  for (int i = 0; i < 300; ++i) Cmd(*c, {"HSET", "hash:big", "field" + std::to_string(i), "value" + std::to_string(i)});
  Cmd(*c, {"HSET", "hash:longval", "f", std::string(200, 'h')});  // hashtable by value length
  for (int i = 0; i < 120; ++i) Cmd(*c, {"XADD", "tenant:customer-acme:events", "*", "n", std::to_string(i), "kind", "e"});
  Cmd(*c, {"XGROUP", "CREATE", "tenant:customer-acme:events", "workers", "0"});
  Cmd(*c, {"XGROUP", "CREATE", "tenant:customer-acme:events", "audit", "$"});
  Cmd(*c, {"XREADGROUP", "GROUP", "workers", "alice", "COUNT", "10", "STREAMS", "tenant:customer-acme:events", ">"});
  Cmd(*c, {"XREADGROUP", "GROUP", "workers", "bob", "COUNT", "5", "STREAMS", "tenant:customer-acme:events", ">"});
  {
    auto first = c->Command({"XRANGE", "tenant:customer-acme:events", "-", "+", "COUNT", "1"});
    EXPECT_TRUE(first);
    std::string id(ReplyString((*first)->element[0]->element[0]));
    Cmd(*c, {"XACK", "tenant:customer-acme:events", "workers", id});
  }
  Cmd(*c, {"SET", "exp:sec", "s", "EX", "3600"});
  Cmd(*c, {"SET", "exp:ms", "m", "PX", "7200123"});
  Cmd(*c, {"HSET", "cache:customer-acme:entity:1", "name", "Acme Corp", "kind", "org"});
  Cmd(*c, {"SET", "cache:customer-globex:entity:2", "{\"name\":\"Globex\"}"});
  Cmd(*c, {"HSET", "session:6f1c2a", "user", "42", "ip", "10.0.0.1"});
  Cmd(*c, {"EXPIRE", "session:6f1c2a", "1800"});
  Cmd(*c, {"SET", "tmp:upload:1", "x", "EX", "60"});
  Cmd(*c, {"SET", "temp:lock", "1", "PX", "90000"});
  Cmd(*c, {"SET", "user:17:email", "jane.doe@acme.example", "EX", "86400"});
  Cmd(*c, {"SELECT", "1"});
  Cmd(*c, {"SET", "cache:customer-initech:entity:9", "db1 value"});
  Cmd(*c, {"RPUSH", "tenant:customer-initech:queue", "j1", "j2"});
  Cmd(*c, {"HSET", "session:in-db1", "u", "1"});
  Cmd(*c, {"SELECT", "3"});
  Cmd(*c, {"ZADD", "tenant:customer-globex:scores", "10", "x"});
  Cmd(*c, {"SET", "exp:db3", "v", "PX", "5000000"});
  for (int db : {0, 1, 3}) {
    std::string d = std::to_string(db);
    Cmd(*c, {"SELECT", d});
    auto keys = c->Command({"KEYS", "*"});
    EXPECT_TRUE(keys);
    for (size_t i = 0; i < (*keys)->elements; ++i)
      encodings.insert(Str(*c, {"OBJECT", "ENCODING", ReplyString((*keys)->element[i])}));
  }
  return encodings;
}

uint64_t KeyCount(const Snapshot& s) {
  uint64_t n = 0;
  for (auto& [db, keys] : s) n += keys.size();
  return n;
}

// Every key of `want` exists in `got` with an equal value and a TTL within tolerance;
// returns how many DUMPs are byte-identical.
size_t ExpectSameKeys(const Snapshot& want, const Snapshot& got) {
  EXPECT_EQ(KeyCount(want), KeyCount(got));
  size_t identical = 0;
  for (auto& [db, keys] : want) {
    for (auto& [k, v] : keys) {
      auto dbit = got.find(db);
      if (dbit == got.end() || !dbit->second.count(k)) {
        ADD_FAILURE() << "missing key '" << PrintableKey(k) << "' in db " << db;
        continue;
      }
      const auto& g = dbit->second.at(k);
      auto a = SplitDumpPayload(v.first);
      auto b = SplitDumpPayload(g.first);
      if (!a || !b) {
        ADD_FAILURE() << "bad DUMP payload for '" << PrintableKey(k) << "'";
        continue;
      }
      uint8_t type = static_cast<uint8_t>(a->value[0]);
      if (type != rdb::kSet && type != rdb::kHash) {
        EXPECT_EQ(v.first, g.first) << "DUMP differs for '" << PrintableKey(k) << "' in db " << db;
      }
      EXPECT_EQ(*CanonicalValue(a->value), *CanonicalValue(b->value)) << PrintableKey(k);
      if (v.first == g.first) ++identical;
      if (v.second < 0) {
        EXPECT_EQ(g.second, -1) << PrintableKey(k);
      } else {
        EXPECT_GT(g.second, 0) << PrintableKey(k);
        EXPECT_NEAR(static_cast<double>(g.second), static_cast<double>(v.second), 10000.0) << PrintableKey(k);
      }
    }
  }
  return identical;
}

class RedisRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveService("redis")) return;
    target_ = Target();
    encodings_ = Populate(target_);
    baseline_ = Take(target_);
    auto fp = Fingerprint(target_);
    ASSERT_TRUE(fp) << fp.error().ToString();
    fingerprint_ = *fp;
  }

  void FlushAll() {
    auto c = Connect(target_);
    Cmd(*c, {"FLUSHALL"});
  }

  Settings target_;
  std::set<std::string> encodings_;
  Snapshot baseline_;
  KeyspaceFingerprint fingerprint_;
};

TEST_F(RedisRoundTrip, KeyspaceHasEveryTypeInCompactAndFullEncodings) {
  SUMMIT_REQUIRE_SERVICE("redis");
  for (const char* enc : {"int", "embstr", "raw", "quicklist", "intset", "hashtable", "listpack", "skiplist", "stream"})
    EXPECT_TRUE(encodings_.count(enc)) << "no key with encoding " << enc;
  EXPECT_EQ(baseline_.size(), 3u);
  EXPECT_EQ(fingerprint_.at(0).types.at("stream"), 1u);
  EXPECT_GE(fingerprint_.at(0).with_ttl, 6u);
}

// The replication transfer comes in two forms: a disk-based RDB ("$<len>") and a diskless one
// that ends with a 40-byte marker. Both must give the same keyspace back.
TEST_F(RedisRoundTrip, FullCaptureFlushRestoreReproducesEveryKeyInBothTransferForms) {
  SUMMIT_REQUIRE_SERVICE("redis");
  for (bool diskless : {true, false}) {
    SCOPED_TRACE(diskless ? "diskless" : "disk");
    {
      auto c = Connect(target_);
      Cmd(*c, {"CONFIG", "SET", "repl-diskless-sync", diskless ? "yes" : "no"});
      Cmd(*c, {"CONFIG", "SET", "repl-diskless-sync-delay", "0"});
    }
    TempDir dir;
    DirCaptureWriter cap(dir.path());
    auto stats = CaptureFull(target_, cap);
    ASSERT_TRUE(stats) << stats.error().ToString();
    ASSERT_TRUE(cap.Finish());
    EXPECT_EQ(stats->keys, KeyCount(baseline_));
    EXPECT_EQ(stats->keys_per_db.at(1), baseline_.at(1).size());

    auto src = DirCaptureReader::Open(dir.path());
    ASSERT_TRUE(src);
    auto attrs = (*src)->Attributes();
    EXPECT_EQ(attrs.at("format"), "rdb");
    EXPECT_EQ(attrs.at("diskless").get<bool>(), diskless);
    EXPECT_GE(attrs.at("replication_offset").get<int64_t>(), 0);
    EXPECT_EQ(attrs.at("replication_id").get<std::string>().size(), 40u);
    EXPECT_TRUE(attrs.at("checksum_verified").get<bool>());
    EXPECT_EQ(attrs.at("rdb_version").get<int>(), 10);

    FlushAll();
    RestoreOptions opt;
    opt.flush = true;
    auto plan = Restore(target_, opt, **src, nullptr);
    ASSERT_TRUE(plan) << plan.error().ToString();
    EXPECT_EQ(plan->keys, KeyCount(baseline_));
    EXPECT_EQ(plan->skipped_expired, 0u);
    Snapshot after = Take(target_);
    size_t identical = ExpectSameKeys(baseline_, after);
    EXPECT_GE(identical, KeyCount(baseline_) - 5);  // only hash-table sets/hashes may reorder
    auto fp = Fingerprint(target_);
    ASSERT_TRUE(fp);
    EXPECT_EQ(*fp, fingerprint_);
  }
  auto c = Connect(target_);
  Cmd(*c, {"CONFIG", "SET", "repl-diskless-sync", "yes"});  // the Redis 7 default
}

TEST_F(RedisRoundTrip, FunctionLibrariesOfAFullCaptureAreLoadedBack) {
  SUMMIT_REQUIRE_SERVICE("redis");
  auto c = Connect(target_);
  Cmd(*c, {"FUNCTION", "LOAD", "REPLACE",
           "#!lua name=summitlib\nredis.register_function('summit_echo', function(keys, args) return args[1] end)"});
  TempDir dir;
  DirCaptureWriter cap(dir.path());
  ASSERT_TRUE(CaptureFull(target_, cap));
  ASSERT_TRUE(cap.Finish());
  auto src = DirCaptureReader::Open(dir.path());
  ASSERT_TRUE(src);
  EXPECT_EQ((*src)->Attributes().at("functions").get<int>(), 1);
  Cmd(*c, {"FUNCTION", "FLUSH"});
  FlushAll();
  auto plan = Restore(target_, RestoreOptions{}, **src, nullptr);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->functions, 1u);
  EXPECT_EQ(Str(*c, {"FCALL", "summit_echo", "0", "it works"}), "it works");
  Cmd(*c, {"FUNCTION", "FLUSH"});
}

TEST_F(RedisRoundTrip, FilteredCaptureExcludesSessionsAndTemporaryKeys) {
  SUMMIT_REQUIRE_SERVICE("redis");
  TempDir dir;
  DirCaptureWriter cap(dir.path());
  FilteredCaptureOptions opt;
  opt.filter = MinimalFilter();
  opt.batch = 7;  // many SCAN pages and pipelines
  auto stats = CaptureFiltered(target_, opt, cap);
  ASSERT_TRUE(stats) << stats.error().ToString();
  ASSERT_TRUE(cap.Finish());

  Snapshot expected = baseline_;
  for (auto& [db, keys] : expected)
    for (auto it = keys.begin(); it != keys.end();)
      it = opt.filter.SelectsKey(it->first) ? std::next(it) : keys.erase(it);
  EXPECT_EQ(KeyCount(expected), KeyCount(baseline_) - 4);  // 2 sessions, tmp:, temp:
  EXPECT_EQ(stats->keys, KeyCount(expected));

  auto src = DirCaptureReader::Open(dir.path());
  ASSERT_TRUE(src);
  {
    auto stream = (*src)->OpenStream(kKeysStream);
    ASSERT_TRUE(stream);
    auto reader = KeyStreamReader::Open(stream->get());
    ASSERT_TRUE(reader);
    KeyRecord rec;
    for (;;) {
      auto more = (*reader)->Next(&rec);
      ASSERT_TRUE(more) << more.error().ToString();
      if (!*more) break;
      EXPECT_TRUE(opt.filter.SelectsKey(rec.key)) << rec.key;
    }
  }
  FlushAll();
  auto plan = Restore(target_, RestoreOptions{}, **src, nullptr);
  ASSERT_TRUE(plan) << plan.error().ToString();
  ExpectSameKeys(expected, Take(target_));
}

class Transform final : public transform::RedisTransform {
 public:
  transform::RedisKeyDecision Apply(int db, std::string_view key, std::optional<std::string_view> value) const override {
    transform::RedisKeyDecision d;
    if (GlobMatch("user:*:email", key)) {
      EXPECT_TRUE(value.has_value());
      if (value) seen_email = std::string(*value);
      d.kind = transform::RedisKeyDecision::Kind::kReplaceString;
      d.value = "user@example.invalid";
    } else if (GlobMatch("cache:*", key)) {
      d.kind = transform::RedisKeyDecision::Kind::kDrop;
    }
    return d;
  }
  mutable std::string seen_email;
};

TEST_F(RedisRoundTrip, RestoreAppliesTransformKeepsTtlAndSkipsExpiredKeys) {
  SUMMIT_REQUIRE_SERVICE("redis");
  TempDir dir;
  DirCaptureWriter cap(dir.path());
  ASSERT_TRUE(CaptureFull(target_, cap));
  ASSERT_TRUE(cap.Finish());
  auto src = DirCaptureReader::Open(dir.path());
  ASSERT_TRUE(src);

  FlushAll();
  Transform t;
  RestoreOptions opt;
  opt.flush = true;
  auto plan = Restore(target_, opt, **src, &t);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(t.seen_email, "jane.doe@acme.example");
  EXPECT_EQ(plan->replaced, 1u);
  EXPECT_EQ(plan->dropped, 3u);
  auto c = Connect(target_);
  EXPECT_EQ(Str(*c, {"GET", "user:17:email"}), "user@example.invalid");
  auto ttl = c->Command({"TTL", "user:17:email"});
  ASSERT_TRUE(ttl);
  EXPECT_NEAR((*ttl)->integer, 86400, 30);
  EXPECT_EQ((*c->Command({"EXISTS", "cache:customer-acme:entity:1"}))->integer, 0);

  // Two hours later, every key with an expiry of at most two hours has expired.
  FlushAll();
  FakeClock later(std::chrono::system_clock::now() + std::chrono::hours(2) + std::chrono::seconds(1));
  RestoreOptions opt2;
  opt2.clock = &later;
  auto plan2 = Restore(target_, opt2, **src, nullptr);
  ASSERT_TRUE(plan2) << plan2.error().ToString();
  // exp:sec, exp:ms, session, tmp:, temp:, exp:db3 (5000 s) ... everything below 2 h.
  EXPECT_EQ(plan2->skipped_expired, 6u);
  EXPECT_EQ((*c->Command({"EXISTS", "exp:ms"}))->integer, 0);
  EXPECT_EQ((*c->Command({"EXISTS", "user:17:email"}))->integer, 1);
}

TEST_F(RedisRoundTrip, SelectiveRestoreTouchesOnlySelectedKeysAndFlushesOnlyRestoredDbs) {
  SUMMIT_REQUIRE_SERVICE("redis");
  TempDir dir;
  DirCaptureWriter cap(dir.path());
  ASSERT_TRUE(CaptureFull(target_, cap));
  ASSERT_TRUE(cap.Finish());
  auto src = DirCaptureReader::Open(dir.path());
  ASSERT_TRUE(src);
  auto c = Connect(target_);
  Cmd(*c, {"SELECT", "0"});
  Cmd(*c, {"SET", "cache:customer-globex:entity:2", "changed"});
  Cmd(*c, {"SET", "str:embstr", "changed too"});
  Cmd(*c, {"SELECT", "5"});
  Cmd(*c, {"SET", "not-in-capture", "keep me"});

  RestoreOptions opt;
  opt.filter.include = {"cache:*"};
  auto plan = Restore(target_, opt, **src, nullptr);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->keys, 3u);
  Cmd(*c, {"SELECT", "0"});
  EXPECT_EQ(Str(*c, {"GET", "cache:customer-globex:entity:2"}), "{\"name\":\"Globex\"}");
  EXPECT_EQ(Str(*c, {"GET", "str:embstr"}), "changed too");

  RestoreOptions full;
  full.flush = true;
  full.filter.dbs = {0, 1};
  auto plan2 = Restore(target_, full, **src, nullptr);
  ASSERT_TRUE(plan2) << plan2.error().ToString();
  EXPECT_EQ(plan2->flushed_dbs, (std::vector<int>{0, 1}));
  EXPECT_EQ(Str(*c, {"GET", "str:embstr"}), "hello");
  Cmd(*c, {"SELECT", "5"});
  EXPECT_EQ(Str(*c, {"GET", "not-in-capture"}), "keep me");
}

TEST_F(RedisRoundTrip, DryRunReturnsThePlanAndWritesNothing) {
  SUMMIT_REQUIRE_SERVICE("redis");
  TempDir dir;
  DirCaptureWriter cap(dir.path());
  ASSERT_TRUE(CaptureFull(target_, cap));
  ASSERT_TRUE(cap.Finish());
  auto src = DirCaptureReader::Open(dir.path());
  FlushAll();
  RestoreOptions opt;
  opt.dry_run = true;
  opt.flush = true;
  auto plan = Restore(target_, opt, **src, nullptr);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(plan->keys, KeyCount(baseline_));
  EXPECT_EQ(plan->keys_per_db.at(3), 2u);
  EXPECT_GT(plan->bytes, 10000u);
  EXPECT_TRUE(plan->flushed_dbs.empty());
  auto c = Connect(target_);
  EXPECT_EQ((*c->Command({"DBSIZE"}))->integer, 0);
}

// A redis-server of our own on a free port, loading `dir`/dump.rdb; killed on destruction.
class ScratchServer {
 public:
  explicit ScratchServer(const std::string& dir) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    close(s);
    std::vector<std::string> args = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--dir", dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
                                     "--logfile", dir + "/redis.log"};
    std::vector<char*> argv;
    for (auto& x : args) argv.push_back(x.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
    for (int i = 0; i < 100 && pid_ > 0; ++i) {
      Settings st;
      st.port = port_;
      auto c = Connection::Open(st);
      if (c) {
        auto r = (*c)->Command({"PING"});
        if (r) {
          ready_ = true;
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~ScratchServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  Settings settings() const {
    Settings s;
    s.port = port_;
    return s;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
};

TEST_F(RedisRoundTrip, ExportedRdbOfFullAndFilteredCapturesLoadsInAFreshServer) {
  SUMMIT_REQUIRE_SERVICE("redis");
  for (bool filtered : {false, true}) {
    SCOPED_TRACE(filtered ? "filtered" : "full");
    TempDir dir;
    DirCaptureWriter cap(dir.path("capture"));
    KeyFilter filter;
    if (filtered) {
      FilteredCaptureOptions opt;
      opt.filter = MinimalFilter();
      filter = opt.filter;
      ASSERT_TRUE(CaptureFiltered(target_, opt, cap));
    } else {
      ASSERT_TRUE(CaptureFull(target_, cap));
    }
    ASSERT_TRUE(cap.Finish());
    auto src = DirCaptureReader::Open(dir.path("capture"));
    ASSERT_TRUE(src);
    fs::create_directories(dir.path("server"));
    auto sink = OpenFileSink(dir.path("server/dump.rdb"));
    ASSERT_TRUE(sink);
    auto st = Export(**src, ExportFormat::kRdb, **sink);
    ASSERT_TRUE(st) << st.error().ToString();

    ScratchServer server(dir.path("server"));
    ASSERT_TRUE(server.ready()) << "redis-server did not start on the exported rdb; see its log";
    auto loaded = Fingerprint(server.settings());
    ASSERT_TRUE(loaded) << loaded.error().ToString();
    auto want = Fingerprint(target_, filter);
    ASSERT_TRUE(want);
    // A filtered fingerprint also lists databases whose keys were all excluded; drop empty ones.
    for (auto it = want->begin(); it != want->end();) it = it->second.keys == 0 ? want->erase(it) : std::next(it);
    EXPECT_EQ(FingerprintToJson(*loaded).dump(), FingerprintToJson(*want).dump());
  }
}

TEST(RedisErrors, UnreachableServerAndWrongPasswordAreClassified) {
  SUMMIT_REQUIRE_SERVICE("redis");
  Settings nowhere;
  nowhere.port = 1;
  TempDir dir;
  DirCaptureWriter cap(dir.path());
  auto r = CaptureFull(nowhere, cap);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);

  Settings bad = Target();
  bad.password = SecretString("definitely-wrong-password");
  auto fp = Fingerprint(bad);
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().code(), ErrorCode::kPermission);
  EXPECT_EQ(fp.error().ToString().find("definitely-wrong-password"), std::string::npos);
}

}  // namespace
}  // namespace summit::sources::redis
