// A neutral view of one HTTP exchange, so routing, SigV4 and handlers never see a
// Beast type (and can be unit-tested without sockets).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace arcana::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // request-target as received: path plus optional ?query
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;
  std::string remote_address;
  bool secure = false;  // arrived over TLS (aws:SecureTransport)

  // First header with this name (case-insensitive), or empty. Empty also when the header is
  // present with an empty value: use HasHeader when presence alone matters.
  std::string_view Header(std::string_view name) const;
  // Whether any header has this name (case-insensitive), whatever its value.
  bool HasHeader(std::string_view name) const;
  // Path without the query string.
  std::string_view Path() const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after this response

  void Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

}  // namespace arcana::net
