#include "sources/redis/encodings.h"

#include <cstdint>
#include <cstring>

namespace summit::sources::redis {
namespace {

uint64_t LoadLe(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  if (bits == 64) return static_cast<int64_t>(v);
  uint64_t sign = 1ULL << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

Unexpected Corrupt(const char* what, std::string_view kind, size_t off) {
  return Fail(ErrorCode::kCorruption,
              std::string(kind) + " is corrupt: " + what + " at byte " + std::to_string(off));
}

// Bytes the listpack back-length of an entry of `len` bytes occupies.
size_t BacklenSize(uint64_t len) {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

}  // namespace

Result<std::vector<std::string>> DecodeListpack(std::string_view blob) {
  constexpr std::string_view kKind = "listpack";
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < 7) return Corrupt("shorter than its header", kKind, 0);
  uint64_t total = LoadLe(b, 4);
  if (total != blob.size()) return Corrupt("header length differs from the blob length", kKind, 0);
  uint32_t count = static_cast<uint32_t>(LoadLe(b + 4, 2));
  std::vector<std::string> out;
  size_t p = 6;
  for (;;) {
    if (p >= blob.size()) return Corrupt("missing terminator", kKind, p);
    unsigned c = b[p];
    if (c == 0xFF) {
      if (p + 1 != blob.size()) return Corrupt("bytes after the terminator", kKind, p);
      break;
    }
    size_t start = p;
    size_t avail = blob.size() - p;
    std::string elem;
    size_t enc_len;  // encoding + data bytes
    auto need = [&](size_t n) { return n <= avail; };
    if ((c & 0x80) == 0) {
      elem = std::to_string(c & 0x7f);
      enc_len = 1;
    } else if ((c & 0xC0) == 0x80) {
      size_t len = c & 0x3f;
      if (!need(1 + len)) return Corrupt("string past the end", kKind, p);
      elem.assign(blob.data() + p + 1, len);
      enc_len = 1 + len;
    } else if ((c & 0xE0) == 0xC0) {
      if (!need(2)) return Corrupt("integer past the end", kKind, p);
      elem = std::to_string(SignExtend(((c & 0x1f) << 8) | b[p + 1], 13));
      enc_len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      if (!need(2)) return Corrupt("string length past the end", kKind, p);
      size_t len = ((c & 0x0f) << 8) | b[p + 1];
      if (!need(2 + len)) return Corrupt("string past the end", kKind, p);
      elem.assign(blob.data() + p + 2, len);
      enc_len = 2 + len;
    } else if (c == 0xF0) {
      if (!need(5)) return Corrupt("string length past the end", kKind, p);
      uint64_t len = LoadLe(b + p + 1, 4);
      if (len > avail || !need(5 + len)) return Corrupt("string past the end", kKind, p);
      elem.assign(blob.data() + p + 5, len);
      enc_len = 5 + len;
    } else if (c >= 0xF1 && c <= 0xF4) {
      static constexpr int kBytes[] = {2, 3, 4, 8};
      int n = kBytes[c - 0xF1];
      if (!need(1 + n)) return Corrupt("integer past the end", kKind, p);
      elem = std::to_string(SignExtend(LoadLe(b + p + 1, n), n * 8));
      enc_len = 1 + n;
    } else {
      return Corrupt("unknown entry encoding", kKind, p);
    }
    size_t bl = BacklenSize(enc_len);
    if (enc_len + bl > avail) return Corrupt("back length past the end", kKind, p);
    // The back length is stored big-end first, 7 bits per byte, high bit on all but the first.
    uint64_t back = 0;
    for (size_t i = 0; i < bl; ++i) {
      uint8_t x = b[start + enc_len + bl - 1 - i];
      back |= static_cast<uint64_t>(x & 0x7f) << (7 * i);
    }
    if (back != enc_len) return Corrupt("back length disagrees with the entry", kKind, p);
    p += enc_len + bl;
    out.push_back(std::move(elem));
  }
  if (count != 65535 && count != out.size()) return Corrupt("element count disagrees with the entries", kKind, 4);
  return out;
}

Result<std::vector<std::string>> DecodeZiplist(std::string_view blob) {
  constexpr std::string_view kKind = "ziplist";
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < 11) return Corrupt("shorter than its header", kKind, 0);
  if (LoadLe(b, 4) != blob.size()) return Corrupt("header length differs from the blob length", kKind, 0);
  uint32_t count = static_cast<uint32_t>(LoadLe(b + 8, 2));
  std::vector<std::string> out;
  size_t p = 10;
  size_t prev_len = 0;
  for (;;) {
    if (p >= blob.size()) return Corrupt("missing terminator", kKind, p);
    if (b[p] == 0xFF) {
      if (p + 1 != blob.size()) return Corrupt("bytes after the terminator", kKind, p);
      break;
    }
    size_t start = p;
    size_t prevlen;
    if (b[p] < 254) {
      prevlen = b[p];
      p += 1;
    } else if (b[p] == 254) {
      if (p + 5 > blob.size()) return Corrupt("prev-length past the end", kKind, p);
      prevlen = LoadLe(b + p + 1, 4);
      p += 5;
    } else {
      return Corrupt("invalid prev-length", kKind, p);
    }
    if (!out.empty() && prevlen != prev_len) return Corrupt("prev-length disagrees with the previous entry", kKind, start);
    if (p >= blob.size()) return Corrupt("encoding past the end", kKind, p);
    unsigned c = b[p];
    size_t avail = blob.size() - p;
    std::string elem;
    size_t used;
    switch (c >> 6) {
      case 0: {
        size_t len = c & 0x3f;
        if (1 + len > avail) return Corrupt("string past the end", kKind, p);
        elem.assign(blob.data() + p + 1, len);
        used = 1 + len;
        break;
      }
      case 1: {
        if (avail < 2) return Corrupt("string length past the end", kKind, p);
        size_t len = ((c & 0x3f) << 8) | b[p + 1];
        if (2 + len > avail) return Corrupt("string past the end", kKind, p);
        elem.assign(blob.data() + p + 2, len);
        used = 2 + len;
        break;
      }
      case 2: {
        if (c != 0x80 || avail < 5) return Corrupt("invalid string encoding", kKind, p);
        uint64_t len = (uint64_t{b[p + 1]} << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4];
        if (len > avail || 5 + len > avail) return Corrupt("string past the end", kKind, p);
        elem.assign(blob.data() + p + 5, len);
        used = 5 + len;
        break;
      }
      default: {
        int n;
        if (c == 0xC0) n = 2;
        else if (c == 0xD0) n = 4;
        else if (c == 0xE0) n = 8;
        else if (c == 0xF0) n = 3;
        else if (c == 0xFE) n = 1;
        else if (c >= 0xF1 && c <= 0xFD) n = 0;
        else return Corrupt("unknown entry encoding", kKind, p);
        if (1 + static_cast<size_t>(n) > avail) return Corrupt("integer past the end", kKind, p);
        elem = n == 0 ? std::to_string((c & 0x0f) - 1) : std::to_string(SignExtend(LoadLe(b + p + 1, n), n * 8));
        used = 1 + n;
        break;
      }
    }
    p += used;
    prev_len = p - start;
    out.push_back(std::move(elem));
  }
  if (count != 65535 && count != out.size()) return Corrupt("element count disagrees with the entries", kKind, 8);
  return out;
}

Result<std::vector<std::string>> DecodeIntset(std::string_view blob) {
  constexpr std::string_view kKind = "intset";
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < 8) return Corrupt("shorter than its header", kKind, 0);
  uint32_t enc = static_cast<uint32_t>(LoadLe(b, 4));
  uint64_t count = LoadLe(b + 4, 4);
  if (enc != 2 && enc != 4 && enc != 8) return Corrupt("invalid integer width", kKind, 0);
  if (count * enc != blob.size() - 8) return Corrupt("length disagrees with the member count", kKind, 4);
  std::vector<std::string> out;
  out.reserve(count);
  int64_t prev = 0;
  for (uint64_t i = 0; i < count; ++i) {
    int64_t v = SignExtend(LoadLe(b + 8 + i * enc, static_cast<int>(enc)), static_cast<int>(enc) * 8);
    if (i > 0 && v <= prev) return Corrupt("members not strictly ascending", kKind, 8 + i * enc);
    prev = v;
    out.push_back(std::to_string(v));
  }
  return out;
}

}  // namespace summit::sources::redis
