#include "auth/oidc_keys.h"

#include <spdlog/spdlog.h>

#include "common/json.h"
#include "crypto/base64.h"

namespace arcana::auth {
namespace {

constexpr size_t kMaxDocumentBytes = 256 * 1024;

Status CannotRetrieve() {
  // AWS's words (two spaces after the comma, as it sends them).
  return Status(ErrorCode::kInvalidIdentityToken,
                "Couldn't retrieve verification key from your identity provider,  please "
                "reference AssumeRoleWithWebIdentity documentation for requirements");
}

// The key type a JWS algorithm needs.
std::string KeyTypeOf(const std::string& alg) {
  return alg.starts_with("ES") ? "EC" : "RSA";
}

std::string B64Field(const rapidjson::Value& o, const char* key, bool* ok) {
  std::string text = json::StrField(o, key);
  auto raw = crypto::Base64UrlDecode(text);
  if (!raw) {
    *ok = false;
    return {};
  }
  return std::move(*raw);
}

}  // namespace

Result<std::string> OidcKeys::Get(const std::string& url,
                                  const std::vector<std::string>& thumbprints) const {
  net::ClientRequest req;
  req.url = url;
  req.pinned_thumbprints = thumbprints;
  req.max_response_bytes = kMaxDocumentBytes;
  req.user_agent = "arcana-sts";
  auto res = fetch_(req);
  if (!res.ok()) {
    spdlog::warn("web identity: cannot fetch {}: {}", url, res.status().message());
    return CannotRetrieve();
  }
  if (res->status != 200) {
    spdlog::warn("web identity: {} answered HTTP {}", url, res->status);
    return CannotRetrieve();
  }
  return std::move(res->body);
}

Result<std::vector<OidcKeys::Key>> OidcKeys::Download(
    const std::string& issuer, const std::vector<std::string>& thumbprints) const {
  std::string base = issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  ARCANA_ASSIGN_OR_RETURN(auto discovery,
                          Get(base + "/.well-known/openid-configuration", thumbprints));
  rapidjson::Document d;
  if (!json::ParseBounded(discovery, &d).ok() || !d.IsObject()) {
    spdlog::warn("web identity: {}'s discovery document is not a JSON object", issuer);
    return CannotRetrieve();
  }
  std::string jwks_uri = json::StrField(d, "jwks_uri");
  if (!jwks_uri.starts_with("https://")) {
    spdlog::warn("web identity: {}'s jwks_uri is not an https URL", issuer);
    return CannotRetrieve();
  }
  ARCANA_ASSIGN_OR_RETURN(auto jwks, Get(jwks_uri, thumbprints));
  rapidjson::Document set;
  if (!json::ParseBounded(jwks, &set).ok() || !set.IsObject() || !set.HasMember("keys") ||
      !set["keys"].IsArray()) {
    spdlog::warn("web identity: {} is not a JWK Set", jwks_uri);
    return CannotRetrieve();
  }
  std::vector<Key> keys;
  for (const auto& k : set["keys"].GetArray()) {
    if (!k.IsObject()) continue;
    std::string use = json::StrField(k, "use");
    if (!use.empty() && use != "sig") continue;  // an encryption key never verifies a token
    Key key;
    key.kid = json::StrField(k, "kid");
    key.alg = json::StrField(k, "alg");
    key.key.kty = json::StrField(k, "kty");
    bool ok = true;
    if (key.key.kty == "RSA") {
      key.key.n = B64Field(k, "n", &ok);
      key.key.e = B64Field(k, "e", &ok);
    } else if (key.key.kty == "EC") {
      key.key.crv = json::StrField(k, "crv");
      key.key.x = B64Field(k, "x", &ok);
      key.key.y = B64Field(k, "y", &ok);
    } else {
      continue;
    }
    if (ok) keys.push_back(std::move(key));
  }
  return keys;
}

Result<std::vector<crypto::JwkPublicKey>> OidcKeys::KeysFor(
    const std::string& issuer, const std::string& kid, const std::string& alg,
    const std::vector<std::string>& thumbprints, int64_t now_ms) {
  auto pick = [&](const std::vector<Key>& keys) {
    std::vector<crypto::JwkPublicKey> out;
    for (const auto& k : keys) {
      if (!kid.empty() && k.kid != kid) continue;
      if (k.key.kty != KeyTypeOf(alg)) continue;
      if (!k.alg.empty() && k.alg != alg) continue;
      out.push_back(k.key);
    }
    return out;
  };
  // Keys fetched under one provider's thumbprints are not reused under another's: each
  // account's provider decides for itself which servers it trusts.
  std::string cache_key = issuer;
  for (const auto& t : thumbprints) cache_key += "|" + t;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end()) {
      const Entry& e = it->second;
      auto found = pick(e.keys);
      if (now_ms - e.fetched_ms < kTtlMs && !found.empty()) return found;
      // One fetch per issuer at a time, and after any fetch (a kid the set lacks: the
      // issuer may have rotated its keys; a failure) the next only after kRefetchGap: a
      // burst of tokens, signed or not, is one fetch, not one per request each holding a
      // worker up to the client's timeout. Meanwhile keys a little past their TTL still serve.
      const bool fetch_barred = e.fetching || now_ms - e.attempted_ms < kRefetchGapMs;
      if (fetch_barred && !found.empty() && now_ms - e.fetched_ms < 2 * kTtlMs) return found;
      if (fetch_barred) return CannotRetrieve();
    }
    // Outbound fetches across all issuers are bounded too.
    if (fetches_in_flight_ >= kMaxConcurrentFetches) return CannotRetrieve();
    if (cache_.size() >= kMaxIssuers && !cache_.contains(cache_key)) {
      auto oldest = cache_.end();
      for (auto i = cache_.begin(); i != cache_.end(); ++i) {
        if (i->second.fetching) continue;
        if (oldest == cache_.end() || i->second.attempted_ms < oldest->second.attempted_ms) oldest = i;
      }
      if (oldest != cache_.end()) cache_.erase(oldest);
    }
    Entry& entry = cache_[cache_key];
    entry.fetching = true;
    entry.attempted_ms = now_ms;
    ++fetches_in_flight_;
  }
  auto downloaded = Download(issuer, thumbprints);
  std::vector<crypto::JwkPublicKey> found;
  {
    std::lock_guard lock(mu_);
    --fetches_in_flight_;
    Entry& entry = cache_[cache_key];
    entry.fetching = false;
    entry.attempted_ms = now_ms;
    // A failed fetch keeps what an earlier one brought, until its TTL ends.
    if (downloaded.ok()) {
      entry.keys = std::move(downloaded).value();
      entry.fetched_ms = now_ms;
      found = pick(entry.keys);
    }
  }
  if (!downloaded.ok()) return downloaded.status();
  if (found.empty()) return CannotRetrieve();
  return found;
}

}  // namespace arcana::auth
