// KMS key specs and algorithms: which KeySpec supports which KeyUsage, and which
// encryption / signing / MAC algorithms a key of a spec lists and accepts. The table is
// AWS's (KMS developer guide, "Key spec reference"), restricted to the specs Arcana
// implements (SYMMETRIC_DEFAULT, RSA_*, ECC_NIST_P*, ECC_NIST_EDWARDS25519, ECC_SECG_P256K1,
// HMAC_*; not ML_DSA_*, ML_KEM_* or SM2).
// Thread-safety: pure functions over constant tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/asymmetric.h"

namespace arcana::domain::kms {

bool IsSymmetricSpec(std::string_view spec);   // SYMMETRIC_DEFAULT
bool IsHmacSpec(std::string_view spec);        // HMAC_*
bool IsAsymmetricSpec(std::string_view spec);  // RSA_* and ECC_* (EDWARDS25519 too)
std::optional<crypto::AsymmetricSpec> AsymmetricSpecOf(std::string_view spec);
// Whether a key of the spec also answers the deprecated CustomerMasterKeySpec: the specs of
// its enum (the service model), those that existed when KeySpec replaced it. A newer spec
// (ECC_NIST_EDWARDS25519) is answered as KeySpec alone.
bool HasCustomerMasterKeySpec(std::string_view spec);
// Key length in bytes for an HMAC spec (HMAC_256 -> 32).
size_t HmacKeyBytes(std::string_view spec);

// Checks a CreateKey (KeySpec, KeyUsage) pair, filling defaults: the spec defaults to
// SYMMETRIC_DEFAULT, and the usage to ENCRYPT_DECRYPT for that spec only (every other
// spec needs an explicit KeyUsage, as on AWS). Errors: kValidation for a pair AWS
// rejects, kUnsupportedOperation for specs the model knows but Arcana does not implement.
Status CheckSpecAndUsage(std::string& spec, std::string& usage);

std::vector<std::string> EncryptionAlgorithmsFor(std::string_view spec, std::string_view usage);
std::vector<std::string> SigningAlgorithmsFor(std::string_view spec, std::string_view usage);
std::vector<std::string> MacAlgorithmsFor(std::string_view spec, std::string_view usage);
// ["ECDH"] for KEY_AGREEMENT keys (ECC_NIST_P256/P384/P521).
std::vector<std::string> KeyAgreementAlgorithmsFor(std::string_view spec, std::string_view usage);
// Imported HMAC key material: the lengths AWS accepts for the spec, in bytes
// (HMAC_224: 28-64, HMAC_256: 32-64, HMAC_384: 48-128, HMAC_512: 64-128); {0,0} otherwise.
std::pair<size_t, size_t> HmacImportLengths(std::string_view spec);

// RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256 -> hash; nullopt for others.
std::optional<crypto::HashAlg> OaepHash(std::string_view algorithm);
struct SigningParams {
  crypto::SignScheme scheme;
  crypto::HashAlg hash;
};
std::optional<SigningParams> SigningParamsOf(std::string_view algorithm);
std::optional<crypto::HashAlg> MacHash(std::string_view mac_algorithm);  // HMAC_SHA_256 -> kSha256

// The errors AWS answers when an algorithm does not fit a key, in AWS's words.
// kInvalidKeyUsage "Algorithm <alg> is incompatible with key spec <spec>.": an
// encryption, signing or MAC algorithm the key's spec does not list.
Status IncompatibleAlgorithm(std::string_view algorithm, std::string_view key_spec);
// kValidation "Algorithm <alg> and key spec <spec> cannot encrypt data larger than <n>
// bytes." when plaintext_bytes exceeds what RSAES-OAEP can take (k - 2*hLen - 2).
Status CheckRsaPlaintextSize(std::string_view key_spec, std::string_view algorithm,
                             size_t plaintext_bytes);
// kValidation "Digest is invalid length for algorithm <alg>." unless a DIGEST message
// is exactly as long as the signing algorithm's hash.
Status CheckDigestLength(std::string_view signing_algorithm, size_t digest_bytes);
// Ed25519 keys take one MessageType per algorithm (key spec reference): ED25519_SHA_512 RAW
// only, ED25519_PH_SHA_512 DIGEST only (a SHA-512 digest). kValidation "Message type RAW is
// incompatible with algorithm ED25519_PH_SHA_512." otherwise; OK for every other algorithm.
Status CheckMessageType(std::string_view signing_algorithm, bool message_is_digest);

}  // namespace arcana::domain::kms
