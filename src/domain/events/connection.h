// EventBridge connections and API destinations as values: what a connection's
// AuthParameters must hold for its AuthorizationType, what of them may be answered
// (DescribeConnection never answers Password, ApiKeyValue, ClientSecret or a parameter value
// marked IsValueSecret, as AWS omits them), how UpdateConnection merges into them, and the
// HTTP request an event makes at an API destination: the destination's HttpMethod on its
// InvocationEndpoint with each '*' replaced by the target's PathParameterValues in order, the
// connection's InvocationHttpParameters and the target's HttpParameters as headers and query
// string, and the connection's authorization (Basic, the API key's header, or an OAuth bearer
// token the caller obtained with BuildOAuthTokenRequest / ParseOAuthToken).
// Only static parameter values are served (no "$.detail..." JSON paths from the event).
// The full AuthParameters (secrets included) is the JSON the service seals; nothing here
// logs or stores it.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "common/status.h"
#include "domain/events/target.h"

namespace arcana::domain::events {

inline constexpr int kDefaultInvocationRateLimit = 300;  // AWS's default, recorded

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// kValidation unless `auth` (CreateConnection's AuthParameters) holds the member
// AuthorizationType `type` needs (BASIC: BasicAuthParameters, API_KEY: ApiKeyAuthParameters,
// OAUTH_CLIENT_CREDENTIALS: OAuthParameters with an https AuthorizationEndpoint) and no
// other type's, and no connectivity (private API) parameters.
Status CheckAuthParameters(const std::string& type, const rapidjson::Value& auth);

// UpdateConnection: `update`'s members over `current` (both AuthParameters JSON): each of
// BasicAuthParameters, ApiKeyAuthParameters, OAuthParameters (and its ClientParameters)
// member by member; InvocationHttpParameters (and OAuthHttpParameters) replaced whole. A
// `new_type` other than the current one starts from nothing but the update. Errors: a
// `current` that does not parse.
Result<std::string> MergeAuthParameters(const std::string& current, const std::string& new_type,
                                        const std::string& old_type,
                                        const rapidjson::Value& update);

// The AuthParameters DescribeConnection answers: `full` without its secrets.
std::string PublicAuthParameters(const std::string& full);

// The value of the Secrets Manager secret a connection's credentials are kept in
// ("events!connection/NAME/UUID", OwningService "events"): `full` (the AuthParameters of a
// connection of AuthorizationType `type`) as the snake_case object EventBridge stores:
// BASIC {"username","password"}, API_KEY {"api_key_name","api_key_value"},
// OAUTH_CLIENT_CREDENTIALS {"client_id","client_secret","authorization_endpoint",
// "http_method"} (and "oauth_http_parameters" when given), each with
// "invocation_http_parameters" when the connection has them (as given: Key, Value,
// IsValueSecret). Members absent from `full` are left out. Errors: a `full` that does not
// parse. The result holds secrets: the caller wipes it.
Result<std::string> ManagedSecretValue(const std::string& type, const std::string& full);

// An InvocationEndpoint or AuthorizationEndpoint this server sends to: https://host...,
// no spaces or control characters, at most 2048 bytes.
bool IsHttpsEndpoint(const std::string& url);

// arn:aws:events:REGION:ACCOUNT:<kind>/NAME/UUID taken apart (kind: "connection" or
// "api-destination"); nullopt when arn is not one.
struct EventsResourceRef {
  std::string region;
  std::string account;
  std::string name;
};
std::optional<EventsResourceRef> ParseEventsResourceArn(const std::string& arn,
                                                        const std::string& kind);


struct OutgoingRequest {
  std::string method;
  std::string url;
  HeaderList headers;
  std::string body;
  std::string content_type;
};

// One delivery's call at an API destination: its request, and the destination's
// InvocationRateLimitPerSecond (at most that many such calls a second: events/rate_limiter.h).
struct ApiDestinationCall {
  OutgoingRequest request;
  int64_t rate_limit_per_second = kDefaultInvocationRateLimit;
  // OAuth connections: forgets the access token the request carries, for an endpoint that
  // refused it (401/407); the next request fetches a new one. Null otherwise.
  std::function<void()> forget_token;
};

// The request an event makes at an API destination. `bearer`: the OAuth access token
// (OAUTH_CLIENT_CREDENTIALS only). Errors: kValidation for a header that would not be one
// header (CR, LF or NUL in it), or a `full` that does not parse. Path values replace the
// endpoint's '*' in order (a '*' without a value stays; values beyond the last '*' are
// ignored) and are percent-escaped.
Result<OutgoingRequest> BuildApiDestinationRequest(const std::string& endpoint,
                                                   const std::string& method,
                                                   const std::string& auth_type,
                                                   const std::string& full,
                                                   const TargetHttpParameters& target,
                                                   const std::string& bearer, std::string body);

// The client-credentials token request of an OAUTH_CLIENT_CREDENTIALS connection: its
// HttpMethod on AuthorizationEndpoint, the client id and secret as Basic authorization,
// grant_type=client_credentials and OAuthHttpParameters' body parameters form-encoded, its
// header and query string parameters as given.
Result<OutgoingRequest> BuildOAuthTokenRequest(const std::string& full);

// A token endpoint's JSON answer: access_token, and expires_in (seconds; absent: 3600).
inline constexpr int64_t kMaxOAuthTokenLifetimeS = 365LL * 24 * 3600;
struct OAuthToken {
  std::string access_token;
  int64_t expires_in_s = 3600;  // the answer's expires_in when in [0, a year]
};
// The token endpoint's answer (network input: fuzz/oauth_token_fuzzer).
Result<OAuthToken> ParseOAuthToken(const std::string& body);

// application/x-www-form-urlencoded / query string escaping of one key or value.
std::string FormEscape(const std::string& s);

}  // namespace arcana::domain::events
