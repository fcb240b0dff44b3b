// The `arcana operator` commands that talk to a running arcanad (seal status, unseal, seal,
// rotate-root) over its HTTP listener (plain http:// endpoints only for now). Seal and
// rotate-root are SigV4-signed (service "arcana") with AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY of a root identity.
// Thread-safety: none needed (one call at a time from the CLI).
#pragma once

#include <string>

#include "common/status.h"

namespace arcana::cli {

struct HttpReply {
  int status = 0;
  std::string body;
};

struct Endpoint {
  std::string host = "127.0.0.1";
  std::string port = "7770";
};

// Parses "http://host:port". Errors: kInvalidParameter (https is not supported yet).
Result<Endpoint> ParseEndpoint(const std::string& url);

// Sends one request; signs it when akid is non-empty. Errors: kInternalFailure (network).
Result<HttpReply> OperatorCall(const Endpoint& ep, const std::string& method,
                               const std::string& path, const std::string& body,
                               const std::string& akid = "", const std::string& secret = "");

}  // namespace arcana::cli
