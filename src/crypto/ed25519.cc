#include "crypto/ed25519.h"

#include <sodium.h>

#include <openssl/evp.h>

#include <cstring>
#include <initializer_list>

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

const unsigned char* EdBytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;  // idempotent and thread-safe
  return ready;
}

// dom2(1, "") (RFC 8032 section 2): sets an Ed25519ph hash apart from pure Ed25519's.
constexpr std::string_view kDom2Ph("SigEd25519 no Ed25519 collisions\x01\x00", 34);

// SHA-512 of the parts' concatenation, reduced modulo the group order L.
void HashToScalar(unsigned char out[crypto_core_ed25519_SCALARBYTES],
                  std::initializer_list<std::string_view> parts) {
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  for (std::string_view p : parts) crypto_hash_sha512_update(&st, EdBytes(p), p.size());
  unsigned char h[crypto_hash_sha512_BYTES];
  crypto_hash_sha512_final(&st, h);
  crypto_core_ed25519_scalar_reduce(out, h);
  sodium_memzero(h, sizeof h);
}

std::string_view EdView(const unsigned char* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
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

Result<std::string> Ed25519phSignDigest(std::string_view seed32, std::string_view digest64) {
  if (!SodiumReady()) return Failed("libsodium did not initialise");
  if (seed32.size() != kEd25519SeedSize || digest64.size() != crypto_hash_sha512_BYTES) {
    return Failed("Ed25519ph needs a 32-byte seed and a 64-byte digest");
  }
  // RFC 8032 5.1.5-5.1.6: the secret scalar s (clamped) and the nonce prefix from SHA-512(seed).
  unsigned char az[crypto_hash_sha512_BYTES];
  crypto_hash_sha512(az, EdBytes(seed32), seed32.size());
  az[0] &= 248;
  az[31] &= 127;
  az[31] |= 64;
  unsigned char wide[crypto_core_ed25519_NONREDUCEDSCALARBYTES] = {0};
  std::memcpy(wide, az, 32);
  unsigned char s[crypto_core_ed25519_SCALARBYTES], a[crypto_core_ed25519_BYTES];
  unsigned char r[crypto_core_ed25519_SCALARBYTES], big_r[crypto_core_ed25519_BYTES];
  unsigned char k[crypto_core_ed25519_SCALARBYTES], ks[crypto_core_ed25519_SCALARBYTES];
  unsigned char big_s[crypto_core_ed25519_SCALARBYTES];
  crypto_core_ed25519_scalar_reduce(s, wide);  // [s]B = [s mod L]B: B has order L
  bool ok = crypto_scalarmult_ed25519_base_noclamp(a, s) == 0;
  // r = SHA-512(dom2 || prefix || PH(M)) mod L; R = [r]B.
  HashToScalar(r, {kDom2Ph, EdView(az + 32, 32), digest64});
  ok = ok && crypto_scalarmult_ed25519_base_noclamp(big_r, r) == 0;
  // k = SHA-512(dom2 || R || A || PH(M)) mod L; S = (r + k * s) mod L.
  HashToScalar(k, {kDom2Ph, EdView(big_r, sizeof big_r), EdView(a, sizeof a), digest64});
  crypto_core_ed25519_scalar_mul(ks, k, s);
  crypto_core_ed25519_scalar_add(big_s, r, ks);
  std::string sig = std::string(EdView(big_r, sizeof big_r)) + std::string(EdView(big_s, sizeof big_s));
  sodium_memzero(az, sizeof az);
  sodium_memzero(wide, sizeof wide);
  sodium_memzero(s, sizeof s);
  sodium_memzero(r, sizeof r);
  sodium_memzero(ks, sizeof ks);
  if (!ok) return Failed("cannot sign");  // a scalar of 0: never, but for a broken library
  return sig;
}

bool Ed25519phVerifyDigest(std::string_view public32, std::string_view digest64,
                           std::string_view signature) {
  if (!SodiumReady() || public32.size() != crypto_core_ed25519_BYTES ||
      digest64.size() != crypto_hash_sha512_BYTES ||
      signature.size() != kEd25519SignatureSize) {
    return false;
  }
  const std::string_view big_r = signature.substr(0, 32), big_s = signature.substr(32);
  // S must be below L (RFC 8032 5.1.7: no malleable second form of a signature).
  unsigned char wide[crypto_core_ed25519_NONREDUCEDSCALARBYTES] = {0};
  std::memcpy(wide, big_s.data(), 32);
  unsigned char reduced[crypto_core_ed25519_SCALARBYTES];
  crypto_core_ed25519_scalar_reduce(reduced, wide);
  if (std::memcmp(reduced, big_s.data(), 32) != 0) return false;
  if (crypto_core_ed25519_is_valid_point(EdBytes(public32)) != 1) return false;
  unsigned char k[crypto_core_ed25519_SCALARBYTES];
  HashToScalar(k, {kDom2Ph, big_r, public32, digest64});
  unsigned char sb[crypto_core_ed25519_BYTES], ka[crypto_core_ed25519_BYTES],
      r_plus_ka[crypto_core_ed25519_BYTES];
  // [S]B = R + [k]A; each call refuses what is no point (or the identity, for a zero scalar).
  return crypto_scalarmult_ed25519_base_noclamp(sb, EdBytes(big_s)) == 0 &&
         crypto_scalarmult_ed25519_noclamp(ka, k, EdBytes(public32)) == 0 &&
         crypto_core_ed25519_add(r_plus_ka, EdBytes(big_r), ka) == 0 &&
         crypto_verify_32(r_plus_ka, sb) == 0;
}

}  // namespace arcana::crypto
