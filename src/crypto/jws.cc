#include "crypto/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <memory>

#include "crypto/asymmetric.h"

namespace arcana::crypto {
namespace {

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Bn ToBn(std::string_view big_endian) {
  return Bn(BN_bin2bn(U(big_endian), static_cast<int>(big_endian.size()), nullptr));
}

struct AlgInfo {
  SignScheme scheme;
  HashAlg hash;
  const char* curve;      // ECDSA: the curve the key must be on (its JWK "crv")
  size_t coordinate_len;  // ECDSA: bytes of r and of s in the JWS signature
};

bool Lookup(std::string_view alg, AlgInfo* out) {
  if (alg == "RS256") *out = {SignScheme::kRsaPkcs1, HashAlg::kSha256, nullptr, 0};
  else if (alg == "RS384") *out = {SignScheme::kRsaPkcs1, HashAlg::kSha384, nullptr, 0};
  else if (alg == "RS512") *out = {SignScheme::kRsaPkcs1, HashAlg::kSha512, nullptr, 0};
  else if (alg == "PS256") *out = {SignScheme::kRsaPss, HashAlg::kSha256, nullptr, 0};
  else if (alg == "PS384") *out = {SignScheme::kRsaPss, HashAlg::kSha384, nullptr, 0};
  else if (alg == "PS512") *out = {SignScheme::kRsaPss, HashAlg::kSha512, nullptr, 0};
  else if (alg == "ES256") *out = {SignScheme::kEcdsa, HashAlg::kSha256, "P-256", 32};
  else if (alg == "ES384") *out = {SignScheme::kEcdsa, HashAlg::kSha384, "P-384", 48};
  else if (alg == "ES512") *out = {SignScheme::kEcdsa, HashAlg::kSha512, "P-521", 66};
  else return false;
  return true;
}

// A public key of `type` ("RSA", "EC") from the parameters built in bld; null when they do
// not make one.
PKey FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  PKeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return nullptr;
  }
  return PKey(key);
}

// The public key of an RSA JWK; null when it does not load.
PKey RsaKey(const JwkPublicKey& jwk) {
  Bn n = ToBn(jwk.n), e = ToBn(jwk.e);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    return nullptr;
  }
  return FromParams("RSA", bld.get());
}

// The public key of an EC JWK (an uncompressed point checked to lie on the curve); null when
// it does not load.
PKey EcKey(const JwkPublicKey& jwk, const char* curve, size_t coordinate_len) {
  if (jwk.crv != curve || jwk.x.size() != coordinate_len || jwk.y.size() != coordinate_len) {
    return nullptr;
  }
  const char* group = jwk.crv == "P-256" ? "prime256v1" : jwk.crv == "P-384" ? "secp384r1" : "secp521r1";
  std::string point = "\x04" + jwk.x + jwk.y;
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    return nullptr;
  }
  PKey loaded = FromParams("EC", bld.get());
  if (!loaded) return nullptr;
  // fromdata does not check that the point is on the curve; a public-key check does.
  PKeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, loaded.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return loaded;
}

// RFC 7518's r || s as the DER Ecdsa-Sig-Value OpenSSL verifies; "" when malformed.
std::string EcdsaRawToDer(std::string_view raw, size_t coordinate_len) {
  if (raw.size() != 2 * coordinate_len) return {};
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(U(raw), static_cast<int>(coordinate_len), nullptr);
  BIGNUM* s = BN_bin2bn(U(raw) + coordinate_len, static_cast<int>(coordinate_len), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return {};
  return der;
}

// DER Ecdsa-Sig-Value as RFC 7518's fixed-length r || s; "" when malformed.
std::string EcdsaDerToRaw(std::string_view der, size_t coordinate_len) {
  const unsigned char* p = U(der);
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * coordinate_len, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, static_cast<int>(coordinate_len)) < 0 ||
      BN_bn2binpad(s, out + coordinate_len, static_cast<int>(coordinate_len)) < 0) {
    return {};
  }
  return raw;
}

// A key parameter as big-endian bytes ("" when the key lacks it).
std::string BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return {};
  Bn bn(raw);
  std::string out(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// The JWK curve name ("P-256", "P-384", "P-521") of an EC key's group; "" for another group
// (secp256k1 and the Brainpool curves have the same sizes, so bits alone do not tell).
std::string JwkCurveOf(EVP_PKEY* key) {
  char group[64] = {};
  size_t len = 0;
  if (!EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &len) != 1) {
    ERR_clear_error();
    return {};
  }
  const std::string_view name(group, len);
  if (name == "prime256v1" || name == "P-256") return "P-256";
  if (name == "secp384r1" || name == "P-384") return "P-384";
  if (name == "secp521r1" || name == "P-521") return "P-521";
  return {};
}

}  // namespace

