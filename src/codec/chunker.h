// Content-defined chunking, FastCDC style (Xia et al., USENIX ATC '16): a gear rolling hash
// with normalized chunking (a stricter mask before the average size, a looser one after), so
// that an insertion shifts only the chunks around it and unchanged data keeps its chunk ids.
//
// The gear table is generated from a 64-bit seed (splitmix64). The repository derives the seed
// from its id key, so chunk boundaries — like chunk ids — reveal nothing about content to
// someone without the key (docs/repository-format.md, "Chunking").
//
// Thread-safety: a Chunker is immutable after construction; Cut is const and pure.
#pragma once

#include <array>
#include <cstdint>

#include "core/bytes.h"
#include "core/result.h"

namespace summit::codec {

struct ChunkerParams {
  uint32_t min_size = 16u << 10;
  uint32_t avg_size = 64u << 10;  // must be a power of two
  uint32_t max_size = 256u << 10;
  bool operator==(const ChunkerParams&) const = default;
};

// The repository default, chosen by measurement on COPY-text table dumps (see
// docs/repository-format.md, "Chunking" and bench/repo_bench.cc).
ChunkerParams DefaultChunkerParams();

class Chunker {
 public:
  // Fails with kInvalidInput unless 64 <= min < avg < max <= 64 MiB and avg is a power of two.
  static Result<Chunker> Create(const ChunkerParams& params, uint64_t seed);

  // `data` starts at a chunk boundary. Returns the length of the next chunk: a cut point in
  // (0, data.size()], never more than max_size. When data.size() < max_size and no boundary is
  // found, returns data.size(): the caller must then either supply more bytes (if the stream
  // has more) or accept it as the final chunk.
  size_t Cut(ByteView data) const;

  const ChunkerParams& params() const { return params_; }

 private:
  Chunker(const ChunkerParams& params, uint64_t seed);
  ChunkerParams params_;
  uint64_t mask_small_;  // used before avg_size: harder to match
  uint64_t mask_large_;  // used after avg_size: easier to match
  std::array<uint64_t, 256> gear_;
};

}  // namespace summit::codec
