// Fingerprint: per-database key counts, per-type counts and an order-independent hash over
// the keys' canonical values. See redis_source.h.
#include <openssl/sha.h>

#include <cstring>
#include <unordered_set>

#include "sources/redis/client.h"
#include "sources/redis/rdb_reader.h"
#include "sources/redis/redis_source.h"

namespace summit::sources::redis {
namespace {

std::string Hex64(uint64_t v) {
  static const char* d = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[i] = d[v & 15];
    v >>= 4;
  }
  return s;
}

}  // namespace

nlohmann::json FingerprintToJson(const KeyspaceFingerprint& fp) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [db, f] : fp)
    j[std::to_string(db)] = {{"keys", f.keys}, {"with_ttl", f.with_ttl}, {"types", f.types}, {"hash", f.hash}};
  return j;
}

Result<KeyspaceFingerprint> Fingerprint(const Settings& source, const KeyFilter& filter) {
  const std::string what = "fingerprinting redis " + source.ToString();
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto conn, Connection::Open(source), what);
  std::vector<int> dbs = filter.dbs;
  if (dbs.empty()) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(dbs, NonEmptyDatabases(*conn), what);
  }
  KeyspaceFingerprint out;
  for (int db : dbs) {
    const std::string d = std::to_string(db);
    const std::string ctx = what + ": db " + d;
    SUMMIT_TRY_CTX(conn->Command({"SELECT", d}), ctx);
    DbFingerprint& f = out[db];
    uint64_t sum = 0, x = 0;
    std::unordered_set<std::string> seen;  // SCAN may repeat keys
    std::string cursor = "0";
    std::vector<std::string> keys;
    do {
      SUMMIT_ASSIGN_OR_RETURN_CTX(Reply r, conn->Command({"SCAN", cursor, "COUNT", "1000"}), ctx);
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return Fail(ErrorCode::kCorruption, ctx + ": unexpected SCAN reply");
      cursor = std::string(ReplyString(r->element[0]));
      keys.clear();
      for (size_t i = 0; i < r->element[1]->elements; ++i) {
        std::string k(ReplyString(r->element[1]->element[i]));
        if (filter.SelectsKey(k) && seen.insert(k).second) keys.push_back(std::move(k));
      }
      for (const auto& k : keys) {
        SUMMIT_TRY_CTX(conn->Append({"DUMP", k}), ctx);
        SUMMIT_TRY_CTX(conn->Append({"PTTL", k}), ctx);
      }
      for (const auto& k : keys) {
        SUMMIT_ASSIGN_OR_RETURN_CTX(Reply dump, conn->GetReply(), ctx);
        SUMMIT_ASSIGN_OR_RETURN_CTX(Reply pttl, conn->GetReply(), ctx);
        if (dump->type == REDIS_REPLY_ERROR) return Fail(ReplyError(dump.get(), ctx + ": DUMP '" + PrintableKey(k) + "'"));
        if (dump->type != REDIS_REPLY_STRING) continue;  // deleted meanwhile
        SUMMIT_ASSIGN_OR_RETURN_CTX(DumpParts parts, SplitDumpPayload(ReplyString(dump.get())), ctx + ": key '" + PrintableKey(k) + "'");
        SUMMIT_ASSIGN_OR_RETURN_CTX(std::string canon, CanonicalValue(parts.value), ctx + ": key '" + PrintableKey(k) + "'");
        bool ttl = pttl->type == REDIS_REPLY_INTEGER && pttl->integer >= 0;
        std::string rec = d + '\0' + std::to_string(k.size()) + ':' + k + (ttl ? 'T' : 'N') + canon;
        unsigned char md[SHA256_DIGEST_LENGTH];
        SHA256(reinterpret_cast<const unsigned char*>(rec.data()), rec.size(), md);
        uint64_t a, b;
        std::memcpy(&a, md, 8);
        std::memcpy(&b, md + 8, 8);
        sum += a;
        x ^= b;
        ++f.keys;
        if (ttl) ++f.with_ttl;
        ++f.types[std::string(TypeName(parts.value.empty() ? 0xff : static_cast<uint8_t>(parts.value[0])))];
      }
    } while (cursor != "0");
    f.hash = Hex64(sum) + Hex64(x);
  }
  return out;
}

}  // namespace summit::sources::redis
