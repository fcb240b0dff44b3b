// The change stream: the store's change sequence (storage/change_log.h) as a SigV4-signed
// long-poll, so caching agents (src/agent) drop a cached secret or parameter as soon as any
// node changes it.
//
//   GET /_arcana/changes                      -> {"Changes":[], "Next":HEAD, "Head":HEAD,
//                                                 "Reset":false}  (where the stream is now)
//   GET /_arcana/changes?after=SEQ[&wait=S][&limit=N]
//       -> {"Changes":[{"Seq","Service","Region","Resource","Kind","Time"}...],
//           "Next":SEQ2, "Head":H, "Reset":bool, "Store":ID}
//
// "Kind" names what made the change ("PutSecretValue", "RotateSecret", ...;
// "RecordAccess": a GetSecretValue's LastAccessedDate record, once a day, no value changed).
// Changes with seq > SEQ that the caller may see (auth/change_visibility.h: the secrets and
// parameters whose values its policies let it read, another account's too when their
// resource policies let it), ascending, at
// most `limit` (1..1000, default 1000) scanned. Resume with after=Next: Next covers every change scanned, shown or not. With
// wait=S (0..20 s, default 0) the answer is held until a visible change commits or S passes
// (an empty answer then). "Reset": true when the changes after SEQ cannot be given (trimmed
// by retention, or the store was replaced: SEQ > head) or include a restore from a backup
// (Change::IsStoreRestore): the client must drop everything it cached and resume from Next.
// "Store" names the store (random, made once): a client that followed another store (this
// node's data dir or database was replaced by a new one) must drop everything and resume from
// Next, whatever the numbers say. No secret value ever appears here. A write to a secret is one change naming the primary's
// ARN: its replicas (the same account, name and suffix in other regions, serving the
// primary's versions) changed with it, so a reader matches secrets without the region
// (agent/resource_tag.h).
//
// Authentication: SigV4 exactly as the API (signing name "secretsmanager", same access keys,
// same errors); 503 ServiceUnavailable while sealed. At most max_waiters requests are held
// at once (each holds a worker thread); beyond that a request is answered at once, as with
// wait=0, and carries "Retry-After: 1".
// Thread-safety: Handle() runs concurrently on worker threads; Stop() from any thread.
#pragma once

#include <atomic>
#include <cstddef>

#include "auth/authenticator.h"
#include "auth/authorizer.h"
#include "auth/change_visibility.h"
#include "crypto/root_key.h"
#include "net/http_types.h"
#include "storage/change_log.h"

namespace arcana::net {

inline constexpr std::string_view kChangeStreamPath = "/_arcana/changes";

struct ChangeStreamOptions {
  int max_wait_seconds = 20;
  int max_waiters = 4;
  // The policy engine, and who decides whether a caller may read a changed resource
  // (auth/change_visibility.h). Null / empty: every change of the caller's account.
  const auth::Authorizer* authorizer = nullptr;
  auth::ReadCheck may_read;
  // The store's identity (storage::kStoreIdMeta), answered as "Store": a follower whose
  // sequence numbers came from another store must start over ("" when unknown: not answered).
  std::string store_id;
};

class ChangeStreamApi {
 public:
  ChangeStreamApi(storage::ChangeLog& log, const auth::Authenticator& authn,
                  const crypto::RootKey* root, ChangeStreamOptions opts);

  // False when req is not for the change stream.
  bool Handle(HttpRequest& req, HttpResponse& res);
  // A stop began: held requests answer now (within one wait slice) and no new one is held.
  void Stop() { stopping_ = true; }

 private:
  storage::ChangeLog& log_;
  const auth::Authenticator& authn_;
  const crypto::RootKey* root_;
  ChangeStreamOptions opts_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> waiters_{0};
};

}  // namespace arcana::net
