#include "sources/redis/lzf.h"

#include <cstdint>
#include <unordered_map>

namespace summit::sources::redis {

Result<std::string> LzfDecompress(std::string_view in, size_t expected_len) {
  std::string out;
  out.resize(expected_len);
  size_t ip = 0, op = 0;
  auto corrupt = [&](const char* what) {
    return Fail(ErrorCode::kCorruption,
                std::string("lzf data is corrupt: ") + what + " at input byte " + std::to_string(ip));
  };
  while (ip < in.size()) {
    unsigned ctrl = static_cast<uint8_t>(in[ip++]);
    if (ctrl < 32) {  // literal run of ctrl+1 bytes
      size_t len = ctrl + 1;
      if (ip + len > in.size()) return corrupt("literal run past the end of the input");
      if (op + len > expected_len) return corrupt("literal run past the end of the output");
      out.replace(op, len, in.data() + ip, len);
      ip += len;
      op += len;
    } else {  // back reference
      size_t len = ctrl >> 5;
      if (len == 7) {
        if (ip >= in.size()) return corrupt("truncated back reference");
        len += static_cast<uint8_t>(in[ip++]);
      }
      if (ip >= in.size()) return corrupt("truncated back reference");
      size_t dist = ((ctrl & 0x1f) << 8) + static_cast<uint8_t>(in[ip++]) + 1;
      len += 2;
      if (dist > op) return corrupt("back reference before the start of the output");
      if (op + len > expected_len) return corrupt("back reference past the end of the output");
      size_t ref = op - dist;
      for (size_t i = 0; i < len; ++i) out[op++] = out[ref + i];  // may overlap: byte by byte
    }
  }
  if (op != expected_len)
    return Fail(ErrorCode::kCorruption, "lzf data is corrupt: expanded to " + std::to_string(op) +
                                            " bytes, expected " + std::to_string(expected_len));
  return out;
}

std::string LzfCompress(std::string_view in) {
  std::string out;
  std::unordered_map<uint32_t, size_t> last;  // 3-byte prefix -> last position
  std::string lit;
  auto flush_lit = [&] {
    size_t i = 0;
    while (i < lit.size()) {
      size_t n = std::min<size_t>(32, lit.size() - i);
      out.push_back(static_cast<char>(n - 1));
      out.append(lit, i, n);
      i += n;
    }
    lit.clear();
  };
  size_t i = 0;
  while (i < in.size()) {
    if (i + 3 <= in.size()) {
      uint32_t h = static_cast<uint8_t>(in[i]) | static_cast<uint8_t>(in[i + 1]) << 8 |
                   static_cast<uint32_t>(static_cast<uint8_t>(in[i + 2])) << 16;
      auto it = last.find(h);
      size_t cand = it == last.end() ? SIZE_MAX : it->second;
      last[h] = i;
      if (cand != SIZE_MAX && i - cand <= 8192) {
        size_t len = 0;
        size_t max_len = std::min<size_t>(264, in.size() - i);
        while (len < max_len && in[cand + len] == in[i + len]) ++len;
        if (len >= 3) {
          flush_lit();
          size_t dist = i - cand - 1;
          size_t l = len - 2;
          if (l < 7) {
            out.push_back(static_cast<char>((l << 5) | (dist >> 8)));
          } else {
            out.push_back(static_cast<char>((7 << 5) | (dist >> 8)));
            out.push_back(static_cast<char>(l - 7));
          }
          out.push_back(static_cast<char>(dist & 0xff));
          i += len;
          continue;
        }
      }
    }
    lit.push_back(in[i++]);
  }
  flush_lit();
  return out;
}

}  // namespace summit::sources::redis
