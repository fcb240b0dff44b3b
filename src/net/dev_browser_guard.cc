#include "net/dev_browser_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace arcana::net {
namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsPort(std::string_view p) {
  // Empty is allowed, as the URI grammar allows "host:".
  return p.size() <= 5 && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsLoopbackV4(const std::string& a) {
  in_addr v4{};
  return inet_pton(AF_INET, a.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

bool IsLoopbackName(std::string host) {
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host == "localhost") return true;
  // Browsers resolve every *.localhost name to loopback themselves (RFC 6761 section 6.3),
  // so no outside DNS can re-point one.
  constexpr std::string_view kSuffix = ".localhost";
  if (host.size() > kSuffix.size() && host.ends_with(kSuffix)) return true;
  // A literal only: a name that merely starts with "127." resolves wherever its owner likes.
  return IsLoopbackV4(host);
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && LowerAscii(a) == LowerAscii(b);
}

}  // namespace

bool IsLoopbackHostPort(std::string_view host_port) {
  if (host_port.empty()) return false;
  const std::string hp = LowerAscii(host_port);
  if (hp.front() == '[') {
    const size_t close = hp.find(']');
    if (close == std::string::npos) return false;
    const std::string_view rest = std::string_view(hp).substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !IsPort(rest.substr(1)))) return false;
    in6_addr v6{};
    if (inet_pton(AF_INET6, hp.substr(1, close - 1).c_str(), &v6) != 1) return false;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  const size_t colon = hp.find(':');
  if (colon != std::string::npos && !IsPort(std::string_view(hp).substr(colon + 1))) return false;
  return IsLoopbackName(hp.substr(0, colon));
}

bool IsLoopbackOrigin(std::string_view origin) {
  const std::string o = LowerAscii(origin);
  std::string_view rest = o;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else {
    return false;  // "null" (a sandboxed frame, a redirect), file://, any other scheme
  }
  return rest.find('/') == std::string_view::npos && IsLoopbackHostPort(rest);
}

std::optional<std::string> DevModeRefusal(const HttpRequest& req) {
  // Every header of each name: a second Origin or Host must not slip past the first.
  for (const auto& [name, value] : req.headers) {
    if (SameName(name, "Origin") && !IsLoopbackOrigin(value)) {
      return "Dev mode (any credentials accepted) refuses requests from web pages: the "
             "request's Origin is not a loopback origin.";
    }
    if (SameName(name, "Sec-Fetch-Site")) {
      const std::string site = LowerAscii(value);
      if (site == "cross-site" || site == "same-site") {
        return "Dev mode (any credentials accepted) refuses requests a web browser sends for "
               "another site (Sec-Fetch-Site: " + site + ").";
      }
    }
    if (SameName(name, "Host") && !IsLoopbackHostPort(value)) {
      return "Dev mode (any credentials accepted) serves only requests addressed to localhost "
             "or a loopback address: the request's Host names another host (DNS rebinding).";
    }
  }
  return std::nullopt;
}

}  // namespace arcana::net
