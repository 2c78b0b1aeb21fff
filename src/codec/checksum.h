// XXH3-128 of a stream's logical bytes (docs/repository-format.md, "Integrity"): a fast,
// non-cryptographic end-to-end check. Backup records it next to the stream's SHA-256; restore
// checks it instead of the SHA-256 because every blob is already authenticated (AES-GCM with
// its chunk id as associated data) and the ordered chunk list comes from an authenticated
// manifest, so what is left to catch is a software fault reassembling the wrong bytes, not an
// attacker. verify and check --read-data keep hashing every byte with SHA-256.
//
// Digests are in XXH3's canonical (big-endian) byte order: the hex form is what `xxhsum -H2`
// (xxh128sum) prints for the same bytes.
//
// Xxh3Hasher runs an AVX-512 build of XXH3 on CPUs that have it (xxh3_avx512.h), libxxhash
// otherwise; both give the same digests. Thread-safety: an Xxh3Hasher is used by one thread at
// a time; the functions are pure.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace summit::codec {

using Xxh128 = std::array<uint8_t, 16>;

Xxh128 Xxh3_128(ByteView data);

// Streaming XXH3-128; the digest equals Xxh3_128 of everything given to Update.
class Xxh3Hasher {
 public:
  Xxh3Hasher();
  ~Xxh3Hasher();
  Xxh3Hasher(Xxh3Hasher&&) noexcept;
  Xxh3Hasher& operator=(Xxh3Hasher&&) noexcept;
  Xxh3Hasher(const Xxh3Hasher&) = delete;
  Xxh3Hasher& operator=(const Xxh3Hasher&) = delete;
  void Update(ByteView data);
  // The digest of everything so far (the hasher may go on being updated).
  Xxh128 Digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string Xxh128Hex(const Xxh128& d);
// nullopt unless exactly 32 hex digits.
std::optional<Xxh128> ParseXxh128(std::string_view hex);

}  // namespace summit::codec
