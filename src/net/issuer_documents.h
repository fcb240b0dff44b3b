// The token issuers' OpenID Connect documents over HTTP (auth/web_identity_issuer.h): an
// unauthenticated GET of ISSUER/.well-known/openid-configuration or
// ISSUER/.well-known/jwks.json answers the JSON document, for any verifier of the tokens
// STS GetWebIdentityToken issues. 404 for a path under the issuers' prefix that names no
// enabled issuer; 405 for another method; 503 when the store cannot be read (a verifier
// retries).
// Thread-safety: as the issuer's.
#pragma once

#include "auth/web_identity_issuer.h"
#include "net/http_types.h"

namespace arcana::net {

// True when the request was one of these (answered in `res`).
bool ServeIssuerDocument(const auth::WebIdentityIssuer& issuer, const HttpRequest& req,
                         HttpResponse& res);

}  // namespace arcana::net
