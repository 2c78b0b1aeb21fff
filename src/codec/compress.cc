#include "codec/compress.h"

#include <zstd.h>

#include <memory>

namespace summit::codec {
namespace {
struct CctxDeleter { void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); } };
struct DctxDeleter { void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); } };
}  // namespace

Status ValidateZstdLevel(int level) {
  if (level < -7 || level > ZSTD_maxCLevel() || level == 0)
    return Fail(ErrorCode::kInvalidInput, "zstd level " + std::to_string(level) + " is out of range",
                "use 1 (fast) to 19 (small); 3 is the default");
  return Ok();
}

size_t CompressInto(ByteView in, int level, std::span<uint8_t> out) {
  // One context per thread, reused: zstd keeps its tables between calls instead of allocating
  // them per chunk.
  thread_local std::unique_ptr<ZSTD_CCtx, CctxDeleter> cctx(ZSTD_createCCtx());
  size_t n = ZSTD_compressCCtx(cctx.get(), out.data(), out.size(), in.data(), in.size(), level);
  return ZSTD_isError(n) ? 0 : n;  // dstSize_tooSmall: it does not fit (or does not shrink)
}

bool CompressIfSmaller(ByteView in, int level, Bytes& out) {
  out.resize(ZSTD_compressBound(in.size()));
  size_t n = CompressInto(in, level, out);
  if (n == 0 || n >= in.size()) {
    out.clear();
    return false;
  }
  out.resize(n);
  return true;
}

Status DecompressInto(ByteView in, std::span<uint8_t> out) {
  thread_local std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx(ZSTD_createDCtx());
  size_t n = ZSTD_decompressDCtx(dctx.get(), out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n))
    return Fail(ErrorCode::kCorruption, std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != out.size())
    return Fail(ErrorCode::kCorruption,
                "zstd frame expanded to " + std::to_string(n) + " bytes, expected " + std::to_string(out.size()));
  return Ok();
}

Result<Bytes> Decompress(ByteView in, size_t raw_size) {
  Bytes out(raw_size);
  SUMMIT_TRY(DecompressInto(in, out));
  return out;
}

}  // namespace summit::codec
