// One outbound HTTP(S) exchange, blocking, bounded in time and size: how Arcana fetches an
// OpenID Connect issuer's discovery document and keys (AssumeRoleWithWebIdentity). HTTPS
// servers are trusted through the system's trust store (or a CA file given instead), or
// through pinned certificate thumbprints (crypto/tls_trust.h: IAM's ThumbprintList
// semantics). Used for OIDC issuers' keys and EventBridge-style HTTP targets. Redirects are not
// followed. Call it from a worker, never from an I/O thread.
// Thread-safety: reentrant (each call has its own io_context).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::net {

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path or https://...; [v6] literals allowed
  std::string body;
  std::string content_type;
  std::vector<std::string> pinned_thumbprints;  // https: SHA-1 hex, trusted as anchors
  std::string ca_file;  // https: PEM CAs to trust instead of the system's ("" = system's)
  std::chrono::milliseconds timeout{5000};      // the whole exchange
  size_t max_response_bytes = 64 * 1024;        // a larger answer fails the exchange
  std::string user_agent = "arcana";
  // Further header fields (name, value), set in order after the ones above; the caller has
  // checked them (no CR, LF or NUL).
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ClientResponse {
  int status = 0;
  std::string body;
};

// Any network, TLS, trust, size or protocol failure is kServiceUnavailable with a message
// naming the step ("connect: ...", "TLS: the server's certificate is not trusted: ...");
// a malformed URL is kInvalidParameter. The HTTP status is the caller's to judge.
Result<ClientResponse> HttpExchange(const ClientRequest& request);

// "https://host:port/path?q" -> its parts; false when it is not such a URL.
struct UrlParts {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;  // "443" / "80" when absent
  std::string target = "/";
};
bool SplitUrl(const std::string& url, UrlParts* out);

}  // namespace arcana::net
