// Whether the certificate chain a TLS server presented is trusted for a host name, the way
// IAM trusts an OpenID Connect provider: by the system's trust store (with host-name
// checking), or else by a pinned thumbprint, the SHA-1 of a certificate of the chain
// (IAM's ThumbprintList: the top certificate the issuer's server presents), which then acts
// as the trust anchor of that chain; the chain must still verify up to it, be within its
// validity period and name the host. A thumbprint alone never trusts an unrelated leaf.
// Thread-safety: pure function (the system trust store is read on each call).
#pragma once

#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "common/status.h"

namespace arcana::crypto {

// The SHA-1 thumbprints (40 lower-case hex characters) of the peer's chain, leaf first.
std::vector<std::string> PeerChainThumbprints(SSL* ssl);

// Ok when the peer of the (handshaken, client-side) connection `ssl` is trusted for `host`
// (a DNS name or an IP literal) as above; kServiceUnavailable naming why not otherwise.
// `thumbprints`: 40 hex characters each, any case. `ca_file`: PEM certificates trusted
// instead of the system's store ("" = the system's).
Status VerifyPeerTrust(SSL* ssl, const std::string& host,
                       const std::vector<std::string>& thumbprints,
                       const std::string& ca_file = "");

}  // namespace arcana::crypto
