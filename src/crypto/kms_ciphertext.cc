#include "crypto/kms_ciphertext.h"

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::crypto {

namespace {

constexpr size_t kMaxKeyIdLength = 64;
constexpr std::string_view kInfoLabel = "arcana:kms-ciphertext:v2";

Status DecryptError() { return Status(ErrorCode::kDecryptionFailure, "not a valid KMS ciphertext"); }

// The per-message GCM key of a version 2 blob ("" when OpenSSL fails).
std::string MessageKey(std::string_view material32, std::string_view header, std::string_view salt,
                       const std::string& context) {
  std::string info(kInfoLabel);
  info += header;
  info += Sha256(context);
  return HkdfSha256(material32, salt, info, kAeadKeySize);
}

}  // namespace

bool ParseKmsCiphertextHeader(std::string_view blob, KmsCiphertextHeader* out) {
  if (blob.size() < 2) return false;
  const auto format = static_cast<unsigned char>(blob[0]);
  if (format != kKmsCiphertextFormatV1 && format != kKmsCiphertextFormatV2) return false;
  size_t l = static_cast<unsigned char>(blob[1]);
  if (l == 0 || l > kMaxKeyIdLength) return false;
  const size_t salt_size = format == kKmsCiphertextFormatV2 ? kKmsSaltSize : 0;
  const size_t header = 2 + l + kKmsMaterialIdSize + salt_size;
  if (blob.size() < header + kAeadOverhead) return false;
  out->format = format;
  out->key_id.assign(blob.substr(2, l));
  out->material_id.assign(blob.substr(2 + l, kKmsMaterialIdSize));
  out->salt.assign(blob.substr(2 + l + kKmsMaterialIdSize, salt_size));
  out->size = header;
  for (char c : out->key_id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

Result<std::string> KmsSymmetricEncrypt(std::string_view material32, std::string_view key_id,
                                        std::string_view material_id,
                                        const EncryptionContext& ctx, std::string_view plaintext) {
  if (key_id.empty() || key_id.size() > kMaxKeyIdLength ||
      material_id.size() != kKmsMaterialIdSize || material32.size() != kAeadKeySize) {
    return Status(ErrorCode::kEncryptionFailure, "invalid key identifier for a KMS ciphertext");
  }
  std::string header;
  header.reserve(2 + key_id.size() + kKmsMaterialIdSize + kKmsSaltSize);
  header.push_back(static_cast<char>(kKmsCiphertextFormatV2));
  header.push_back(static_cast<char>(key_id.size()));
  header.append(key_id);
  header.append(material_id);
  const std::string salt = RandomBytes(kKmsSaltSize);  // fresh per message
  header.append(salt);
  const std::string context = CanonicalContext(ctx);
  std::string key = MessageKey(material32, header, salt, context);
  if (key.empty()) return Status(ErrorCode::kEncryptionFailure, "Encryption failed.");
  auto body = AeadSeal(key, plaintext, header + context);
  SecureWipe(key);
  if (!body.ok()) return body.status();
  return header + *body;
}

Result<std::string> KmsSymmetricDecrypt(std::string_view material32, std::string_view blob,
                                        const EncryptionContext& ctx) {
  KmsCiphertextHeader h;
  if (!ParseKmsCiphertextHeader(blob, &h)) return DecryptError();
  const std::string_view header = blob.substr(0, h.size);
  const std::string context = CanonicalContext(ctx);
  std::string aad(header);
  aad += context;
  if (h.format == kKmsCiphertextFormatV1) {
    // Written before per-message keys: the material is the GCM key.
    return AeadOpen(material32, blob.substr(h.size), aad);
  }
  std::string key = MessageKey(material32, header, h.salt, context);
  if (key.empty()) return DecryptError();
  auto plain = AeadOpen(key, blob.substr(h.size), aad);
  SecureWipe(key);
  return plain;
}

}  // namespace arcana::crypto
