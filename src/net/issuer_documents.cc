#include "net/issuer_documents.h"

#include <spdlog/spdlog.h>

namespace arcana::net {

bool ServeIssuerDocument(const auth::WebIdentityIssuer& issuer, const HttpRequest& req,
                         HttpResponse& res) {
  const std::string_view path = req.Path();
  if (!path.starts_with(auth::WebIdentityIssuer::kPathPrefix)) return false;
  if (req.method != "GET") {
    res.status = 405;
    res.Set("Allow", "GET");
    res.body = "Method Not Allowed";
    return true;
  }
  auto document = issuer.Publish(path);
  if (!document.ok()) {
    spdlog::warn("web identity issuer document: {}", document.status().message());
    res.status = 503;
    res.body = "Service Unavailable";
    return true;
  }
  if (!*document) {
    res.status = 404;
    res.body = "Not Found";
    return true;
  }
  res.status = 200;
  res.Set("Content-Type", "application/json");
  // Verifiers cache the keys; a short lifetime lets a disabled issuer stop being trusted soon.
  res.Set("Cache-Control", "max-age=300");
  res.body = std::move(**document);
  return true;
}

}  // namespace arcana::net
