#include "cli/operator_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

#include "auth/sigv4.h"

namespace arcana::cli {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Result<Endpoint> ParseEndpoint(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0) {
    return Status(ErrorCode::kInvalidParameter,
                  "https endpoints are not supported by `arcana operator` yet; use the loopback "
                  "http listener or a TLS-terminating tunnel");
  }
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  Endpoint ep;
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || rest.find(']') != std::string::npos && colon < rest.find(']')) {
    ep.host = rest;
    ep.port = "80";
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

Result<HttpReply> OperatorCall(const Endpoint& ep, const std::string& method,
                               const std::string& path, const std::string& body,
                               const std::string& akid, const std::string& secret) {
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(120));
    stream.connect(resolver.resolve(ep.host, ep.port));

    std::string host_header = ep.host + ":" + ep.port;
    auth::SignableRequest sr;
    sr.method = method;
    sr.target = path;
    sr.headers = {{"Host", host_header}, {"Content-Type", "application/json"}};
    sr.body = body;
    if (!akid.empty()) {
      auth::SignRequest(sr, akid, secret, "us-east-1", "arcana",
                        auth::FormatAmzDate(std::chrono::system_clock::now()));
    }
    http::request<http::string_body> req{http::string_to_verb(method), path, 11};
    for (const auto& [k, v] : sr.headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return HttpReply{static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternalFailure,
                  "cannot reach arcanad at " + ep.host + ":" + ep.port + ": " + e.what());
  }
}

}  // namespace arcana::cli
