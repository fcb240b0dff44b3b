// Cryptographically secure randomness from OpenSSL's RAND_bytes (the default DRBG); draws
// of up to 64 bytes are served from a per-thread block of its output (random.cc says why),
// each byte handed out once, and the block is discarded in a forked child.
// Failure of the system RNG is unrecoverable: these functions abort() rather than
// return weak randomness. Thread-safety: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace arcana::crypto {

// `n` random bytes.
std::string RandomBytes(size_t n);
// Uniform integer in [0, bound), unbiased (rejection sampling). bound == 0 returns 0.
uint32_t RandomUniform(uint32_t bound);
// Random (version 4, RFC 4122 variant) UUID, lowercase 8-4-4-4-12,
// e.g. "3f2b8c1e-9d4a-4e6b-8f1c-0a2b3c4d5e6f".
std::string NewUuidV4();

}  // namespace arcana::crypto
