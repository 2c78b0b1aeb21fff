// Nothing but xxhash.h and the C headers it pulls in: no inline function of another header may be
// emitted from this file with AVX-512 instructions and then picked by the linker for callers
// on CPUs without it.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "codec/xxh3_avx512.h"

static_assert(XXH_VECTOR == XXH_AVX512, "xxh3_avx512.cc must be compiled with -mavx512f");

namespace summit::codec::avx512 {

void* Xxh3New() {
  XXH3_state_t* s = XXH3_createState();
  if (s) XXH3_128bits_reset(s);
  return s;
}

void Xxh3Free(void* state) { XXH3_freeState(static_cast<XXH3_state_t*>(state)); }

void Xxh3Update(void* state, const void* data, size_t size) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state), data, size);
}

void Xxh3Digest(const void* state, uint8_t out[16]) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(static_cast<const XXH3_state_t*>(state)));
  for (int i = 0; i < 16; ++i) out[i] = c.digest[i];
}

}  // namespace summit::codec::avx512
