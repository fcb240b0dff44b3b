// IAM outbound identity federation: each account's issuer of JSON Web Tokens (STS
// GetWebIdentityToken), which tokens' verifiers find at an issuer URL this server publishes.
//
// State: one IAM entity per account, kind "account", name kEntityName (invisible to every
// list, as the account alias is: services/iam/iam_account_ops.cc). Its document holds
// {"enabled", "issuer_id" (a UUID), "keys": [{"kid","alg","jwk"}]}; its sealed secret holds
// the two private keys (RS256: RSA 2048; ES384: P-384), sealed under the root key and bound
// to the entity (auth/identity_resolver.h), opened only to sign. The first enable makes the
// keys and the issuer id; disabling keeps both, so enabling again publishes the same issuer
// with the same keys (verifiers configured for it keep working).
//
// The issuer URL is BASE/_arcana/oidc/ACCOUNT/ISSUER_ID, BASE being --public-url (default:
// this node's listener), so every node of a cluster must be given the same one. Under it,
// unauthenticated GETs answer /.well-known/openid-configuration and /.well-known/jwks.json
// while the account's federation is enabled (404 otherwise: a verifier stops accepting
// tokens once it is disabled).
// Thread-safety: all methods may be called concurrently once SetBaseUrl has been called.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/identity_resolver.h"
#include "common/status.h"
#include "domain/iam/outbound_token.h"
#include "storage/identity_store.h"

namespace arcana::auth {

struct OutboundFederation {
  bool enabled = false;
  std::string issuer_id;
  std::vector<domain::iam::IssuerKey> keys;
  storage::IamEntity entity;  // as stored (its revision for the next write)
};

class WebIdentityIssuer {
 public:
  static constexpr const char* kEntityKind = "account";
  static constexpr const char* kEntityName = "outbound-web-identity-federation";
  static constexpr const char* kPathPrefix = "/_arcana/oidc/";

  WebIdentityIssuer(storage::IdentityStore& store, const IdentityResolver& resolver)
      : store_(store), resolver_(resolver) {}

  // "scheme://host:port" (no trailing slash), before serving starts.
  void SetBaseUrl(std::string base) { base_ = std::move(base); }
  std::string IssuerUrl(const std::string& account, const std::string& issuer_id) const;

  // The account's state; nullopt when federation was never enabled.
  Result<std::optional<OutboundFederation>> Load(const std::string& account) const;

  // The write that enables federation for `account`, given its state (`current`, as Load
  // answered): the same issuer and keys when it was enabled before, else new ones.
  // kFeatureEnabled when it is enabled already. `issuer_url` receives the issuer's URL.
  Result<storage::EntityWrite> EnableWrite(const std::string& account,
                                           const std::optional<OutboundFederation>& current,
                                           int64_t now_ms, std::string* issuer_url) const;
  // The write that disables it; kFeatureDisabled when it is not enabled.
  Result<storage::EntityWrite> DisableWrite(
      const std::optional<OutboundFederation>& current) const;

  // A signed JWT (JWS compact form) of `claims` under the enabled state's key for `alg`.
  Result<std::string> Sign(const OutboundFederation& state, const std::string& alg,
                           const std::string& claims_json) const;

  // The answer to an unauthenticated GET of `path` under kPathPrefix: the discovery document
  // or the JWK Set (JSON); nullopt when the path names no enabled issuer.
  Result<std::optional<std::string>> Publish(std::string_view path) const;

 private:
  storage::IdentityStore& store_;
  const IdentityResolver& resolver_;
  std::string base_;
};

}  // namespace arcana::auth
