#include "domain/iam/web_identity_token.h"

#include <cmath>

#include "common/json.h"
#include "crypto/base64.h"

namespace arcana::domain::iam {
namespace {

constexpr const char* kTagsClaim = "https://aws.amazon.com/tags";
constexpr const char* kSourceIdentityClaim = "https://aws.amazon.com/source_identity";

Status NotAJwt() {
  // AWS's answer to a token that is no JWT (an OAuth access token, a truncated file).
  return Status(ErrorCode::kInvalidIdentityToken,
                "The ID token provided is not a valid JWT. (You may see this error if you sent "
                "an Access Token)");
}

Result<rapidjson::Document> DecodePart(std::string_view b64) {
  auto raw = crypto::Base64UrlDecode(b64);
  if (!raw) return NotAJwt();
  rapidjson::Document d;
  if (!json::ParseBounded(*raw, &d).ok() || !d.IsObject()) return NotAJwt();
  return d;
}

std::string Str(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

// A NumericDate (RFC 7519: a JSON number, possibly fractional); nullopt when absent or not a
// number.
std::optional<int64_t> Seconds(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
  if (it->value.IsInt64()) return it->value.GetInt64();
  double d = it->value.GetDouble();
  if (!std::isfinite(d) || std::fabs(d) > 1e15) return std::nullopt;
  return static_cast<int64_t>(std::floor(d));
}

std::vector<std::string> Strings(const rapidjson::Value& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd()) return out;
  if (it->value.IsString()) {
    out.emplace_back(it->value.GetString(), it->value.GetStringLength());
  } else if (it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) {
      if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
    }
  }
  return out;
}

void ReadSessionTags(const rapidjson::Value& claims, WebIdentityToken* t) {
  auto it = claims.FindMember(kTagsClaim);
  if (it == claims.MemberEnd() || !it->value.IsObject()) return;
  const auto& tags = it->value;
  if (auto p = tags.FindMember("principal_tags"); p != tags.MemberEnd() && p->value.IsObject()) {
    for (auto m = p->value.MemberBegin(); m != p->value.MemberEnd(); ++m) {
      // Each value is a one-element array of strings (AWS's format); a bare string is taken too.
      std::string key(m->name.GetString(), m->name.GetStringLength());
      if (m->value.IsString()) {
        t->principal_tags[key] = m->value.GetString();
      } else if (m->value.IsArray() && !m->value.Empty() && m->value[0].IsString()) {
        t->principal_tags[key] = m->value[0].GetString();
      }
    }
  }
  t->transitive_tag_keys = Strings(tags, "transitive_tag_keys");
}

}  // namespace

Result<WebIdentityToken> ParseWebIdentityToken(std::string_view token) {
  if (token.size() > 20000) return NotAJwt();
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return NotAJwt();
  }
  ARCANA_ASSIGN_OR_RETURN(auto header, DecodePart(token.substr(0, dot1)));
  ARCANA_ASSIGN_OR_RETURN(auto claims, DecodePart(token.substr(dot1 + 1, dot2 - dot1 - 1)));
  auto sig = crypto::Base64UrlDecode(token.substr(dot2 + 1));
  if (!sig) return NotAJwt();
  WebIdentityToken t;
  t.alg = Str(header, "alg");
  t.kid = Str(header, "kid");
  t.signing_input = std::string(token.substr(0, dot2));
  t.signature = std::move(*sig);
  t.issuer = Str(claims, "iss");
  t.subject = Str(claims, "sub");
  t.audiences = Strings(claims, "aud");
  t.authorized_party = Str(claims, "azp");
  t.email = Str(claims, "email");
  t.amr = Strings(claims, "amr");
  t.expires_s = Seconds(claims, "exp");
  t.not_before_s = Seconds(claims, "nbf");
  t.issued_at_s = Seconds(claims, "iat");
  ReadSessionTags(claims, &t);
  t.has_source_identity = claims.HasMember(kSourceIdentityClaim);
  t.source_identity = Str(claims, kSourceIdentityClaim);
  if (t.issuer.empty()) {
    return Status(ErrorCode::kInvalidIdentityToken, "Missing a required claim: iss");
  }
  if (t.subject.empty()) {
    return Status(ErrorCode::kInvalidIdentityToken, "Missing a required claim: sub");
  }
  return t;
}

std::string OidcProviderUrlOf(std::string_view issuer) {
  constexpr std::string_view kScheme = "https://";
  if (!issuer.starts_with(kScheme) || issuer.size() == kScheme.size()) return {};
  return std::string(issuer.substr(kScheme.size()));
}

Status CheckTokenTimes(const WebIdentityToken& t, int64_t now_s, int64_t skew_s) {
  if (!t.expires_s) {
    return Status(ErrorCode::kInvalidIdentityToken, "Missing a required claim: exp");
  }
  if (now_s >= *t.expires_s) {
    // AWS's wording, without a space before the second number.
    return Status(ErrorCode::kWebIdentityTokenExpired,
                  "Token expired: current date/time " + std::to_string(now_s) +
                      " must be before the expiration date/time" + std::to_string(*t.expires_s));
  }
  if ((t.not_before_s && *t.not_before_s > now_s + skew_s) ||
      (t.issued_at_s && *t.issued_at_s > now_s + skew_s)) {
    return Status(ErrorCode::kInvalidIdentityToken, "The token is not valid yet");
  }
  return Status::Ok();
}

}  // namespace arcana::domain::iam
