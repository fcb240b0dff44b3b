#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
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

// Small draws (nonces, salts, data keys, UUIDs, ARN suffix characters) come from a per-thread
// block of DRBG output. Each RAND_bytes call costs several thousand instructions whatever its
// size (the DRBG's per-call reseed check and state update), and one write draws a dozen
// small values. Bytes handed out are wiped from the block, so nothing is handed out twice,
// and what is not yet handed out is no more exposed than the DRBG state that would produce it.
constexpr size_t kBlockBytes = 512;
constexpr size_t kDirectFrom = 65;  // larger requests go to the DRBG directly

// A forked child must not hand out the bytes its parent will also hand out. Arcana's
// children exec at once, but the block is discarded after any fork all the same.
std::atomic<uint64_t> g_fork_generation{0};
void AfterForkInChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct Block {
  unsigned char bytes[kBlockBytes];
  size_t next = kBlockBytes;  // bytes[next..] are unused; starts empty
  uint64_t generation = 0;
  ~Block() { OPENSSL_cleanse(bytes, sizeof(bytes)); }
};

void Draw(void* out, size_t n) {
  if (n >= kDirectFrom) return Fill(out, n);
  static const bool registered = pthread_atfork(nullptr, nullptr, AfterForkInChild) == 0;
  if (!registered) return Fill(out, n);
  thread_local Block block;
  const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (block.generation != generation) {
    OPENSSL_cleanse(block.bytes, sizeof(block.bytes));
    block.next = kBlockBytes;
    block.generation = generation;
  }
  if (kBlockBytes - block.next < n) {
    Fill(block.bytes, kBlockBytes);
    block.next = 0;
  }
  std::memcpy(out, block.bytes + block.next, n);
  OPENSSL_cleanse(block.bytes + block.next, n);
  block.next += n;
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0) Draw(out.data(), n);
  return out;
}

uint32_t RandomUniform(uint32_t bound) {
  if (bound <= 1) return 0;
  // Values below `threshold` would make the low residues more likely: reject them.
  // threshold = 2^32 mod bound.
  const uint32_t threshold = static_cast<uint32_t>(-bound) % bound;
  for (;;) {
    uint32_t r;
    Draw(&r, sizeof(r));
    if (r >= threshold) return r % bound;
  }
}

std::string NewUuidV4() {
  unsigned char b[16];
  Draw(b, sizeof(b));
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
