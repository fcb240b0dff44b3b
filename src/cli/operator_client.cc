#include "cli/operator_client.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <cstdlib>

#include "auth/sigv4.h"
#include "crypto/aead.h"

namespace arcana::cli {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Result<Endpoint> ParseEndpoint(const std::string& url) {
  std::string rest = url;
  Endpoint ep;
  if (rest.rfind("https://", 0) == 0) {
    ep.tls = true;
    rest = rest.substr(8);
    if (const char* ca = std::getenv("ARCANA_CA_CERT"); ca != nullptr) ep.ca_file = ca;
  } else if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  auto colon = rest.rfind(':');
  if (colon == std::string::npos ||
      (rest.find(']') != std::string::npos && colon < rest.find(']'))) {
    ep.host = rest;
    ep.port = ep.tls ? "443" : "80";
  } else {
    ep.host = rest.substr(0, colon);
    ep.port = rest.substr(colon + 1);
  }
  if (ep.host.size() >= 2 && ep.host.front() == '[' && ep.host.back() == ']') {
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  }
  if (ep.host.empty() || ep.port.empty()) {
    return Status(ErrorCode::kInvalidParameter, "bad endpoint " + url);
  }
  return ep;
}

namespace {

// One request and its reply over a connected (plain or TLS) stream. `prepare` adds headers
// (and signs) once Host is set.
template <class Stream>
HttpReply Exchange(Stream& stream, const Endpoint& ep, const std::string& method,
                   const std::string& path, const std::string& body,
                   const RequestPreparer& prepare) {
  std::string host_header = ep.host + ":" + ep.port;
  auth::SignableRequest sr;
  sr.method = method;
  sr.target = path;
  sr.headers = {{"Host", host_header}};
  sr.body = body;
  prepare(sr);
  http::request<http::string_body> req{http::string_to_verb(method), path, 11};
  for (const auto& [k, v] : sr.headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  crypto::SecureWipe(req.body());  // it may hold a share or a secret value
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return HttpReply{static_cast<int>(res.result_int()), res.body()};
}

}  // namespace

Result<HttpReply> OperatorCall(const Endpoint& ep, const std::string& method,
                               const std::string& path, const std::string& body,
                               const OperatorAuth* auth) {
  return SendRequest(ep, method, path, body, [auth](auth::SignableRequest& sr) {
    sr.headers.emplace_back("Content-Type", "application/json");
    if (auth != nullptr && !auth->token.empty()) {
      sr.headers.emplace_back("X-Arcana-Operator-Token", auth->token);
    } else if (auth != nullptr && !auth->akid.empty()) {
      auth::SignRequest(sr, auth->akid, auth->secret, "us-east-1", "arcana",
                        auth::FormatAmzDate(std::chrono::system_clock::now()));
    }
  });
}

Result<HttpReply> SendRequest(const Endpoint& ep, const std::string& method,
                              const std::string& path, const std::string& body,
                              const RequestPreparer& prepare) {
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    if (ep.tls) {
      namespace ssl = boost::asio::ssl;
      ssl::context ctx(ssl::context::tls_client);
      ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      if (ep.ca_file.empty()) {
        ctx.set_default_verify_paths();
      } else {
        ctx.load_verify_file(ep.ca_file);
      }
      ctx.set_verify_mode(ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
      if (!SSL_set_tlsext_host_name(stream.native_handle(), ep.host.c_str())) {
        return Status(ErrorCode::kInternalFailure, "cannot set TLS server name " + ep.host);
      }
      stream.set_verify_callback(ssl::host_name_verification(ep.host));
      beast::get_lowest_layer(stream).expires_after(ep.timeout);
      beast::get_lowest_layer(stream).connect(resolver.resolve(ep.host, ep.port));
      stream.handshake(ssl::stream_base::client);
      auto reply = Exchange(stream, ep, method, path, body, prepare);
      beast::error_code ec;
      stream.shutdown(ec);  // peers often just close; the reply is complete already
      return reply;
    }
    beast::tcp_stream stream(ioc);
    stream.expires_after(ep.timeout);
    stream.connect(resolver.resolve(ep.host, ep.port));
    auto reply = Exchange(stream, ep, method, path, body, prepare);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return reply;
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternalFailure,
                  "cannot reach arcanad at " + ep.host + ":" + ep.port + ": " + e.what());
  }
}

}  // namespace arcana::cli
