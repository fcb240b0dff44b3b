// Fuzzes the one part of a web identity token issuer's published documents that reads
// caller bytes without authentication: the path of a GET under the issuers' prefix
// (domain/iam/outbound_token.h ParseIssuerDocumentPath, which auth/web_identity_issuer.cc
// Publish calls before it reads the store). Invariants: no crash; an accepted path names a
// 12-digit account, a non-empty issuer id without '/', one of the two documents, and is
// exactly the path those three spell (nothing of the input is skipped or guessed).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "domain/iam/outbound_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto parsed = arcana::domain::iam::ParseIssuerDocumentPath(in);
  if (!parsed) return 0;
  if (parsed->account.size() != 12 ||
      parsed->account.find_first_not_of("0123456789") != std::string::npos ||
      parsed->issuer_id.empty() || parsed->issuer_id.find('/') != std::string::npos) {
    std::abort();
  }
  const std::string spelled = parsed->account + "/" + parsed->issuer_id + "/.well-known/" +
                              (parsed->jwks ? "jwks.json" : "openid-configuration");
  if (spelled != in) std::abort();
  return 0;
}
