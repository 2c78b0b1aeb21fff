// Streaming XXH3-128 built for AVX-512 (xxh3_avx512.cc is the only file compiled with
// -mavx512f -mavx512bw; see CMakeLists.txt). checksum.cc calls it only on CPUs with AVX-512F:
// ~20 GB/s against ~9 GB/s for libxxhash's baseline (SSE2) build on the benchmark machine.
// Internal to the codec module; the state is opaque.
#pragma once

#include <cstddef>
#include <cstdint>

namespace summit::codec::avx512 {

void* Xxh3New();  // a reset state; nullptr when out of memory
void Xxh3Free(void* state);
void Xxh3Update(void* state, const void* data, size_t size);
void Xxh3Digest(const void* state, uint8_t out[16]);  // canonical (big-endian) form

}  // namespace summit::codec::avx512
