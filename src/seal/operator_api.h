// The operator endpoints of the root of trust, on the API listener:
//   GET  /_arcana/seal-status           public: {"sealed", "type", "threshold", "shares",
//                                       "progress", "root_key_id" (while unsealed)}
//   POST /_arcana/operator/unseal       Shamir: {"share": "arcs1-...", "nonce": "..."}. The
//                                       share is its own credential (as in Vault); the first
//                                       share of an attempt answers a "nonce" that every later
//                                       share must carry. Key file / HSM (unseal again after
//                                       `seal`): {} with operator credentials.
//                                       {"reset": true} with operator credentials drops the
//                                       attempt in progress. Answers the seal status.
//   POST /_arcana/operator/seal         operator credentials
//   POST /_arcana/operator/rotate-root  key file / HSM: operator credentials; answers the new
//                                       root key id. Shamir (a rekey, as Vault's): {} with
//                                       operator credentials answers {"nonce", "threshold",
//                                       "progress"}; then {"nonce", "share"} with current
//                                       shares; the share that completes the quorum answers
//                                       the new root key id and the new shares (shown once).
//                                       {"cancel": true} with operator credentials drops it.
// Operator credentials: the operator token (header X-Arcana-Operator-Token,
// seal/operator_token.h) or, while unsealed, a SigV4 signature (service "arcana") by the root
// identity of the server's own account (--account-id; exactly arn:aws:iam::<account>:root:
// another account's root operates only its own resources, never the server). While sealed
// only the token works: access-key secrets are sealed too.
// Shares and the token are accepted only over TLS or from a loopback address. Every POST is
// rate-limited per source address and globally (seal/rate_limiter.h): 429 with Retry-After.
// Bodies are JSON objects of at most kMaxOperatorBody bytes.
// Audit: every POST is recorded before its answer leaves and refused (503) when the trail
// cannot record it, seal excepted (OperatorOptions: audit_ready, on_start, on_action).
// Errors: {"error": "...", "message": "..."} with 400 / 401 / 403 / 404 / 405 / 409 / 413 /
// 429 / 503.
// Thread-safety: Handle() runs concurrently on every I/O thread.
#pragma once

#include <functional>

#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "net/http_types.h"
#include "seal/rate_limiter.h"
#include "seal/seal_manager.h"

namespace arcana::seal {

inline constexpr size_t kMaxOperatorBody = 4096;
inline constexpr std::string_view kOperatorTokenHeader = "X-Arcana-Operator-Token";

struct OperatorOptions {
  std::string token;  // required operator token; empty: only root SigV4 (while unsealed)
  // The server's account (--account-id): only its root identity signs operator requests.
  // Empty: no signature is accepted (only the token).
  std::string account_id;
  bool tls = false;   // the listener serves TLS, so credentials may come from any address
  RateLimits limits;
  // The audit trail (app/audit_setup.h: RecordOperatorAction). Operator actions follow the
  // API's fail-closed rule: a record is durable before the answer leaves, and an action the
  // trail cannot record is refused (503 ServiceUnavailableException) - except `seal`, a
  // safety action that runs whatever the trail's state (see OperatorApi::HandlePost).
  // audit_ready: whether the trail can take records now (audit_sink.h: Healthy); checked
  // before any action runs. on_start: the record written before anything that may rotate the
  // root runs (a rotation cannot be undone, so its attempt is on record first).
  // on_action: the record of every POST once handled, with its HTTP status, before the
  // answer is sent. Both return kServiceUnavailable when a fail-closed sink failed.
  std::function<bool()> audit_ready;
  std::function<Status(const std::string& op, const net::HttpRequest& req)> on_start;
  std::function<Status(const std::string& op, const net::HttpRequest& req, int status)> on_action;
};

class OperatorApi {
 public:
  OperatorApi(SealManager& seal, const auth::Authenticator& authn, OperatorOptions opts);
  ~OperatorApi();
  OperatorApi(const OperatorApi&) = delete;
  OperatorApi& operator=(const OperatorApi&) = delete;

  // False when req is not an operator endpoint of the root of trust. Wipes req.body (it may
  // hold a share) once it has been handled.
  bool Handle(net::HttpRequest& req, net::HttpResponse& res);

 private:
  // Runs the action; true when its answer reports an effect that must reach the caller even
  // if the action's record then fails (a committed rotation and its new shares, a seal).
  bool HandlePost(std::string_view op, const net::HttpRequest& req, net::HttpResponse& res);
  // True when the audit trail lets op act now (and, for a possible rotation, holds its
  // start record); otherwise writes the 503 refusal to res.
  bool AuditAdmits(std::string_view op, const net::HttpRequest& req, bool may_rotate,
                   net::HttpResponse& res);
  // True when req carries valid operator credentials; otherwise writes the error to res.
  bool Authenticate(const net::HttpRequest& req, net::HttpResponse& res);

  SealManager& seal_;
  const auth::Authenticator& authn_;
  OperatorOptions opts_;
  std::string token_digest_;  // SHA-256 of the token: compared in constant time
  RateLimiter limiter_;
};

// {"sealed":...} as the seal-status endpoint answers it; plus "nonce" when non-empty.
std::string SealStatusJson(const SealStatus& s, std::string_view nonce = "");

// Whether shares and tokens may arrive this way: over TLS, or from a loopback address.
bool CredentialTransportOk(bool tls, std::string_view remote_address);

}  // namespace arcana::seal
