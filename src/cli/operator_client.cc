#include "cli/operator_client.h"

#include <utility>  // Boost 1.74's Asio under C++20 needs it first

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "auth/sigv4.h"
#include "crypto/aead.h"
#include "net/bounded_resolve.h"

namespace arcana::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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

// Runs one asynchronous operation to completion on ioc and throws its error. Only the
// asynchronous operations honour a stream's expiry (beast's synchronous read and write
// ignore it: a server that accepts and never answers held the CLI forever), so every step
// runs this way under the one deadline set before connecting.
template <class Initiate>
void RunStep(asio::io_context& ioc, const Endpoint& ep, const char* step, Initiate&& initiate) {
  beast::error_code result;
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  if (result == beast::error::timeout) {
    throw std::runtime_error(std::string(step) + ": no answer within " +
                             std::to_string(ep.timeout.count()) + " s");
  }
  if (result) throw beast::system_error(result, step);
}

// One request and its reply over a connected (plain or TLS) stream whose deadline is set.
// `prepare` adds headers (and signs) once Host is set.
template <class Stream>
HttpReply Exchange(asio::io_context& ioc, Stream& stream, const Endpoint& ep,
                   const std::string& method, const std::string& path, const std::string& body,
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
  struct WipeBody {  // it may hold a share or a secret value, sent or not
    std::string& s;
    ~WipeBody() { crypto::SecureWipe(s); }
  } wipe_body{req.body()};
  RunStep(ioc, ep, "send", [&](auto h) { http::async_write(stream, req, h); });
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  RunStep(ioc, ep, "answer", [&](auto h) { http::async_read(stream, buf, res, h); });
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
    asio::io_context ioc;
    // The whole exchange, the name lookup included, within ep.timeout (net/bounded_resolve.h:
    // a lookup that does not answer in time is abandoned, not waited for).
    const auto deadline = std::chrono::steady_clock::now() + ep.timeout;
    auto resolved = net::ResolveBefore(ep.host, ep.port, deadline);
    if (!resolved.ok()) {
      return Status(resolved.status().code(), "cannot reach arcanad at " + ep.host + ":" +
                                                  ep.port + ": " + resolved.status().message());
    }
    const auto addresses = std::move(resolved).value();
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
      beast::get_lowest_layer(stream).expires_at(deadline);  // the rest of the exchange
      RunStep(ioc, ep, "connect", [&](auto h) {
        beast::get_lowest_layer(stream).async_connect(addresses, h);
      });
      RunStep(ioc, ep, "TLS handshake",
              [&](auto h) { stream.async_handshake(ssl::stream_base::client, h); });
      auto reply = Exchange(ioc, stream, ep, method, path, body, prepare);
      // Peers often just close; the reply is complete already, so its outcome is ignored
      // and it gets at most a second (within the deadline), not the rest of the exchange's.
      beast::get_lowest_layer(stream).expires_at(
          std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1)));
      stream.async_shutdown([](beast::error_code) {});
      ioc.restart();
      ioc.run();
      return reply;
    }
    beast::tcp_stream stream(ioc);
    stream.expires_at(deadline);  // the rest of the exchange
    RunStep(ioc, ep, "connect", [&](auto h) { stream.async_connect(addresses, h); });
    auto reply = Exchange(ioc, stream, ep, method, path, body, prepare);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return reply;
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternalFailure,
                  "cannot reach arcanad at " + ep.host + ":" + ep.port + ": " + e.what());
  }
}

}  // namespace arcana::cli
