#include "crypto/random.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdlib>
#include <cstring>

#include "crypto/hash.h"

namespace arcana::crypto {
namespace {

void Fill(void* buf, size_t n) {
  auto* p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    const int chunk = n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
    if (RAND_bytes(p, chunk) != 1) std::abort();
    p += chunk;
    n -= static_cast<size_t>(chunk);
  }
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0) Fill(out.data(), n);
  return out;
}

uint32_t RandomUniform(uint32_t bound) {
  if (bound <= 1) return 0;
  // Values below `threshold` would make the low residues more likely: reject them.
  // threshold = 2^32 mod bound.
  const uint32_t threshold = static_cast<uint32_t>(-bound) % bound;
  for (;;) {
    uint32_t r;
    Fill(&r, sizeof(r));
    if (r >= threshold) return r % bound;
  }
}

std::string NewUuidV4() {
  unsigned char b[16];
  Fill(b, sizeof(b));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10xx
  const std::string hex = HexEncode(std::string_view(reinterpret_cast<const char*>(b), 16));
  std::string out;
  out.reserve(36);
  out.append(hex, 0, 8).append(1, '-');
  out.append(hex, 8, 4).append(1, '-');
  out.append(hex, 12, 4).append(1, '-');
  out.append(hex, 16, 4).append(1, '-');
  out.append(hex, 20, 12);
  return out;
}

}  // namespace arcana::crypto
