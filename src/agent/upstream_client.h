// arcana-agent's client for its upstream (arcanad, or AWS itself): SigV4-signed JSON 1.1
// calls and signed GETs (the change stream), over http:// or https:// (Beast; the server's
// certificate is verified against ca_file or the system CAs, with SNI and host name check).
// Keep-alive connections are pooled; a request on a reused connection that fails before any
// answer is retried once on a new connection (every call the agent makes is a read).
//
// Errors (Status codes, mapped to the AWS agent's answers by the caller):
//   kServiceUnavailable  cannot connect, or the connection failed (502 ConnectionError)
//   kDependencyTimeout   no complete answer within the timeout       (504 TimeoutError)
//   kInvalidParameter    no credentials to sign with                 (500 InternalFailure)
// Any HTTP status is a reply, not an error: the caller passes AWS errors through.
// Reply bodies may hold secret values: callers wipe them (crypto::SecureWipe). Every other
// buffer an answer passes through here is wiped before release (agent/wiped_http.h).
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "agent/credentials.h"
#include "cli/operator_client.h"
#include "common/status.h"

namespace arcana::agent {

struct UpstreamReply {
  int status = 0;
  std::string body;
};

class UpstreamClient {
 public:
  UpstreamClient(cli::Endpoint endpoint, std::string region, CredentialSource& credentials,
                 std::chrono::milliseconds timeout);
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // POST / with X-Amz-Target `target` ("secretsmanager.GetSecretValue"), signed for `service`.
  Result<UpstreamReply> CallJson(std::string_view service, std::string_view target,
                                 std::string_view body);
  // GET `path_and_query`, signed for `service`, answered within `timeout`.
  Result<UpstreamReply> Get(std::string_view service, std::string_view path_and_query,
                            std::chrono::milliseconds timeout);
  // Ends every request in flight (they fail with kServiceUnavailable) and refuses new ones.
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arcana::agent
