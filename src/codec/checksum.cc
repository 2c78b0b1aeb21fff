#include "codec/checksum.h"

#include <xxhash.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace summit::codec {
namespace {

Xxh128 Canonical(XXH128_hash_t h) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  Xxh128 out;
  static_assert(sizeof(c.digest) == out.size());
  std::memcpy(out.data(), c.digest, out.size());
  return out;
}

}  // namespace

struct Xxh3Hasher::State {
  XXH3_state_t* s = XXH3_createState();
  ~State() { XXH3_freeState(s); }
};

Xxh128 Xxh3_128(ByteView data) { return Canonical(XXH3_128bits(data.data(), data.size())); }

Xxh3Hasher::Xxh3Hasher() : state_(std::make_unique<State>()) {
  if (!state_->s || XXH3_128bits_reset(state_->s) != XXH_OK) {
    std::fputs("summit-dr: XXH3_createState failed\n", stderr);
    std::abort();
  }
}
Xxh3Hasher::~Xxh3Hasher() = default;
Xxh3Hasher::Xxh3Hasher(Xxh3Hasher&&) noexcept = default;
Xxh3Hasher& Xxh3Hasher::operator=(Xxh3Hasher&&) noexcept = default;

void Xxh3Hasher::Update(ByteView data) {
  if (!data.empty()) XXH3_128bits_update(state_->s, data.data(), data.size());
}

Xxh128 Xxh3Hasher::Digest() const { return Canonical(XXH3_128bits_digest(state_->s)); }

std::string Xxh128Hex(const Xxh128& d) { return HexEncode(d); }

std::optional<Xxh128> ParseXxh128(std::string_view hex) {
  if (hex.size() != 2 * sizeof(Xxh128)) return std::nullopt;
  auto b = HexDecode(hex);
  if (!b.has_value()) return std::nullopt;
  Xxh128 out;
  std::memcpy(out.data(), b->data(), out.size());
  return out;
}

}  // namespace summit::codec
