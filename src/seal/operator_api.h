// The operator endpoints of the root of trust, on the API listener:
//   GET  /_arcana/seal-status           public: {"sealed", "type", "threshold", "shares",
//                                       "progress", "root_key_id" (while unsealed)}
//   POST /_arcana/operator/unseal       public: {"share": "arcs1-..."} (Shamir; the share is
//                                       the credential, as in Vault) or {} (key file / HSM:
//                                       unseal again after `seal`); {"reset": true} clears
//                                       submitted shares. Answers the seal status.
//   POST /_arcana/operator/seal         SigV4-signed (service "arcana") by a root identity
//   POST /_arcana/operator/rotate-root  SigV4-signed by a root identity; answers the new root
//                                       key id and, for Shamir, the new shares (shown once)
// Errors: {"error": "...", "message": "..."} with 400 / 403 / 503.
// Seal and rotate-root need credentials because they can deny service or hand out new
// shares; while sealed no credential can be checked, which is why unseal takes the share.
// Thread-safety: Handle() runs concurrently on every I/O thread.
#pragma once

#include "auth/authenticator.h"
#include "net/http_types.h"
#include "seal/seal_manager.h"

namespace arcana::seal {

class OperatorApi {
 public:
  OperatorApi(SealManager& seal, const auth::Authenticator& authn) : seal_(seal), authn_(authn) {}
  // False when req is not an operator endpoint of the root of trust.
  bool Handle(const net::HttpRequest& req, net::HttpResponse& res);

 private:
  SealManager& seal_;
  const auth::Authenticator& authn_;
};

// {"sealed":...} as the seal-status endpoint answers it.
std::string SealStatusJson(const SealStatus& s);

}  // namespace arcana::seal
