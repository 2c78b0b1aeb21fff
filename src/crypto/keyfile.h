// Key files (docs/repository-format.md, "Keys"): the repository's random master key, wrapped
// by a key derived with Argon2id from a password. Several key files may wrap the same master
// key (key add / rotate); removing one never touches data.
//
// A key file is JSON: {"version":1,"kdf":"argon2id","ops":N,"mem":N,"salt":hex,
// "wrapped":hex(nonce||AES-256-GCM(master key 64 bytes, aad "summit-dr key v1")||tag),
// "created":RFC3339,"host":...,"username":...,"label":...}. Everything but "wrapped" is public.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "core/secret.h"
#include "crypto/crypto.h"

namespace summit::crypto {

// The repository's master key: AES-256-GCM for every object, and the HMAC key for chunk ids
// (and the chunker's gear-table seed, so boundaries do not reveal content either).
struct MasterKey {
  Key256 encryption{};
  Key256 id{};
  static MasterKey Random();
  bool operator==(const MasterKey&) const = default;
};

struct KeyFile {
  int version = 1;
  KdfParams kdf;
  Bytes salt;
  Bytes wrapped;
  std::string created;   // RFC 3339
  std::string host;
  std::string username;
  std::string label;     // free text from `key add --label`
};

// Wraps `master` under `password` with fresh random salt and the given KDF parameters.
Result<KeyFile> WrapMasterKey(const MasterKey& master, const SecretString& password, const KdfParams& params);
// Unwraps; kWrongKey "wrong encryption key" when the password does not open this key file.
Result<MasterKey> UnwrapMasterKey(const KeyFile& file, const SecretString& password);

std::string EncodeKeyFile(const KeyFile& file);
// kCorruption for anything that is not a well-formed version-1 key file; kUnsupported for a
// newer version.
Result<KeyFile> ParseKeyFile(ByteView data);

}  // namespace summit::crypto
