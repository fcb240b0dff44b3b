#include "net/http_client.h"

#include <utility>  // Boost 1.74's Asio under C++20 needs it first

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <type_traits>

#include "crypto/tls_trust.h"
#include "net/bounded_resolve.h"

namespace arcana::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Status Failed(const std::string& what, const std::string& why) {
  return Status(ErrorCode::kServiceUnavailable, what + ": " + why);
}

// Runs one asynchronous operation to completion on ioc; its error (beast::error::timeout
// once the stream's deadline passed).
template <class Initiate>
beast::error_code RunOne(asio::io_context& ioc, Initiate&& initiate) {
  beast::error_code result;
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

template <class Stream>
Result<ClientResponse> Exchange(asio::io_context& ioc, Stream& stream,
                                http::request<http::string_body>& req, size_t max_bytes) {
  if (auto ec = RunOne(ioc, [&](auto h) { http::async_write(stream, req, h); })) {
    return Failed("send", ec.message());
  }
  // Bounds what waits unparsed: Beast (1.74) buffers a chunk-size line until its CRLF and a
  // trailer section until its blank line with no limit of its own, so an endpoint sending
  // either without end would grow it until the deadline. Body bytes are taken as they come.
  beast::flat_buffer buf{16 * 1024 + 64 * 1024};
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_bytes);
  parser.header_limit(16 * 1024);
  if (auto ec = RunOne(ioc, [&](auto h) { http::async_read(stream, buf, parser, h); })) {
    return Failed("answer", ec.message());
  }
  ClientResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  return out;
}

}  // namespace

bool SplitUrl(const std::string& url, UrlParts* out) {
  std::string_view rest(url);
  if (rest.starts_with("https://")) {
    out->tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    out->tls = false;
    rest.remove_prefix(7);
  } else {
    return false;
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (target.find('#') != std::string_view::npos) target = target.substr(0, target.find('#'));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || (port.empty() && authority.back() == ':')) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  if (port.size() > 5) return false;
  out->host = std::string(host);
  out->port = port.empty() ? (out->tls ? "443" : "80") : std::string(port);
  out->target = target.empty() ? "/" : (target.front() == '?' ? "/" + std::string(target)
                                                                : std::string(target));
  return true;
}

Result<ClientResponse> HttpExchange(const ClientRequest& request) {
  UrlParts url;
  if (!SplitUrl(request.url, &url)) {
    return Status(ErrorCode::kInvalidParameter, "not an http(s) URL");
  }
  http::request<http::string_body> req{http::string_to_verb(request.method), url.target, 11};
  const bool default_port = url.port == (url.tls ? "443" : "80");
  const std::string host_header =
      (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) +
      (default_port ? "" : ":" + url.port);
  req.set(http::field::host, host_header);
  req.set(http::field::user_agent, request.user_agent);
  if (!request.content_type.empty()) req.set(http::field::content_type, request.content_type);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  req.prepare_payload();
  try {
    asio::io_context ioc;
    // The lookup within the exchange's time too (bounded_resolve.h): Asio's asynchronous
    // lookup is getaddrinfo on a thread of its own, which no expiry interrupts.
    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    auto resolved = ResolveBefore(url.host, url.port, deadline);
    if (!resolved.ok()) return resolved.status();
    const tcp::resolver::results_type endpoints = std::move(resolved).value();
    if (!url.tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_at(deadline);
      if (auto ec = RunOne(ioc, [&](auto h) { stream.async_connect(endpoints, h); })) {
        return Failed("connect", ec.message());
      }
      return Exchange(ioc, stream, req, request.max_response_bytes);
    }
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    // The handshake does not judge the certificate: VerifyPeerTrust does, before a byte of
    // the request is sent, so that a pinned thumbprint can anchor a chain the system
    // store does not know.
    ctx.set_verify_mode(asio::ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
      return Failed("TLS", "cannot set the server name");
    }
    beast::get_lowest_layer(stream).expires_at(deadline);
    if (auto ec = RunOne(ioc, [&](auto h) { beast::get_lowest_layer(stream).async_connect(endpoints, h); })) {
      return Failed("connect", ec.message());
    }
    if (auto ec = RunOne(ioc, [&](auto h) { stream.async_handshake(asio::ssl::stream_base::client, h); })) {
      return Failed("TLS handshake", ec.message());
    }
    Status trusted = crypto::VerifyPeerTrust(stream.native_handle(), url.host,
                                             request.pinned_thumbprints, request.ca_file);
    if (!trusted.ok()) return Failed("TLS", trusted.message());
    return Exchange(ioc, stream, req, request.max_response_bytes);
  } catch (const std::exception& e) {
    return Failed("request", e.what());
  }
}

}  // namespace arcana::net
