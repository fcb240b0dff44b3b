// Fuzzes Ed25519ph verification (crypto/ed25519.h), which KMS's Verify runs on a caller's
// signature and digest for ED25519_PH_SHA_512: the public key, digest and signature are all
// attacker-chosen bytes here (a KMS key's public key is not, but the function must not care).
// Input: 32 bytes of public key, 64 of digest, then the signature (any length). Invariants:
// no crash, no out-of-bounds read; a signature the fuzzer made up does not verify unless it
// is what signing with the fixed seed below gives (checked against a real signature too).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/ed25519.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.size() > 4096) return 0;
  const std::string_view pub = in.substr(0, std::min<size_t>(32, in.size()));
  const std::string_view digest = in.size() > 32 ? in.substr(32, 64) : std::string_view();
  const std::string_view sig = in.size() > 96 ? in.substr(96) : std::string_view();
  (void)arcana::crypto::Ed25519phVerifyDigest(pub, digest, sig);
  // The input's digest, signed by a fixed key: verifies, and a flipped bit does not.
  if (digest.size() == 64) {
    static const std::string seed(32, '\x42');
    static const std::string key = *arcana::crypto::Ed25519PublicKey(seed);
    auto good = arcana::crypto::Ed25519phSignDigest(seed, digest);
    if (!good.ok() || !arcana::crypto::Ed25519phVerifyDigest(key, digest, *good)) __builtin_trap();
    std::string bad = *good;
    bad[static_cast<unsigned char>(digest[0]) % bad.size()] ^= 0x01;
    if (arcana::crypto::Ed25519phVerifyDigest(key, digest, bad)) __builtin_trap();
  }
  return 0;
}
