#include "domain/iam/outbound_token.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/json.h"
#include "crypto/base64.h"

namespace arcana::domain::iam {
namespace {

Status TokenRequestInvalid(const std::string& message) { return Status(ErrorCode::kValidation, message); }

std::string LowerTagKey(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void WriteTagClaims(json::Writer& w, const char* key,
               const std::vector<std::pair<std::string, std::string>>& tags) {
  if (tags.empty()) return;
  w.Key(key);
  w.StartObject();
  for (const auto& [k, v] : tags) json::KV(w, k.c_str(), v);
  w.EndObject();
}

}  // namespace

Status CheckTokenRequest(const TokenRequest& req) {
  if (std::find_if(std::begin(kTokenAlgorithms), std::end(kTokenAlgorithms),
                   [&](const char* a) { return req.algorithm == a; }) ==
      std::end(kTokenAlgorithms)) {
    return TokenRequestInvalid("1 validation error detected: Value '" + req.algorithm +
                   "' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy "
                   "enum value set: [RS256, ES384]");
  }
  if (req.subject_mode != "AWSIdentity" && req.subject_mode != "OriginIdentity") {
    return TokenRequestInvalid("1 validation error detected: Value '" + req.subject_mode +
                   "' at 'subjectMode' failed to satisfy constraint: Member must satisfy enum "
                   "value set: [AWSIdentity, OriginIdentity]");
  }
  if (req.subject_mode == "OriginIdentity") {
    return TokenRequestInvalid("SubjectMode OriginIdentity requires the calling session to carry the "
                   "aws:OriginIdentity/Subject key in its trusted identity propagation "
                   "context.");
  }
  if (req.scope) {
    return TokenRequestInvalid("Scope can be specified only when SubjectMode is OriginIdentity.");
  }
  std::set<std::string> seen;
  for (const auto& [k, v] : req.tags) {
    if (!seen.insert(LowerTagKey(k)).second) {
      return TokenRequestInvalid("Duplicate tag keys found. Please note that Tag keys are case "
                     "insensitive.");
    }
  }
  return Status::Ok();
}

std::string TokenHeaderJson(const std::string& alg, const std::string& kid) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "alg", alg);
  json::KV(w, "kid", kid);
  json::KV(w, "typ", "JWT");
  w.EndObject();
  return json::Finish(buf);
}

std::string TokenClaimsJson(const TokenClaims& c) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "iss", c.issuer);
  w.Key("aud");
  if (c.audience.size() == 1) {
    json::WriteStr(w, c.audience.front());
  } else {
    json::WriteStringList(w, c.audience);
  }
  json::KV(w, "sub", c.subject);
  w.Key("iat");
  w.Int64(c.issued_at_s);
  w.Key("exp");
  w.Int64(c.expires_s);
  json::KV(w, "jti", c.token_id);
  w.Key(kStsClaimsNamespace);
  w.StartObject();
  json::KV(w, "aws_account", c.account);
  json::KV(w, "source_region", c.region);
  json::KV(w, "principal_id", c.principal_arn);
  WriteTagClaims(w, "principal_tags", c.principal_tags);
  WriteTagClaims(w, "request_tags", c.request_tags);
  w.EndObject();
  w.EndObject();
  return json::Finish(buf);
}

std::optional<IssuerDocumentPath> ParseIssuerDocumentPath(std::string_view path) {
  constexpr std::string_view kWellKnown = "/.well-known/";
  const size_t slash = path.find('/');
  if (slash != 12) return std::nullopt;
  IssuerDocumentPath out;
  out.account = std::string(path.substr(0, slash));
  if (out.account.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  path.remove_prefix(slash + 1);
  const size_t end = path.find(kWellKnown);
  if (end == 0 || end == std::string_view::npos) return std::nullopt;
  out.issuer_id = std::string(path.substr(0, end));
  if (out.issuer_id.find('/') != std::string::npos) return std::nullopt;
  const std::string_view document = path.substr(end + kWellKnown.size());
  if (document != "jwks.json" && document != "openid-configuration") return std::nullopt;
  out.jwks = document == "jwks.json";
  return out;
}

std::string JwksJson(const std::vector<IssuerKey>& keys) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("keys");
  w.StartArray();
  for (const auto& k : keys) {
    w.StartObject();
    json::KV(w, "kty", k.jwk.kty);
    json::KV(w, "kid", k.kid);
    json::KV(w, "use", "sig");
    json::KV(w, "alg", k.alg);
    if (k.jwk.kty == "RSA") {
      json::KV(w, "n", crypto::Base64UrlEncode(k.jwk.n));
      json::KV(w, "e", crypto::Base64UrlEncode(k.jwk.e));
    } else {
      json::KV(w, "crv", k.jwk.crv);
      json::KV(w, "x", crypto::Base64UrlEncode(k.jwk.x));
      json::KV(w, "y", crypto::Base64UrlEncode(k.jwk.y));
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

std::string DiscoveryJson(const std::string& issuer) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "issuer", issuer);
  json::KV(w, "jwks_uri", issuer + "/.well-known/jwks.json");
  w.Key("response_types_supported");
  json::WriteStringList(w, {"id_token"});
  w.Key("subject_types_supported");
  json::WriteStringList(w, {"public"});
  w.Key("id_token_signing_alg_values_supported");
  json::WriteStringList(w, {std::begin(kTokenAlgorithms), std::end(kTokenAlgorithms)});
  w.Key("claims_supported");
  json::WriteStringList(w, {"aud", "exp", "iat", "iss", "jti", "sub", kStsClaimsNamespace});
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::domain::iam
