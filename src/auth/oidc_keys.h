// The signing keys of OpenID Connect issuers, as IAM finds them for AssumeRoleWithWebIdentity:
// the issuer's discovery document (ISSUER/.well-known/openid-configuration) names its
// jwks_uri, whose JWK Set (RFC 7517) holds the public keys. Both are fetched over HTTPS only,
// trusted through the system's store or the provider's thumbprints (net/http_client.h), and
// only for issuers an administrator registered (the caller looks the provider up first), so
// a token cannot make Arcana fetch an arbitrary URL.
// Keys are cached per issuer (and the thumbprints they were trusted under) for kTtl; a token naming a key id the cached set lacks (the
// issuer rotated its keys) refetches, at most once per kRefetchGap per issuer; a failed fetch
// is not retried before kRefetchGap either (each attempt can take the client's timeout,
// and the requests that cause it are unsigned). Each node has
// its own cache: keys come from the issuer, not from the store, so nodes cannot disagree on
// anything that must be consistent.
// Thread-safety: KeyFor may be called concurrently (fetches run outside the lock).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/jws.h"
#include "net/http_client.h"

namespace arcana::auth {

class OidcKeys {
 public:
  using Fetch = std::function<Result<net::ClientResponse>(const net::ClientRequest&)>;
  static constexpr int64_t kTtlMs = 10 * 60 * 1000;
  static constexpr int64_t kRefetchGapMs = 30 * 1000;
  static constexpr size_t kMaxIssuers = 64;
  static constexpr int kMaxConcurrentFetches = 4;  // across all issuers

  // `fetch`: the HTTP(S) exchange (tests inject one).
  explicit OidcKeys(Fetch fetch = net::HttpExchange) : fetch_(std::move(fetch)) {}

  // The key `issuer` ("https://host/path", as the token's iss) signs with under `kid` for
  // `alg` (a JWS algorithm crypto::VerifyJws accepts): the key with that kid, or without a
  // kid the issuer's keys of the algorithm's type (several: the caller tries each).
  // kInvalidIdentityToken in AWS's words when the keys cannot be fetched or none fits.
  // At most one fetch per issuer at a time and one per kRefetchGap (then keys up to twice
  // their TTL old still serve), kMaxConcurrentFetches in all: others are answered at once.
  Result<std::vector<crypto::JwkPublicKey>> KeysFor(const std::string& issuer,
                                                    const std::string& kid,
                                                    const std::string& alg,
                                                    const std::vector<std::string>& thumbprints,
                                                    int64_t now_ms);

 private:
  struct Key {
    std::string kid;
    std::string alg;  // "" when the JWK names none
    crypto::JwkPublicKey key;
  };
  struct Entry {
    std::vector<Key> keys;
    int64_t fetched_ms = 0;    // when `keys` were fetched (0: never)
    int64_t attempted_ms = 0;  // the latest fetch, successful or not
    bool fetching = false;     // a request is fetching them now
  };
  Result<std::vector<Key>> Download(const std::string& issuer,
                                    const std::vector<std::string>& thumbprints) const;
  Result<std::string> Get(const std::string& url,
                          const std::vector<std::string>& thumbprints) const;

  Fetch fetch_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> cache_;  // by issuer and thumbprints
  int fetches_in_flight_ = 0;
};

}  // namespace arcana::auth
