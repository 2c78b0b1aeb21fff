#include "crypto/keyfile.h"

#include <nlohmann/json.hpp>

namespace summit::crypto {
namespace {
constexpr std::string_view kKeyAad = "summit-dr key v1";
}

MasterKey MasterKey::Random() { return MasterKey{RandomKey(), RandomKey()}; }

Result<KeyFile> WrapMasterKey(const MasterKey& master, const SecretString& password, const KdfParams& params) {
  KeyFile f;
  f.kdf = params;
  f.salt.resize(kSaltSize);
  FillRandom(f.salt);
  SUMMIT_ASSIGN_OR_RETURN(Key256 kek, DeriveKey(password, f.salt, params));
  Bytes plain(master.encryption.begin(), master.encryption.end());
  plain.insert(plain.end(), master.id.begin(), master.id.end());
  f.wrapped = Seal(kek, plain, AsBytes(kKeyAad));
  std::fill(plain.begin(), plain.end(), 0);
  std::fill(kek.begin(), kek.end(), 0);
  return f;
}

Result<MasterKey> UnwrapMasterKey(const KeyFile& file, const SecretString& password) {
  SUMMIT_ASSIGN_OR_RETURN(Key256 kek, DeriveKey(password, file.salt, file.kdf));
  auto plain = Open(kek, file.wrapped, AsBytes(kKeyAad));
  std::fill(kek.begin(), kek.end(), 0);
  if (!plain.has_value())
    return Fail(ErrorCode::kWrongKey, "wrong encryption key",
                "check ENCRYPTION_KEY or the key file; `summit-dr key list` shows the repository's keys");
  if (plain->size() != 64) return Fail(ErrorCode::kCorruption, "key file holds a master key of the wrong size");
  MasterKey m;
  std::copy(plain->begin(), plain->begin() + 32, m.encryption.begin());
  std::copy(plain->begin() + 32, plain->end(), m.id.begin());
  std::fill(plain->begin(), plain->end(), 0);
  return m;
}

std::string EncodeKeyFile(const KeyFile& f) {
  nlohmann::json j = {{"version", f.version}, {"kdf", "argon2id"},       {"ops", f.kdf.ops},
                      {"mem", f.kdf.mem_bytes}, {"salt", HexEncode(f.salt)}, {"wrapped", HexEncode(f.wrapped)},
                      {"created", f.created}, {"host", f.host},         {"username", f.username},
                      {"label", f.label}};
  return j.dump(2) + "\n";
}

Result<KeyFile> ParseKeyFile(ByteView data) {
  nlohmann::json j = nlohmann::json::parse(AsString(data), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Fail(ErrorCode::kCorruption, "key file is not a JSON object");
  try {
    KeyFile f;
    f.version = j.at("version").get<int>();
    if (f.version != 1)
      return Fail(ErrorCode::kUnsupported, "key file version " + std::to_string(f.version) + " is not supported",
                  "upgrade summit-dr");
    if (j.at("kdf").get<std::string>() != "argon2id")
      return Fail(ErrorCode::kUnsupported, "key file kdf '" + j.at("kdf").get<std::string>() + "' is not supported");
    f.kdf.ops = j.at("ops").get<uint64_t>();
    f.kdf.mem_bytes = j.at("mem").get<uint64_t>();
    auto salt = HexDecode(j.at("salt").get<std::string>());
    auto wrapped = HexDecode(j.at("wrapped").get<std::string>());
    if (!salt || !wrapped) return Fail(ErrorCode::kCorruption, "key file salt or wrapped key is not hex");
    f.salt = std::move(*salt);
    f.wrapped = std::move(*wrapped);
    if (f.salt.size() != kSaltSize) return Fail(ErrorCode::kCorruption, "key file salt has the wrong size");
    if (f.wrapped.size() != 64 + kSealOverhead)
      return Fail(ErrorCode::kCorruption, "key file wrapped key has the wrong size");
    f.created = j.value("created", "");
    f.host = j.value("host", "");
    f.username = j.value("username", "");
    f.label = j.value("label", "");
    return f;
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorCode::kCorruption, std::string("malformed key file: ") + e.what());
  }
}

}  // namespace summit::crypto
