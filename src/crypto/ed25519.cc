#include "crypto/ed25519.h"

#include <openssl/evp.h>

#include "crypto/asymmetric.h"

namespace arcana::crypto {
namespace {

Status Failed(const char* what) {
  return Status(ErrorCode::kInternalFailure, std::string("Ed25519: ") + what);
}

Result<PKey> PrivateFromSeed(std::string_view seed32) {
  if (seed32.size() != kEd25519SeedSize) return Failed("the seed must be 32 bytes");
  PKey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<const unsigned char*>(seed32.data()),
                                        seed32.size()));
  if (!key) return Failed("cannot load the private key");
  return key;
}

}  // namespace

Result<std::string> Ed25519PublicKey(std::string_view seed32) {
  ARCANA_ASSIGN_OR_RETURN(PKey key, PrivateFromSeed(seed32));
  std::string out(32, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(out.data()),
                                  &len) != 1 || len != 32) {
    return Failed("cannot export the public key");
  }
  return out;
}

Result<std::string> Ed25519Sign(std::string_view seed32, std::string_view message) {
  ARCANA_ASSIGN_OR_RETURN(PKey key, PrivateFromSeed(seed32));
  MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return Failed("cannot start signing");
  }
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 || len != kEd25519SignatureSize) {
    return Failed("cannot sign");
  }
  return sig;
}

bool Ed25519Verify(std::string_view public32, std::string_view message,
                   std::string_view signature) {
  if (public32.size() != 32 || signature.size() != kEd25519SignatureSize) return false;
  PKey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(public32.data()),
                                       public32.size()));
  if (!key) return false;
  MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace arcana::crypto
