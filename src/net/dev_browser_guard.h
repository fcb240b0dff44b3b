// What a dev-mode listener refuses so that only local programs drive it, never a web page.
// Dev mode accepts any credentials (an unsigned request acts as the account root), and a
// browser on the developer's machine reaches the loopback listener too: a page can send
// CORS-"simple" requests (an HTML form POST, a text/plain fetch, an <img> GET) without asking,
// and through DNS rebinding (its own host name re-pointed at 127.0.0.1) read the answers.
// Browsers mark both: every cross-origin POST carries `Origin`, every request of a current
// browser `Sec-Fetch-Site`, and a rebound page's requests carry its own name as `Host`.
// SDKs, the CLI and curl send no Origin or Sec-Fetch-Site and address the endpoint they were
// given (127.0.0.1, localhost), so they pass. Signed mode needs none of this: a page cannot
// sign with a key it does not have, and its listeners may sit behind a named load balancer.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace arcana::net {

// The reason a dev-mode listener refuses `req` (for the error message), or nullopt when it
// may be served: an `Origin` other than a loopback one (http(s)://localhost, *.localhost,
// 127.0.0.0/8 or [::1], any port; "null" included); `Sec-Fetch-Site: cross-site` or
// `same-site`; a `Host` other than such a loopback host. A request without Host (HTTP/1.0)
// passes: a browser always sends one.
std::optional<std::string> DevModeRefusal(const HttpRequest& req);

// HOST[:PORT] as in a Host header: "localhost" or a name under .localhost, an IPv4 literal in
// 127.0.0.0/8, or the bracketed IPv6 loopback ([::1], also as ::ffff:127.x.y.z), with an
// optional decimal port. Case-insensitive; one trailing dot allowed ("localhost.").
bool IsLoopbackHostPort(std::string_view host_port);

// An Origin value naming a loopback host: "http://" or "https://", then IsLoopbackHostPort,
// and nothing else (an origin has no path).
bool IsLoopbackOrigin(std::string_view origin);

}  // namespace arcana::net
