// Cryptography of key import (KMS BYOK) and key agreement, over OpenSSL 3 EVP:
// - AES key wrap with padding (RFC 5649, OpenSSL "id-aes256-wrap-pad"), the inner layer of
//   AWS's RSA_AES_KEY_WRAP_SHA_* wrapping algorithms;
// - RSA_AES_KEY_WRAP unwrapping: the blob is RSA-OAEP(ephemeral AES-256 key) followed by
//   AES-KWP(key material) (what `openssl pkeyutl` + `openssl enc -id-aes256-wrap-pad` make,
//   as AWS's "Encrypt the key material" guide shows);
// - checking that imported private key material (PKCS#8 DER) is of a given spec;
// - ECDH (raw shared secret, the x coordinate, as EVP_PKEY_derive gives it).
// Errors never contain key material. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/asymmetric.h"

namespace arcana::crypto {

// RFC 5649 with a 256-bit key encryption key. Unwrap: kDecryptionFailure on any failure
// (wrong key, tampered, malformed).
Result<std::string> AesKeyWrapPad(std::string_view kek32, std::string_view plaintext);
Result<std::string> AesKeyUnwrapPad(std::string_view kek32, std::string_view wrapped);

// RSA_AES_KEY_WRAP_SHA_1 / _SHA_256 (hash = the OAEP hash): the first modulus-size bytes
// are the RSA-OAEP encrypted AES-256 key, the rest the AES-KWP wrapped material.
// kDecryptionFailure on any failure.
Result<std::string> RsaAesKeyWrap(EVP_PKEY* wrapping_public, HashAlg hash,
                                  std::string_view material);
Result<std::string> RsaAesKeyUnwrap(EVP_PKEY* wrapping_private, HashAlg hash,
                                    std::string_view blob);

// The modulus size in bytes of an RSA key (the size of every RSA-OAEP ciphertext made with
// it); 0 for a key that is not RSA.
size_t RsaModulusBytes(EVP_PKEY* key);

// Whether `pkcs8_der` is a private key of `spec` (RSA modulus size, or EC curve).
bool PrivateKeyIsOfSpec(std::string_view pkcs8_der, AsymmetricSpec spec);

// ECDH between our EC private key and a peer's EC public key on the same curve.
// kValidation when the peer key is not EC or is on another curve.
Result<std::string> EcdhSharedSecret(EVP_PKEY* ours, EVP_PKEY* peer);

}  // namespace arcana::crypto
