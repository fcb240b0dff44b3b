// OAuth client-credentials access tokens of EventBridge connections (API destinations'
// OAUTH_CLIENT_CREDENTIALS authorization): fetched from the connection's token endpoint
// with its client id and secret when none is cached, and kept in this node's memory until
// kRefreshMarginS before the endpoint's expires_in runs out, so that each delivery does not
// cost a token request. Keyed by the connection's ARN and its last modification, so that
// UpdateConnection or DeauthorizeConnection (a new modification time) never reuses a token
// fetched with the credentials it replaced. Tokens are never written anywhere.
// Thread-safety: Token may run concurrently (two first uses of one connection may both
// fetch; the later answer is kept).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common/status.h"
#include "domain/events/connection.h"

namespace arcana::events {

inline constexpr int64_t kRefreshMarginS = 60;
inline constexpr size_t kMaxCachedTokens = 1000;

class OAuthTokenCache {
 public:
  // The access token of connection `key` (its ARN and modification time), fetching it with
  // `request` (domain/events: BuildOAuthTokenRequest) when none is cached or it is about to
  // expire. Errors: kServiceUnavailable naming the failed step (never the credentials).
  Result<std::string> Token(const std::string& key,
                            const domain::events::OutgoingRequest& request, int64_t now_ms);
  // Drops connection `key`'s cached token if it is still `token` (a newer one stays): the
  // endpoint refused it (revoked before its expiry).
  void Forget(const std::string& key, const std::string& token);

 private:
  struct Entry {
    std::string token;
    int64_t expires_ms = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry> tokens_;
};

// One HTTP exchange of an outgoing request (the events' own client: ARCANA_CA_CERT trusted
// when set, 5 s, a 64 KiB answer at most): the answer's status and body.
struct OutgoingAnswer {
  int status = 0;
  std::string body;
};
Result<OutgoingAnswer> SendOutgoing(const domain::events::OutgoingRequest& request);

}  // namespace arcana::events
