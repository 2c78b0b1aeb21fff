#include "codec/chunker.h"

#include <algorithm>
#include <bit>

namespace summit::codec {

ChunkerParams DefaultChunkerParams() { return ChunkerParams{}; }

namespace {
uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
// `bits` one-bits in the top of the word: the gear hash shifts left, so the high bits depend on
// the most recent 64 bytes.
uint64_t TopMask(int bits) { return bits <= 0 ? 0 : (~0ull << (64 - bits)); }
}  // namespace

Result<Chunker> Chunker::Create(const ChunkerParams& p, uint64_t seed) {
  if (p.min_size < 64 || p.min_size >= p.avg_size || p.avg_size >= p.max_size || p.max_size > (64u << 20) ||
      !std::has_single_bit(p.avg_size))
    return Fail(ErrorCode::kInvalidInput,
                "invalid chunker sizes min " + std::to_string(p.min_size) + " avg " + std::to_string(p.avg_size) +
                    " max " + std::to_string(p.max_size),
                "need 64 <= min < avg < max <= 64 MiB with avg a power of two");
  return Chunker(p, seed);
}

Chunker::Chunker(const ChunkerParams& p, uint64_t seed) : params_(p) {
  uint64_t state = seed;
  for (auto& g : gear_) g = SplitMix64(state);
  int bits = std::countr_zero(p.avg_size);
  // Normalization level 2 (FastCDC): two more bits before the average, two fewer after.
  mask_small_ = TopMask(bits + 2);
  mask_large_ = TopMask(bits - 2);
}

size_t Chunker::Cut(ByteView data) const {
  size_t n = std::min<size_t>(data.size(), params_.max_size);
  if (n <= params_.min_size) return n;
  const uint8_t* p = data.data();
  uint64_t h = 0;
  size_t i = params_.min_size;
  size_t normal = std::min<size_t>(params_.avg_size, n);
  for (; i < normal; ++i) {
    h = (h << 1) + gear_[p[i]];
    if ((h & mask_small_) == 0) return i + 1;
  }
  for (; i < n; ++i) {
    h = (h << 1) + gear_[p[i]];
    if ((h & mask_large_) == 0) return i + 1;
  }
  return n;
}

}  // namespace summit::codec
