#include "agent/upstream_client.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <mutex>
#include <set>
#include <vector>

#include "agent/wiped_http.h"
#include "auth/sigv4.h"
#include "crypto/aead.h"

namespace arcana::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxIdleConnections = 64;
// A GetSecretValue answer is at most ~90 KB (64 KB value, base64 binaries); anything far
// larger is not an AWS answer.
constexpr uint64_t kMaxReplyBytes = 4 * 1024 * 1024;
constexpr size_t kMaxUnparsedBytes = 128 * 1024;
constexpr std::string_view kUserAgent = "arcana-agent/1.0";

// One keep-alive connection with its own io_context: each request runs it on the calling
// thread until the exchange completes or the stream's timer (the deadline) closes the socket.
struct Conn {
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  WipedFlatBuffer buf;  // holds answers' bytes: wiped in place after each, and when released
  // The answer's bytes not parsed yet: header, chunk-size lines and trailers, which Beast
  // buffers without limits of its own (body bytes are taken as they arrive).
  Conn() { buf.max_size(kMaxUnparsedBytes); }
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

Status Transport(const beast::error_code& ec, const std::string& where) {
  if (ec == beast::error::timeout) {
    return Status(ErrorCode::kDependencyTimeout, "upstream " + where + " timed out");
  }
  return Status(ErrorCode::kServiceUnavailable, "upstream " + where + ": " + ec.message());
}

// Runs the connection's io_context until its queued operations are done (or stopped by
// Shutdown). Track() made it runnable again, under the lock Shutdown takes.
void RunIo(Conn& c) { c.ioc.run(); }

}  // namespace

struct UpstreamClient::Impl {
  cli::Endpoint ep;
  std::string region;
  CredentialSource& creds;
  std::chrono::milliseconds timeout;
  std::string host_header;
  std::unique_ptr<ssl::context> tls_ctx;

  std::mutex mu;
  std::vector<std::unique_ptr<Conn>> idle;  // guarded by mu
  std::set<Conn*> busy;                     // guarded by mu: stopped by Shutdown
  bool shut = false;                        // guarded by mu

