// KMS symmetric ciphertext blobs: what Encrypt / GenerateDataKey return and Decrypt takes.
// The blob is self-describing, so Decrypt finds the key and the key material version by
// itself, and every header byte is authenticated (a flipped bit anywhere fails to open).
//
// Byte format (version 1), lengths big-endian:
//
//   offset  size  field
//   0       1     format = 0x4B ('K'): Arcana KMS symmetric ciphertext, version 1
//   1       1     L = length of the key id (1..64)
//   2       L     key id, ASCII (a UUID, or "mrk-" + 32 hex for multi-Region keys)
//   2+L     32    key material id (raw bytes; its lowercase hex is the KeyMaterialId)
//   34+L    12    nonce (random per encryption)
//   46+L    N     AES-256-GCM ciphertext (N = plaintext length)
//   46+L+N  16    GCM tag
//
//   AAD = blob[0 .. 34+L) (the whole header) || CanonicalContext(EncryptionContext)
//   (envelope.h), so the key id, the material id and the exact encryption context are
//   all bound to the ciphertext. Overhead = 62 + L bytes (98 for a UUID key id).
//
// Errors never contain plaintext or key material. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/envelope.h"

namespace arcana::crypto {

inline constexpr unsigned char kKmsCiphertextFormatV1 = 0x4B;
inline constexpr size_t kKmsMaterialIdSize = 32;

// The parsed, not yet authenticated, header of a blob.
struct KmsCiphertextHeader {
  std::string key_id;
  std::string material_id;  // 32 raw bytes
};

// Parses the header; false when the blob cannot be one of ours (too short, wrong format
// byte, bad lengths). Success does not mean the blob is authentic.
bool ParseKmsCiphertextHeader(std::string_view blob, KmsCiphertextHeader* out);

// Encrypts plaintext under the 32-byte key material `material32`.
Result<std::string> KmsSymmetricEncrypt(std::string_view material32, std::string_view key_id,
                                        std::string_view material_id,
                                        const EncryptionContext& ctx, std::string_view plaintext);

// Opens a blob produced by KmsSymmetricEncrypt with the material named by its header.
// kDecryptionFailure (caller maps to InvalidCiphertextException) on any mismatch.
Result<std::string> KmsSymmetricDecrypt(std::string_view material32, std::string_view blob,
                                        const EncryptionContext& ctx);

}  // namespace arcana::crypto
