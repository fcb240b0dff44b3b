#include "events/oauth_token_cache.h"

#include <algorithm>
#include <cstdlib>

#include "net/http_client.h"

namespace arcana::events {

Result<OutgoingAnswer> SendOutgoing(const domain::events::OutgoingRequest& request) {
  net::ClientRequest req;
  req.method = request.method;
  req.url = request.url;
  req.body = request.body;
  req.content_type = request.content_type;
  req.headers = request.headers;
  req.user_agent = "arcana-events";
  req.timeout = std::chrono::seconds(5);
  req.max_response_bytes = 64 * 1024;
  if (const char* ca = std::getenv("ARCANA_CA_CERT"); ca != nullptr) req.ca_file = ca;
  ARCANA_ASSIGN_OR_RETURN(auto res, net::HttpExchange(req));
  return OutgoingAnswer{res.status, std::move(res.body)};
}

Result<std::string> OAuthTokenCache::Token(const std::string& key,
                                           const domain::events::OutgoingRequest& request,
                                           int64_t now_ms) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && it->second.expires_ms > now_ms) return it->second.token;
  }
  auto answer = SendOutgoing(request);
  if (!answer.ok()) {
    return Status(ErrorCode::kServiceUnavailable,
                  "OAuth token endpoint: " + answer.status().message());
  }
  if (answer->status < 200 || answer->status >= 300) {
    return Status(ErrorCode::kServiceUnavailable,
                  "OAuth token endpoint: HTTP " + std::to_string(answer->status));
  }
  ARCANA_ASSIGN_OR_RETURN(domain::events::OAuthToken token,
                          domain::events::ParseOAuthToken(answer->body));
  const int64_t keep_s = std::max<int64_t>(0, token.expires_in_s - kRefreshMarginS);
  std::lock_guard<std::mutex> l(mu_);
  if (tokens_.size() >= kMaxCachedTokens) {
    // Expired ones first; a cache of live tokens that is still full starts over.
    std::erase_if(tokens_, [now_ms](const auto& e) { return e.second.expires_ms <= now_ms; });
    if (tokens_.size() >= kMaxCachedTokens) tokens_.clear();
  }
  tokens_[key] = Entry{token.access_token, now_ms + keep_s * 1000};
  return token.access_token;
}

void OAuthTokenCache::Forget(const std::string& key, const std::string& token) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = tokens_.find(key);
  if (it != tokens_.end() && it->second.token == token) tokens_.erase(it);
}

}  // namespace arcana::events