Result<std::string> SignJws(std::string_view alg, std::string_view pkcs8_der,
                            std::string_view signing_input) {
  AlgInfo info;
  if (alg != "RS256" && alg != "ES384") {
    return Status(ErrorCode::kValidation, "unsupported JWS signing algorithm");
  }
  Lookup(alg, &info);
  ARCANA_ASSIGN_OR_RETURN(PKey key, LoadPrivateKey(pkcs8_der));
  const bool fits = info.scheme == SignScheme::kEcdsa
                        ? JwkCurveOf(key.get()) == info.curve
                        : EVP_PKEY_is_a(key.get(), "RSA") && EVP_PKEY_get_bits(key.get()) >= 2048;
  if (!fits) return Status(ErrorCode::kValidation, "the key does not fit " + std::string(alg));
  auto sig = SignMessage(key.get(), info.scheme, info.hash, signing_input,
                         /*message_is_digest=*/false);
  ERR_clear_error();
  if (!sig.ok()) return sig.status();
  if (info.scheme != SignScheme::kEcdsa) return sig;
  std::string raw = EcdsaDerToRaw(*sig, info.coordinate_len);
  if (raw.empty()) return Status(ErrorCode::kInternalFailure, "malformed ECDSA signature");
  return raw;
}

Result<JwkPublicKey> PublicJwkOf(std::string_view pkcs8_der) {
  ARCANA_ASSIGN_OR_RETURN(PKey key, LoadPrivateKey(pkcs8_der));
  JwkPublicKey jwk;
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    jwk.kty = "RSA";
    jwk.n = BnParam(key.get(), OSSL_PKEY_PARAM_RSA_N);
    jwk.e = BnParam(key.get(), OSSL_PKEY_PARAM_RSA_E);
    if (jwk.n.empty() || jwk.e.empty()) return Status(ErrorCode::kInternalFailure, "RSA key");
    return jwk;
  }
  if (!EVP_PKEY_is_a(key.get(), "EC")) {
    return Status(ErrorCode::kValidation, "neither an RSA nor an EC key");
  }
  jwk.crv = JwkCurveOf(key.get());
  if (jwk.crv.empty()) return Status(ErrorCode::kValidation, "an EC key on another curve");
  const size_t len = jwk.crv == "P-256" ? 32 : jwk.crv == "P-384" ? 48 : 66;
  jwk.kty = "EC";
  // The point, uncompressed: 0x04 || x || y, each coordinate `len` bytes.
  std::string point(1 + 2 * len, '\0');
  size_t got = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      reinterpret_cast<unsigned char*>(point.data()),
                                      point.size(), &got) != 1 ||
      got != point.size() || point[0] != '\x04') {
    ERR_clear_error();
    return Status(ErrorCode::kInternalFailure, "EC public point");
  }
  jwk.x = point.substr(1, len);
  jwk.y = point.substr(1 + len, len);
  return jwk;
}

bool IsSupportedJwsAlgorithm(std::string_view alg) {
  AlgInfo info;
  return Lookup(alg, &info);
}

Result<bool> VerifyJws(std::string_view alg, const JwkPublicKey& key,
                       std::string_view signing_input, std::string_view signature) {
  AlgInfo info;
  if (!Lookup(alg, &info)) {
    return Status(ErrorCode::kValidation, "unsupported JWS algorithm");
  }
  PKey pkey;
  std::string sig(signature);
  if (info.scheme == SignScheme::kEcdsa) {
    if (key.kty != "EC") return false;
    pkey = EcKey(key, info.curve, info.coordinate_len);
    if (!pkey) {
      ERR_clear_error();
      return key.crv == info.curve ? Result<bool>(Status(ErrorCode::kValidation, "EC key does not load"))
                                   : Result<bool>(false);
    }
    sig = EcdsaRawToDer(signature, info.coordinate_len);
    if (sig.empty()) return false;
  } else {
    if (key.kty != "RSA") return false;
    pkey = RsaKey(key);
    if (!pkey) {
      ERR_clear_error();
      return Status(ErrorCode::kValidation, "RSA key does not load");
    }
    // RFC 7518 section 3.3: keys of 2048 bits or more.
    if (EVP_PKEY_get_bits(pkey.get()) < 2048) return false;
  }
  auto ok = VerifySignature(pkey.get(), info.scheme, info.hash, signing_input,
                            /*message_is_digest=*/false, sig);
  ERR_clear_error();
  if (!ok.ok()) return false;
  return *ok;
}

}  // namespace arcana::crypto
