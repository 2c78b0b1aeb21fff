// zstd compression of chunks (docs/repository-format.md, "Blobs"). A chunk is stored
// compressed only when that makes it smaller; otherwise it is stored raw and flagged, so
// incompressible data (already-compressed dumps, encrypted secrets) costs no CPU on restore.
//
// Thread-safety: functions use a thread-local zstd context each; safe from many threads.
#pragma once

#include <span>

#include "core/bytes.h"
#include "core/result.h"

namespace summit::codec {

// Level 1, not zstd's usual 3: on 64 KiB chunks of table dumps it compresses better (ratio 5.90
// vs 5.46) at ~25 % less CPU (bench/repo_vs_restic.md); each repository records its own level.
inline constexpr int kDefaultZstdLevel = 1;

// Compresses `in` at `level` into `out` (replacing its contents). Returns true when the result
// is smaller than the input and should be stored; false means "store raw" (out is then empty).
bool CompressIfSmaller(ByteView in, int level, Bytes& out);
// As CompressIfSmaller, into a caller's buffer (backup compresses each chunk straight into the
// buffer it then seals in place: no allocation or zero-filling per chunk). Returns the
// compressed size, or 0 when the frame would not fit in `out`; with out.size() < in.size() a
// non-zero result is always smaller than the input.
size_t CompressInto(ByteView in, int level, std::span<uint8_t> out);

// Decompresses a zstd frame that must expand to exactly `raw_size` bytes; kCorruption otherwise.
Result<Bytes> Decompress(ByteView in, size_t raw_size);
// As Decompress, into `out` (exactly the raw size): no allocation, no zero-filling; restore
// decodes runs of chunks straight into one reused buffer with it.
Status DecompressInto(ByteView in, std::span<uint8_t> out);

// Fails with kInvalidInput outside zstd's levels (1..22; negative "fast" levels down to -7).
Status ValidateZstdLevel(int level);

}  // namespace summit::codec
