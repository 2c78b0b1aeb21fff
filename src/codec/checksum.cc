#include "codec/checksum.h"

#include <xxhash.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "codec/xxh3_avx512.h"

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

// The AVX-512 build when the CPU has it (xxh3_avx512.h), else libxxhash: the same digests.
struct Xxh3Hasher::State {
  XXH3_state_t* lib = nullptr;
  void* avx512 = nullptr;
  ~State() {
    if (avx512) avx512::Xxh3Free(avx512);
    XXH3_freeState(lib);
  }
};

Xxh128 Xxh3_128(ByteView data) { return Canonical(XXH3_128bits(data.data(), data.size())); }

Xxh3Hasher::Xxh3Hasher() : state_(std::make_unique<State>()) {
  static const bool use_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  bool ok;
  if (use_avx512) {
    state_->avx512 = avx512::Xxh3New();
    ok = state_->avx512 != nullptr;
  } else {
    state_->lib = XXH3_createState();
    ok = state_->lib && XXH3_128bits_reset(state_->lib) == XXH_OK;
  }
  if (!ok) {
    std::fputs("summit-dr: XXH3_createState failed\n", stderr);
    std::abort();
  }
}
Xxh3Hasher::~Xxh3Hasher() = default;
Xxh3Hasher::Xxh3Hasher(Xxh3Hasher&&) noexcept = default;
Xxh3Hasher& Xxh3Hasher::operator=(Xxh3Hasher&&) noexcept = default;

void Xxh3Hasher::Update(ByteView data) {
  if (data.empty()) return;
  if (state_->avx512)
    avx512::Xxh3Update(state_->avx512, data.data(), data.size());
  else
    XXH3_128bits_update(state_->lib, data.data(), data.size());
}

Xxh128 Xxh3Hasher::Digest() const {
  if (!state_->avx512) return Canonical(XXH3_128bits_digest(state_->lib));
  Xxh128 out;
  avx512::Xxh3Digest(state_->avx512, out.data());
  return out;
}

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
