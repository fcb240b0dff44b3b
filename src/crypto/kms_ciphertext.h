// KMS symmetric ciphertext blobs: what Encrypt / GenerateDataKey return and Decrypt takes.
// The blob is self-describing, so Decrypt finds the key and the key material version by
// itself, and every header byte is authenticated (a flipped bit anywhere fails to open).
//
// Byte format version 2 (what KmsSymmetricEncrypt writes), lengths big-endian:
//
//   offset  size  field
//   0       1     format = 0x4C ('L'): Arcana KMS symmetric ciphertext, version 2
//   1       1     L = length of the key id (1..64)
//   2       L     key id, ASCII (a UUID, or "mrk-" + 32 hex for multi-Region keys)
//   2+L     32    key material id (raw bytes; its lowercase hex is the KeyMaterialId)
//   34+L    32    salt (random per encryption)
//   66+L    12    nonce (random per encryption)
//   78+L    N     AES-256-GCM ciphertext (N = plaintext length)
//   78+L+N  16    GCM tag
//
//   Per-message key = HKDF-SHA-256(IKM = key material, salt = salt,
//                                  info = "arcana:kms-ciphertext:v2" || header ||
//                                         SHA-256(CanonicalContext(EncryptionContext)))
//   AAD = header (blob[0 .. 66+L)) || CanonicalContext(EncryptionContext) (envelope.h).
//   As in AWS KMS, no two messages share a GCM key (the salt is 256 random bits), so the
//   2^32 random-nonce budget of one GCM key is never approached however much one key
//   material encrypts. Overhead = 94 + L bytes (130 for a UUID key id).
//
// Version 1 (format byte 0x4B 'K', written before version 2; still opened): the same header
// without the salt, the GCM key is the key material itself, AAD = header || context.
//
// Errors never contain plaintext or key material. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/envelope.h"

namespace arcana::crypto {

inline constexpr unsigned char kKmsCiphertextFormatV1 = 0x4B;
inline constexpr unsigned char kKmsCiphertextFormatV2 = 0x4C;
inline constexpr size_t kKmsMaterialIdSize = 32;
inline constexpr size_t kKmsSaltSize = 32;

// The parsed, not yet authenticated, header of a blob.
struct KmsCiphertextHeader {
  unsigned char format = 0;  // kKmsCiphertextFormatV1 or V2
  std::string key_id;
  std::string material_id;  // 32 raw bytes
  std::string salt;         // 32 raw bytes (version 2), "" (version 1)
  size_t size = 0;          // header length in bytes
};

// Parses the header; false when the blob cannot be one of ours (too short, unknown format
// byte, bad lengths). Success does not mean the blob is authentic.
bool ParseKmsCiphertextHeader(std::string_view blob, KmsCiphertextHeader* out);

// Encrypts plaintext under the 32-byte key material `material32` (version 2).
Result<std::string> KmsSymmetricEncrypt(std::string_view material32, std::string_view key_id,
                                        std::string_view material_id,
                                        const EncryptionContext& ctx, std::string_view plaintext);

// Opens a blob of either version with the material named by its header.
// kDecryptionFailure (caller maps to InvalidCiphertextException) on any mismatch.
Result<std::string> KmsSymmetricDecrypt(std::string_view material32, std::string_view blob,
                                        const EncryptionContext& ctx);

}  // namespace arcana::crypto
