// The `arcana operator` commands that talk to a running arcanad (seal status, unseal, seal,
// rotate-root) over its listener: http:// (loopback) or https:// (the server's certificate
// is verified against the system CAs, or ARCANA_CA_CERT when set). Credentials: see
// OperatorAuth.
// Thread-safety: none needed (one call at a time from the CLI).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "auth/sigv4.h"
#include "common/status.h"

namespace arcana::cli {

struct HttpReply {
  int status = 0;
  std::string body;
};

struct Endpoint {
  std::string host = "127.0.0.1";
  std::string port = "7770";
  bool tls = false;     // https://
  std::string ca_file;  // PEM CAs to trust instead of the system's (ARCANA_CA_CERT)
  std::chrono::seconds timeout{120};  // the whole exchange: connect, send, read
};

// Parses "http://host:port" or "https://host:port". Errors: kInvalidParameter.
Result<Endpoint> ParseEndpoint(const std::string& url);

// Operator credentials (seal/operator_api.h): the token when set, else a SigV4 signature
// when akid is set, else none.
struct OperatorAuth {
  std::string token;
  std::string akid;
  std::string secret;
};

// Sends one request with auth's credentials (none when null). Errors: kInternalFailure
// (network).
Result<HttpReply> OperatorCall(const Endpoint& ep, const std::string& method,
                               const std::string& path, const std::string& body,
                               const OperatorAuth* auth = nullptr);

// Adds headers to (and may sign) a request whose Host header is already set.
using RequestPreparer = std::function<void(auth::SignableRequest&)>;

// One request over a fresh connection (http or https as above), headers from `prepare`; for
// clients of the public APIs (arcana migrate). Errors: kInternalFailure (network).
Result<HttpReply> SendRequest(const Endpoint& ep, const std::string& method,
                              const std::string& path, const std::string& body,
                              const RequestPreparer& prepare);

}  // namespace arcana::cli
