// Helpers shared by the repository's tests: deterministic table-dump-like data and a small
// repository configuration so tests run fast (small chunks, small packs, cheap KDF).
#pragma once

#include <random>
#include <string>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "repo/repository.h"

namespace summit::repo::testutil {

inline std::string TableDump(size_t rows, uint32_t seed, size_t first_id = 0) {
  std::mt19937 rng(seed);
  std::string out;
  out.reserve(rows * 90);
  for (size_t i = first_id; i < first_id + rows; ++i) {
    out += std::to_string(i);
    out += "\tuser";
    out += std::to_string(rng() % 100000);
    out += "@example.com\t";
    out += std::to_string(rng());
    out += "\t2025-01-";
    out += std::to_string(1 + rng() % 28);
    out += " 12:00:00+00\t{\"score\":";
    out += std::to_string(rng() % 1000);
    out += "}\n";
  }
  return out;
}

inline InitOptions SmallRepo() {
  InitOptions o;
  o.chunker = {4096, 16384, 65536};
  o.pack_size = 64u << 10;
  o.kdf = crypto::TestKdfParams();
  o.workers = 2;
  o.host = "test-host";
  return o;
}

inline FakeClock& TestClock() {
  static FakeClock clock(std::chrono::sys_days{std::chrono::year{2025} / 1 / 20} + std::chrono::hours(2));
  return clock;
}

}  // namespace summit::repo::testutil