  Impl(cli::Endpoint e, std::string r, CredentialSource& c, std::chrono::milliseconds t)
      : ep(std::move(e)), region(std::move(r)), creds(c), timeout(t) {
    const bool default_port = (ep.tls && ep.port == "443") || (!ep.tls && ep.port == "80");
    std::string host = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
    host_header = default_port ? host : host + ":" + ep.port;
    if (ep.tls) {
      tls_ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1);
      // OpenSSL otherwise keeps the last decrypted record (an answer's plaintext) in the
      // connection's read buffer until the next one overwrites it.
      SSL_CTX_set_options(tls_ctx->native_handle(), SSL_OP_CLEANSE_PLAINTEXT);
      if (ep.ca_file.empty()) {
        tls_ctx->set_default_verify_paths();
      } else {
        tls_ctx->load_verify_file(ep.ca_file);
      }
      tls_ctx->set_verify_mode(ssl::verify_peer);
    }
  }

  Result<std::unique_ptr<Conn>> Connect(std::chrono::milliseconds limit) {
    auto c = std::make_unique<Conn>();
    beast::error_code ec;
    tcp::resolver resolver(c->ioc);
    auto endpoints = resolver.resolve(ep.host, ep.port, ec);
    if (ec) return Transport(ec, "name resolution");
    if (ep.tls) {
      c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c->ioc, *tls_ctx);
      if (!SSL_set_tlsext_host_name(c->tls->native_handle(), ep.host.c_str())) {
        return Status(ErrorCode::kServiceUnavailable, "cannot set the TLS server name");
      }
      c->tls->set_verify_callback(ssl::host_name_verification(ep.host));
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(c->ioc);
    }
    Track(c.get());
    c->lowest().expires_after(limit);
    ec = asio::error::operation_aborted;
    c->lowest().async_connect(endpoints, [&](const beast::error_code& e, const tcp::endpoint&) {
      ec = e;
      if (!e && c->tls) {
        ec = asio::error::operation_aborted;
        c->tls->async_handshake(ssl::stream_base::client,
                                [&](const beast::error_code& h) { ec = h; });
      }
    });
    RunIo(*c);
    Untrack(c.get());
    if (ec) return Transport(ec, c->tls ? "TLS connect" : "connect");
    return c;
  }

  void Track(Conn* c) {
    std::lock_guard<std::mutex> l(mu);
    c->ioc.restart();  // here, not in RunIo: a Shutdown from now on stops this run
    busy.insert(c);
    if (shut) c->ioc.stop();
  }
  void Untrack(Conn* c) {
    std::lock_guard<std::mutex> l(mu);
    busy.erase(c);
  }

  std::unique_ptr<Conn> TakeIdle() {
    std::lock_guard<std::mutex> l(mu);
    if (idle.empty()) return nullptr;
    auto c = std::move(idle.back());
    idle.pop_back();
    return c;
  }
  void GiveBack(std::unique_ptr<Conn> c) {
    std::lock_guard<std::mutex> l(mu);
    if (!shut && idle.size() < kMaxIdleConnections) idle.push_back(std::move(c));
  }

  // One exchange on c. `answered` tells whether any reply byte arrived (no retry then).
  beast::error_code Exchange(Conn& c, http::request<http::string_body>& req, UpstreamReply& out,
                             bool& keep_alive, std::chrono::milliseconds limit) {
    // The body wipes what it outgrows and, if the exchange fails or throws, what it holds.
    http::response_parser<WipedStringBody> parser;
    parser.body_limit(kMaxReplyBytes);
    beast::error_code ec = asio::error::operation_aborted;
    Track(&c);
    c.lowest().expires_after(limit);
    auto on_read = [&](const beast::error_code& e, size_t) { ec = e; };
    auto on_write = [&](const beast::error_code& e, size_t) {
      ec = e;
      if (e) return;
      ec = asio::error::operation_aborted;
      if (c.tls) {
        http::async_read(*c.tls, c.buf, parser, on_read);
      } else {
        http::async_read(*c.plain, c.buf, parser, on_read);
      }
    };
    if (c.tls) {
      http::async_write(*c.tls, req, on_write);
    } else {
      http::async_write(*c.plain, req, on_write);
    }
    RunIo(c);
    Untrack(&c);
    if (ec) return ec;
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body().bytes);
    // A connection whose buffer still holds unread bytes is not reused (dropped: wiped).
    keep_alive = res.keep_alive() && WipeConsumed(c.buf);
    return {};
  }

  Result<UpstreamReply> Send(const std::string& method, std::string_view service,
                             std::string_view target, const std::vector<std::pair<std::string, std::string>>& extra,
                             std::string_view body, std::chrono::milliseconds limit) {
    auto creds_now = creds.Current();
    if (!creds_now.ok()) return creds_now.status();
    auth::SignableRequest sr;
    sr.method = method;
    sr.target = std::string(target);
    sr.headers = {{"Host", host_header}, {"User-Agent", std::string(kUserAgent)}};
    for (const auto& h : extra) sr.headers.push_back(h);
    sr.body = body;
    auth::SignRequest(sr, creds_now->access_key_id, creds_now->secret_access_key.view(), region,
                      service, auth::FormatAmzDate(std::chrono::system_clock::now()),
                      creds_now->session_token.view());
    http::request<http::string_body> req{http::string_to_verb(method), sr.target, 11};
    for (const auto& [k, v] : sr.headers) req.set(k, v);
    req.body() = std::string(body);
    req.prepare_payload();
    {
      std::lock_guard<std::mutex> l(mu);
      if (shut) return Status(ErrorCode::kServiceUnavailable, "agent is stopping");
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<Conn> c = TakeIdle();
      const bool reused = c != nullptr;
      if (!c) {
        auto fresh = Connect(limit);
        if (!fresh.ok()) return fresh.status();
        c = std::move(fresh).value();
      }
      UpstreamReply reply;
      bool keep_alive = false;
      beast::error_code ec = Exchange(*c, req, reply, keep_alive, limit);
      if (!ec) {
        if (keep_alive) GiveBack(std::move(c));
        return reply;
      }
      // A pooled connection the server had closed fails at once: retry on a new one.
      if (!reused || ec == beast::error::timeout) return Transport(ec, "request");
    }
    return Status(ErrorCode::kServiceUnavailable, "upstream request failed");
  }
};

UpstreamClient::UpstreamClient(cli::Endpoint endpoint, std::string region,
                               CredentialSource& credentials, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(endpoint), std::move(region), credentials, timeout)) {}

UpstreamClient::~UpstreamClient() { Shutdown(); }

Result<UpstreamReply> UpstreamClient::CallJson(std::string_view service, std::string_view target,
                                               std::string_view body) {
  return impl_->Send("POST", service, "/",
                     {{"Content-Type", "application/x-amz-json-1.1"},
                      {"X-Amz-Target", std::string(target)}},
                     body, impl_->timeout);
}

Result<UpstreamReply> UpstreamClient::Get(std::string_view service,
                                          std::string_view path_and_query,
                                          std::chrono::milliseconds timeout) {
  return impl_->Send("GET", service, path_and_query, {}, "", timeout);
}

void UpstreamClient::Shutdown() {
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->shut = true;
  for (Conn* c : impl_->busy) c->ioc.stop();
  impl_->idle.clear();
}

}  // namespace arcana::agent
