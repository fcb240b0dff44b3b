#include "crypto/tls_trust.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "crypto/hash.h"

namespace arcana::crypto {
namespace {

struct StoreDeleter {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

std::string Thumbprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha1(), md, &n) != 1) return {};
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), n));
}

// Verifies leaf (with the peer's chain as untrusted intermediates) against `store`, for
// host; partial: a trusted certificate that is not self-signed may end the chain.
bool Verifies(X509_STORE* store, X509* leaf, STACK_OF(X509)* chain, const std::string& host,
              bool partial, std::string* why) {
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, leaf, chain) != 1) {
    *why = "cannot set up certificate verification";
    return false;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (partial) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  // An IP literal is matched against the certificate's IP addresses, a name against its DNS
  // names (never the common name of a certificate that has DNS names).
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
    ERR_clear_error();
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1) {
      *why = "invalid host name";
      return false;
    }
  }
  const bool ok = X509_verify_cert(ctx.get()) == 1;
  if (!ok) *why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  ERR_clear_error();
  return ok;
}

}  // namespace

std::vector<std::string> PeerChainThumbprints(SSL* ssl) {
  std::vector<std::string> out;
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    out.push_back(Thumbprint(sk_X509_value(chain, i)));
  }
  return out;
}

Status VerifyPeerTrust(SSL* ssl, const std::string& host,
                       const std::vector<std::string>& thumbprints, const std::string& ca_file) {
  std::unique_ptr<X509, X509Deleter> leaf(SSL_get1_peer_certificate(ssl));
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);  // client side: leaf first
  if (!leaf) return Status(ErrorCode::kServiceUnavailable, "the server presented no certificate");
  std::string why;
  {
    std::unique_ptr<X509_STORE, StoreDeleter> system(X509_STORE_new());
    const int loaded = !system            ? 0
                       : ca_file.empty() ? X509_STORE_set_default_paths(system.get())
                                         : X509_STORE_load_file(system.get(), ca_file.c_str());
    if (loaded != 1) why = "cannot load the trusted certificates";
    if (loaded == 1 &&
        Verifies(system.get(), leaf.get(), chain, host, /*partial=*/false, &why)) {
      return Status::Ok();
    }
    ERR_clear_error();
  }
  std::vector<std::string> pinned;
  for (std::string t : thumbprints) {
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
    pinned.push_back(std::move(t));
  }
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    if (std::find(pinned.begin(), pinned.end(), Thumbprint(cert)) == pinned.end()) continue;
    std::unique_ptr<X509_STORE, StoreDeleter> anchored(X509_STORE_new());
    if (!anchored || X509_STORE_add_cert(anchored.get(), cert) != 1) continue;
    std::string pinned_why;
    if (Verifies(anchored.get(), leaf.get(), chain, host, /*partial=*/true, &pinned_why)) {
      return Status::Ok();
    }
    why = pinned_why;
  }
  return Status(ErrorCode::kServiceUnavailable, "the server's certificate is not trusted: " + why);
}

}  // namespace arcana::crypto
