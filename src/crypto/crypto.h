// Cryptographic primitives of the repository format (docs/repository-format.md, "Cryptography"):
// SHA-256, HMAC-SHA-256 (keyed chunk ids), AES-256-GCM with random 96-bit nonces, Argon2id
// key derivation (libsodium crypto_pwhash), and the OS random generator.
//
// Sealed format (every encrypted object or blob): nonce (12 bytes) || ciphertext || GCM tag
// (16 bytes). Nonces are random per seal: with 2^32 seals per key the collision probability
// stays below 2^-32 (NIST SP 800-38D 8.3).
//
// Thread-safety: all functions are pure or use only local/thread-local state; safe to call
// from many threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "core/bytes.h"
#include "core/result.h"
#include "core/secret.h"

namespace summit::crypto {

using Key256 = std::array<uint8_t, 32>;
using Digest = std::array<uint8_t, 32>;

inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kSealOverhead = kNonceSize + kTagSize;

// Fills `out` from the OS CSPRNG. Aborts the process if the CSPRNG fails (never happens on a
// sane system; continuing with predictable nonces would be worse).
void FillRandom(std::span<uint8_t> out);
Key256 RandomKey();

Digest Sha256(ByteView data);
Digest HmacSha256(const Key256& key, ByteView data);

// Streaming SHA-256 (for a stream's logical bytes). Move-only RAII over EVP_MD_CTX.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(ByteView data);
  // Returns the digest; the hasher must not be used afterwards.
  Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends nonce || AES-256-GCM(plaintext, aad) || tag to `out`.
void SealAppend(const Key256& key, ByteView plaintext, ByteView aad, Bytes& out);
// Writes nonce || AES-256-GCM(plaintext, aad) || tag into `out`, which must hold exactly
// plaintext.size() + kSealOverhead bytes (aborts otherwise: a programmer error). The plaintext
// may already sit where the ciphertext goes (plaintext.data() == out.data() + kNonceSize:
// in-place sealing, which backup uses to encrypt a chunk where it was compressed); any other
// overlap is not allowed.
void SealInto(const Key256& key, ByteView plaintext, ByteView aad, std::span<uint8_t> out);
Bytes Seal(const Key256& key, ByteView plaintext, ByteView aad = {});
// Decrypts a sealed buffer. Fails with kCorruption when it is too short or the tag does not
// verify (wrong key, tampering, bit rot: indistinguishable by design).
Result<Bytes> Open(const Key256& key, ByteView sealed, ByteView aad = {});
// As Open, decrypting into `out`, which must hold exactly sealed.size() - kSealOverhead bytes
// (kInternal otherwise). `out` may be the ciphertext itself (out.data() == sealed.data() +
// kNonceSize: in-place decryption, which restore uses to decode a run of blobs without an
// allocation per blob); any other overlap is not allowed. On failure `out` holds unauthenticated
// bytes that must not be used.
Status OpenInto(const Key256& key, ByteView sealed, ByteView aad, std::span<uint8_t> out);

// Argon2id parameters (stored in each key file).
struct KdfParams {
  uint64_t ops = 3;                  // crypto_pwhash opslimit
  uint64_t mem_bytes = 64ull << 20;  // crypto_pwhash memlimit
};
// Cheapest parameters libsodium allows: for tests only.
KdfParams TestKdfParams();

inline constexpr size_t kSaltSize = 16;  // crypto_pwhash_SALTBYTES

// Derives a 256-bit key from a password. Fails with kInvalidInput for an empty password or
// parameters outside libsodium's limits, kNoSpace ("out of memory") when mem_bytes cannot be
// allocated.
Result<Key256> DeriveKey(const SecretString& password, ByteView salt, const KdfParams& params);

std::string DigestHex(const Digest& d);

}  // namespace summit::crypto
