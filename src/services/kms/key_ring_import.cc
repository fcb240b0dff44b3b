// KeyRing, imported key material (Origin EXTERNAL): import parameters and tokens, unwrapping,
// material ids. The KMS operations around them are in kms_import_ops.cc.
#include <charconv>

#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/hash.h"
#include "crypto/key_import.h"
#include "domain/kms/rules.h"
#include "domain/kms/specs.h"
#include "services/kms/key_ring.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {

constexpr int64_t kImportTokenLifetimeMs = int64_t{24} * 3600 * 1000;
constexpr std::string_view kTokenVersion = "it1";

std::string TokenAad(const Key& key) {
  return "arcana:kms:import-token|" + dk::KeyArn(key.region, key.account, key.key_id);
}

Status InvalidToken() {
  return Status(ErrorCode::kInvalidImportToken,
                "The import token is invalid: use the token GetParametersForImport returned for "
                "this KMS key.");
}

}  // namespace

Result<KeyRing::ImportParameters> KeyRing::NewImportParameters(const Key& key,
                                                               const std::string& algorithm,
                                                               const std::string& wrapping_spec,
                                                               int64_t now_ms) {
  crypto::AsymmetricSpec spec;
  if (wrapping_spec == "RSA_2048") {
    spec = crypto::AsymmetricSpec::kRsa2048;
  } else if (wrapping_spec == "RSA_3072") {
    spec = crypto::AsymmetricSpec::kRsa3072;
  } else if (wrapping_spec == "RSA_4096") {
    spec = crypto::AsymmetricSpec::kRsa4096;
  } else {
    return Status(ErrorCode::kUnsupportedOperation,
                  "WrappingKeySpec " + wrapping_spec + " is not supported in this region.");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string pkcs8, crypto::GenerateKeyPair(spec));
  auto pkey = crypto::LoadPrivateKey(pkcs8);
  auto pub = pkey.ok() ? crypto::ExportPublicKey(pkey->get()) : Result<std::string>(pkey.status());
  if (!pub.ok()) {
    crypto::SecureWipe(pkcs8);
    return Status(ErrorCode::kKmsInternal, "wrapping key generation failed");
  }
  ImportParameters out;
  out.public_key = std::move(*pub);
  out.valid_to_ms = now_ms + kImportTokenLifetimeMs;
  // it1|<algorithm>|<valid to ms>|<PKCS#8 wrapping private key>
  std::string payload = std::string(kTokenVersion) + "|" + algorithm + "|" +
                        std::to_string(out.valid_to_ms) + "|" + pkcs8;
  crypto::SecureWipe(pkcs8);
  auto sealed = root_.Seal(payload, TokenAad(key));
  crypto::SecureWipe(payload);
  if (!sealed.ok()) {
    if (sealed.status().code() == ErrorCode::kServiceUnavailable) return sealed.status();
    return Status(ErrorCode::kKmsInternal, "cannot seal the import token");
  }
  out.token = std::move(sealed).value();
  return out;
}

Result<std::string> KeyRing::UnwrapImportedMaterial(const Key& key, std::string_view token,
                                                    std::string_view encrypted, int64_t now_ms) {
  auto payload = root_.Open(token, TokenAad(key));
  if (!payload.ok()) {
    if (payload.status().code() == ErrorCode::kServiceUnavailable) return payload.status();
    return InvalidToken();
  }
  std::string_view p = *payload;
  size_t a = p.find('|');
  size_t b = a == std::string_view::npos ? a : p.find('|', a + 1);
  size_t c = b == std::string_view::npos ? b : p.find('|', b + 1);
  if (c == std::string_view::npos || p.substr(0, a) != kTokenVersion) {
    crypto::SecureWipe(*payload);
    return InvalidToken();
  }
  std::string algorithm(p.substr(a + 1, b - a - 1));
  int64_t valid_to = 0;
  std::string_view valid_text = p.substr(b + 1, c - b - 1);
  std::from_chars(valid_text.data(), valid_text.data() + valid_text.size(), valid_to);
  auto pkey = crypto::LoadPrivateKey(p.substr(c + 1));
  crypto::SecureWipe(*payload);
  if (!pkey.ok()) return InvalidToken();
  if (valid_to <= now_ms) {
    return Status(ErrorCode::kExpiredImportToken,
                  "The import token has expired: call GetParametersForImport for a new one.");
  }
  // A blob whose size cannot be that of the wrapping algorithm's output (RSA-OAEP: exactly the
  // wrapping key's modulus size; RSA-AES key wrap: more than it) is refused before any
  // decryption, in AWS's words (an AWS answer quoted in nsmithuk/local-kms's ImportKeyMaterial);
  // a blob of the right size that does not decrypt is InvalidCiphertextException below.
  const size_t modulus = crypto::RsaModulusBytes(pkey->get());
  const bool oaep = algorithm == "RSAES_OAEP_SHA_1" || algorithm == "RSAES_OAEP_SHA_256";
  if (oaep ? encrypted.size() != modulus : encrypted.size() <= modulus) {
    return Status(ErrorCode::kValidation, "Invalid encrypted key size.");
  }
  Result<std::string> material = Status(ErrorCode::kDecryptionFailure, "");
  if (oaep) {
    material = crypto::RsaOaepDecrypt(pkey->get(), *dk::OaepHash(algorithm), encrypted);
  } else if (algorithm == "RSA_AES_KEY_WRAP_SHA_1" || algorithm == "RSA_AES_KEY_WRAP_SHA_256") {
    material = crypto::RsaAesKeyUnwrap(
        pkey->get(),
        algorithm == "RSA_AES_KEY_WRAP_SHA_1" ? crypto::HashAlg::kSha1 : crypto::HashAlg::kSha256,
        encrypted);
  }
  if (!material.ok()) return Status(ErrorCode::kInvalidCiphertext, "");
  return material;
}

Result<std::string> KeyRing::ImportedMaterialId(const Key& key, std::string_view material) {
  ARCANA_ASSIGN_OR_RETURN(std::string mac_key, root_.DeriveKey("kms:imported-material-id"));
  std::string data =
      dk::KeyArn(key.multi_region ? "*" : key.region, key.account, key.key_id) + "|";
  data.append(material);
  std::string mac = crypto::HmacSha256(mac_key, data);
  crypto::SecureWipe(data);
  crypto::SecureWipe(mac_key);
  return crypto::HexEncode(mac);
}

}  // namespace arcana::services::kms
