// The pipeline's authenticate stage: turns an HTTP request into a CallContext (account,
// region, principal) or an AWS auth error. Normal mode verifies SigV4 against the stored
// access keys; dev mode (loopback only, explicit) accepts any key and only reads the
// region from the credential scope.
// Thread-safety: Authenticate() is safe to call concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "auth/sigv4.h"
#include "crypto/root_key.h"
#include "net/http_types.h"
#include "services/common/service.h"
#include "storage/access_key_store.h"

namespace arcana::auth {

struct AuthOptions {
  bool dev = false;
  std::string dev_account = "123456789012";
  std::string default_region = "us-east-1";  // dev mode, when no credential scope is sent
  std::chrono::seconds max_skew{900};
};

class Authenticator {
 public:
  Authenticator(storage::AccessKeyStore& store, const crypto::RootKey& root, AuthOptions opts);

  // Fills account, region, principal_arn and access_key_id of ctx.
  Status Authenticate(const net::HttpRequest& req, std::string_view signing_name,
                      services::CallContext& ctx) const;
  // Wipes every cached credential and signing key (sealing: no secrets stay in memory).
  void ForgetCredentials() const;

  // Same, without copying the request: its fields are lent to the verifier and restored.
  Status Authenticate(net::HttpRequest& req, std::string_view signing_name,
                      services::CallContext& ctx) const;

 private:
  Result<Credential> Lookup(std::string_view access_key_id) const;

  storage::AccessKeyStore& store_;
  const crypto::RootKey& root_;
  AuthOptions opts_;
  std::unique_ptr<Verifier> verifier_;
  // Opened credentials, briefly cached: a deleted key stops working within kCacheTtl.
  struct Cached {
    Credential cred;
    std::chrono::steady_clock::time_point expires;
  };
  static constexpr std::chrono::seconds kCacheTtl{30};
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, Cached> cache_;
};

}  // namespace arcana::auth
