#include "auth/web_identity_issuer.h"

#include <cstdint>

#include "common/json.h"
#include "crypto/asymmetric.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/jws.h"
#include "crypto/random.h"
#include "crypto/secure_memory.h"

namespace arcana::auth {
namespace {

using domain::iam::IssuerKey;

// RFC 7638's JWK thumbprint (SHA-256 of the required members in lexicographic order, no
// whitespace), base64url: a kid that names the key itself.
std::string Thumbprint(const crypto::JwkPublicKey& k) {
  const auto b64 = [](const std::string& s) { return crypto::Base64UrlEncode(s); };
  const std::string canonical =
      k.kty == "RSA"
          ? R"({"e":")" + b64(k.e) + R"(","kty":"RSA","n":")" + b64(k.n) + R"("})"
          : R"({"crv":")" + k.crv + R"(","kty":"EC","x":")" + b64(k.x) + R"(","y":")" +
                b64(k.y) + R"("})";
  return crypto::Base64UrlEncode(crypto::Sha256(canonical));
}

std::string StateDoc(bool enabled, const std::string& issuer_id,
                     const std::vector<IssuerKey>& keys) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("enabled");
  w.Bool(enabled);
  json::KV(w, "issuer_id", issuer_id);
  w.Key("keys");
  w.StartArray();
  for (const auto& k : keys) {
    w.StartObject();
    json::KV(w, "kid", k.kid);
    json::KV(w, "alg", k.alg);
    json::KV(w, "kty", k.jwk.kty);
    json::KV(w, "crv", k.jwk.crv);
    for (const auto& [name, bytes] :
         {std::pair{"n", &k.jwk.n}, {"e", &k.jwk.e}, {"x", &k.jwk.x}, {"y", &k.jwk.y}}) {
      json::KV(w, name, crypto::Base64UrlEncode(*bytes));
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

Result<OutboundFederation> ParseState(const storage::IamEntity& e) {
  rapidjson::Document d;
  if (!json::ParseBounded(e.doc, &d).ok() || !d.IsObject()) {
    return Status(ErrorCode::kInternalFailure, "outbound federation state is corrupt");
  }
  OutboundFederation s;
  s.enabled = json::BoolField(d, "enabled");
  s.issuer_id = json::StrField(d, "issuer_id");
  if (d.HasMember("keys") && d["keys"].IsArray()) {
    for (const auto& k : d["keys"].GetArray()) {
      IssuerKey key;
      key.kid = json::StrField(k, "kid");
      key.alg = json::StrField(k, "alg");
      key.jwk.kty = json::StrField(k, "kty");
      key.jwk.crv = json::StrField(k, "crv");
      for (const auto& [name, bytes] : {std::pair{"n", &key.jwk.n}, {"e", &key.jwk.e},
                                         {"x", &key.jwk.x}, {"y", &key.jwk.y}}) {
        *bytes = crypto::Base64UrlDecode(json::StrField(k, name)).value_or("");
      }
      s.keys.push_back(std::move(key));
    }
  }
  s.entity = e;
  return s;
}

// The sealed secret's plaintext: the RSA key's PKCS#8 DER, its length first (4 bytes, big
// endian), then the P-384 key's. Built in one buffer (no intermediate copies of the keys).
crypto::SecretString PackKeys(std::string_view rsa, std::string_view ec) {
  std::string out;
  out.reserve(4 + rsa.size() + ec.size());
  const auto n = static_cast<uint32_t>(rsa.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  out.append(rsa);
  out.append(ec);
  return crypto::SecretString::Take(out);
}

// The private key of `alg` in a packed secret; "" when it is malformed.
std::string_view UnpackKey(std::string_view packed, const std::string& alg) {
  if (packed.size() < 4) return {};
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(packed[i]);
  if (n > packed.size() - 4) return {};
  return alg == "RS256" ? packed.substr(4, n) : packed.substr(4 + n);
}

}  // namespace

std::string WebIdentityIssuer::IssuerUrl(const std::string& account,
                                         const std::string& issuer_id) const {
  return base_ + kPathPrefix + account + "/" + issuer_id;
}

Result<std::optional<OutboundFederation>> WebIdentityIssuer::Load(
    const std::string& account) const {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(account, kEntityKind, kEntityName));
  if (!e) return std::optional<OutboundFederation>();
  ARCANA_ASSIGN_OR_RETURN(auto state, ParseState(*e));
  return std::optional<OutboundFederation>(std::move(state));
}

Result<storage::EntityWrite> WebIdentityIssuer::EnableWrite(
    const std::string& account, const std::optional<OutboundFederation>& current,
    int64_t now_ms, std::string* issuer_url) const {
  if (current && current->enabled) {
    return Status(ErrorCode::kFeatureEnabled,
                  "Outbound identity federation is already enabled for this account.");
  }
  storage::EntityWrite write;
  write.op = storage::EntityWrite::Op::kPut;
  if (current) {
    write.entity = current->entity;
    write.entity.doc = StateDoc(true, current->issuer_id, current->keys);
    *issuer_url = IssuerUrl(account, current->issuer_id);
    return write;
  }
  // First enable: an issuer id and a key pair per algorithm.
  // The private keys live in wiped memory from here on, whichever way this returns.
  ARCANA_ASSIGN_OR_RETURN(std::string rsa_der,
                          crypto::GenerateKeyPair(crypto::AsymmetricSpec::kRsa2048));
  const crypto::SecretString rsa = crypto::SecretString::Take(rsa_der);
  ARCANA_ASSIGN_OR_RETURN(std::string ec_der, crypto::GenerateKeyPair(crypto::AsymmetricSpec::kP384));
  const crypto::SecretString ec = crypto::SecretString::Take(ec_der);
  std::vector<IssuerKey> keys;
  for (const auto& [alg, der] : {std::pair{"RS256", &rsa}, {"ES384", &ec}}) {
    IssuerKey key;
    key.alg = alg;
    ARCANA_ASSIGN_OR_RETURN(key.jwk, crypto::PublicJwkOf(der->view()));
    key.kid = Thumbprint(key.jwk);
    keys.push_back(std::move(key));
  }
  const std::string issuer_id = crypto::NewUuidV4();
  storage::IamEntity& e = write.entity;
  e.account = account;
  e.kind = kEntityKind;
  e.name = kEntityName;
  e.path = "/";
  e.id = "OWIF" + issuer_id;  // unique across accounts, as entity secrets need
  e.created_ms = now_ms;
  e.doc = StateDoc(true, issuer_id, keys);
  const crypto::SecretString packed = PackKeys(rsa.view(), ec.view());
  ARCANA_ASSIGN_OR_RETURN(write.sealed_secret, resolver_.SealEntitySecret(e, packed.view()));
  *issuer_url = IssuerUrl(account, issuer_id);
  return write;
}

Result<storage::EntityWrite> WebIdentityIssuer::DisableWrite(
    const std::optional<OutboundFederation>& current) const {
  if (!current || !current->enabled) {
    return Status(ErrorCode::kFeatureDisabled,
                  "Outbound identity federation is already disabled for this account.");
  }
  storage::EntityWrite write;
  write.op = storage::EntityWrite::Op::kPut;
  write.entity = current->entity;
  write.entity.doc = StateDoc(false, current->issuer_id, current->keys);
  return write;
}

Result<std::string> WebIdentityIssuer::Sign(const OutboundFederation& state,
                                            const std::string& alg,
                                            const std::string& claims_json) const {
  const IssuerKey* key = nullptr;
  for (const auto& k : state.keys) {
    if (k.alg == alg) key = &k;
  }
  if (key == nullptr) return Status(ErrorCode::kInternalFailure, "no issuer key for " + alg);
  ARCANA_ASSIGN_OR_RETURN(crypto::SecretString packed, resolver_.OpenEntitySecret(state.entity));
  const std::string_view der = UnpackKey(packed.view(), alg);
  if (der.empty()) return Status(ErrorCode::kInternalFailure, "issuer keys are corrupt");
  const std::string input =
      crypto::Base64UrlEncode(domain::iam::TokenHeaderJson(alg, key->kid)) + "." +
      crypto::Base64UrlEncode(claims_json);
  ARCANA_ASSIGN_OR_RETURN(std::string signature, crypto::SignJws(alg, der, input));
  return input + "." + crypto::Base64UrlEncode(signature);
}

Result<std::optional<std::string>> WebIdentityIssuer::Publish(std::string_view path) const {
  if (!path.starts_with(kPathPrefix)) return std::optional<std::string>();
  path.remove_prefix(std::string_view(kPathPrefix).size());
  const auto asked = domain::iam::ParseIssuerDocumentPath(path);
  if (!asked) return std::optional<std::string>();
  ARCANA_ASSIGN_OR_RETURN(auto state, Load(asked->account));
  if (!state || !state->enabled || state->issuer_id != asked->issuer_id) {
    return std::optional<std::string>();
  }
  if (asked->jwks) return std::optional<std::string>(domain::iam::JwksJson(state->keys));
  return std::optional<std::string>(
      domain::iam::DiscoveryJson(IssuerUrl(asked->account, asked->issuer_id)));
}

}  // namespace arcana::auth
