#include "crypto/kms_ciphertext.h"

#include "crypto/aead.h"

namespace arcana::crypto {

namespace {
constexpr size_t kMaxKeyIdLength = 64;
}

bool ParseKmsCiphertextHeader(std::string_view blob, KmsCiphertextHeader* out) {
  if (blob.size() < 2 || static_cast<unsigned char>(blob[0]) != kKmsCiphertextFormatV1) return false;
  size_t l = static_cast<unsigned char>(blob[1]);
  if (l == 0 || l > kMaxKeyIdLength) return false;
  if (blob.size() < 2 + l + kKmsMaterialIdSize + kAeadOverhead) return false;
  out->key_id.assign(blob.substr(2, l));
  out->material_id.assign(blob.substr(2 + l, kKmsMaterialIdSize));
  for (char c : out->key_id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

Result<std::string> KmsSymmetricEncrypt(std::string_view material32, std::string_view key_id,
                                        std::string_view material_id,
                                        const EncryptionContext& ctx, std::string_view plaintext) {
  if (key_id.empty() || key_id.size() > kMaxKeyIdLength ||
      material_id.size() != kKmsMaterialIdSize) {
    return Status(ErrorCode::kEncryptionFailure, "invalid key identifier for a KMS ciphertext");
  }
  std::string header;
  header.reserve(2 + key_id.size() + kKmsMaterialIdSize);
  header.push_back(static_cast<char>(kKmsCiphertextFormatV1));
  header.push_back(static_cast<char>(key_id.size()));
  header.append(key_id);
  header.append(material_id);
  std::string aad = header + CanonicalContext(ctx);
  ARCANA_ASSIGN_OR_RETURN(std::string body, AeadSeal(material32, plaintext, aad));
  return header + body;
}

Result<std::string> KmsSymmetricDecrypt(std::string_view material32, std::string_view blob,
                                        const EncryptionContext& ctx) {
  KmsCiphertextHeader h;
  if (!ParseKmsCiphertextHeader(blob, &h)) {
    return Status(ErrorCode::kDecryptionFailure, "not a KMS ciphertext");
  }
  size_t header_len = 2 + h.key_id.size() + kKmsMaterialIdSize;
  std::string aad(blob.substr(0, header_len));
  aad += CanonicalContext(ctx);
  return AeadOpen(material32, blob.substr(header_len), aad);
}

}  // namespace arcana::crypto
