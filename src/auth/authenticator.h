// The pipeline's authenticate stage: turns an HTTP request into a CallContext (account,
// region, principal) or an AWS auth error. Normal mode verifies SigV4 against the stored
// access keys; dev mode (loopback only, explicit) checks no signature: a key the store knows
// (an IAM user's, an STS session's) acts as its own identity, any other key as the account
// root, and the region comes from the credential scope.
// Thread-safety: Authenticate() is safe to call concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "auth/identity_resolver.h"
#include "auth/key_use_log.h"
#include "auth/principal.h"
#include "auth/service_use_log.h"
#include "auth/sigv4.h"
#include "crypto/root_key.h"
#include "net/http_types.h"
#include "services/common/service.h"
#include "storage/access_key_store.h"
#include "storage/change_follower.h"

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

  // Keys that are not the root's resolve through `resolver` (IAM users, STS sessions); the
  // resolver must outlive this object. Without one, only root keys authenticate. Call once,
  // at startup, before serving.
  void ResolveIdentitiesWith(const IdentityResolver* resolver) { resolver_ = resolver; }
  // Every request an IAM user's long-term key signs is noted in `log` (GetAccessKeyLastUsed)
  // with the request's signing name and region; the log must outlive this object. Call once,
  // at startup, before serving.
  void RecordKeyUsesIn(KeyUseLog* log) { key_uses_ = log; }
  // Every authenticated call of an IAM user or role is noted in `log` (IAM's last accessed
  // information) by NoteServiceUse; the log must outlive this object. Call once, at startup,
  // before serving.
  void RecordServiceUsesIn(ServiceUseLog* log) { service_uses_ = log; }
  // Notes that ctx's caller, authenticated by Authenticate for `service` (the signing name,
  // which is the service's namespace), called `operation` (its IAM action's name). A map
  // update (ServiceUseLog::Note); nothing without a log or a principal.
  void NoteServiceUse(std::string_view service, std::string_view operation,
                      const services::CallContext& ctx) const;

  // Fills account, region, principal_arn, access_key_id and principal of ctx. Expired session
  // credentials are kExpiredToken; an inactive user key kUnrecognizedClient.
  Status Authenticate(const net::HttpRequest& req, std::string_view signing_name,
                      services::CallContext& ctx) const;
  // An operation that is served unsigned (services::Service::IsUnsigned): only the region
  // (the credential scope's when the client sent one, else the default); no account, no
  // principal, no signature checked (a signature, if any, is ignored, as AWS ignores it).
  Status Unsigned(const net::HttpRequest& req, services::CallContext& ctx) const;
  // Wipes every cached credential and signing key (sealing: no secrets stay in memory).
  void ForgetCredentials() const;
  // Makes the credential cache follow the store's change sequence (call once, at startup):
  // an access key deleted through any node stops working on this node's next request.
  // Without it (and for writes the sequence cannot show, such as an offline CLI writing a
  // SQLite store a server has open), entries still expire after kCacheTtl.
  void FollowChanges(storage::ChangeFollower& follower);

  // Same, without copying the request: its fields are lent to the verifier and restored.
  Status Authenticate(net::HttpRequest& req, std::string_view signing_name,
                      services::CallContext& ctx) const;

 private:
  // The credential and Principal of a key: the cache's, or read and cached.
  struct Entry {
    Credential cred;
    std::shared_ptr<const Principal> principal;
    int64_t session_expires_ms = 0;  // 0 = does not expire
  };
  // Find: nullopt for a key no store holds; an error for one held but refused (inactive,
  // expired, its identity gone). Load: the same, an unknown key kUnrecognizedClient too.
  Result<Entry> Load(const std::string& access_key_id) const;
  Result<std::optional<Entry>> Find(const std::string& access_key_id) const;
  Result<std::optional<Entry>> Read(const std::string& access_key_id) const;
  Result<Credential> Lookup(std::string_view access_key_id) const;
  static size_t ApproxBytes(const Entry& e);  // for the cache's byte bound
  Status AuthenticateDev(const SignableRequest& sr, services::CallContext& ctx) const;
  // Notes the use of ctx's key when it is an IAM user's long-term key.
  void NoteKeyUse(std::string_view signing_name, const services::CallContext& ctx) const;
  // Dev mode: the key was looked up and is not in the store (so each such request does not
  // read the store again; a key created later has a new id, and a change to a key's id
  // drops it here too).
  bool KnownUnknownInDev(const std::string& access_key_id) const;

  storage::AccessKeyStore& store_;
  const crypto::RootKey& root_;
  AuthOptions opts_;
  std::unique_ptr<Verifier> verifier_;
  storage::ChangeFollower* follower_ = nullptr;
  const IdentityResolver* resolver_ = nullptr;
  KeyUseLog* key_uses_ = nullptr;
  ServiceUseLog* service_uses_ = nullptr;
  // Opened credentials, cached until a change to the key (FollowChanges) or kCacheTtl.
  // Bounded by entries and by bytes: a role's customer policies may hold ~130 KB of text
  // under IAM's quotas, and each session of it is its own entry, so a caller minting
  // sessions could otherwise hold gigabytes here. Past either bound the cache starts over.
  struct Cached {
    Entry entry;
    std::chrono::steady_clock::time_point expires;
    size_t bytes = 0;  // ApproxBytes(entry), counted in cached_bytes_
  };
  static constexpr std::chrono::seconds kCacheTtl{30};
  static constexpr size_t kMaxAccessKeyIdLength = 128;  // AWS's bound (IAM AccessKeyId)
  static constexpr size_t kMaxCachedEntries = 10000;
  static constexpr size_t kMaxCachedBytes = size_t{64} << 20;
  void EraseCached(const std::string& access_key_id) const;  // mu_ held
  void ClearCached() const;                                  // mu_ held
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, Cached> cache_;
  mutable size_t cached_bytes_ = 0;
  // Bumped by every erasure from the change sequence: a key read before it is not kept
  // (storage/change_follower.h, step 3).
  mutable uint64_t epoch_ = 0;
  mutable std::unordered_set<std::string> dev_unknown_;  // dev mode: keys the store lacks
};

}  // namespace arcana::auth
