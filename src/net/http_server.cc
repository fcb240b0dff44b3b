#include "net/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <spdlog/spdlog.h>

#include <thread>
#include <vector>

#include "net/request_parser.h"

namespace arcana::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// One connection: read a request, hand it to the handler, write the response, repeat.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(const ServerOptions& opts, const Handler& handler, const TooLargeHandler& too_large,
          Args&&... args)
      : stream_(std::forward<Args>(args)...),
        opts_(opts),
        handler_(handler),
        too_large_(too_large) {}

  void Start() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(
          std::chrono::seconds(opts_.read_timeout_seconds));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->DoRead();
                              });
    } else {
      DoRead();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void DoRead() {
    parser_.emplace();
    parser_->body_limit(opts_.body_limit);
    parser_->header_limit(32 * 1024);
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::seconds(opts_.read_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      HttpResponse res;
      too_large_(res);
      res.close = true;  // the rest of the body is never read
      Write(std::move(res), static_cast<unsigned>(parser_->version()));
      return;
    }
    if (ec) return DoClose();
    HttpRequest& req = parser_->request();
    if (remote_.empty()) {  // once per connection: getpeername is a syscall
      beast::error_code ep_ec;
      auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ep_ec);
      remote_ = ep_ec ? "-" : ep.address().to_string();
    }
    req.remote_address = remote_;
    HttpResponse res;
    handler_(req, res);
    if (!parser_->keep_alive()) res.close = true;
    Write(std::move(res), static_cast<unsigned>(parser_->version()));
  }

  // Serializes the response into one buffer and writes it with one call: cheaper than
  // Beast's serializer (which allocates a node per header field) on the hot path.
  void Write(HttpResponse res, unsigned version) {
    const bool close = res.close;
    out_.clear();
    out_.reserve(160 + res.body.size());
    out_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out_ += std::to_string(res.status);
    out_ += ' ';
    auto reason = http::obsolete_reason(static_cast<http::status>(res.status));
    out_.append(reason.data(), reason.size());
    out_ += "\r\nServer: arcana\r\n";
    for (const auto& [k, v] : res.headers) {
      out_ += k;
      out_ += ": ";
      out_ += v;
      out_ += "\r\n";
    }
    out_ += "Content-Length: ";
    out_ += std::to_string(res.body.size());
    out_ += "\r\n";
    if (close) {
      out_ += "Connection: close\r\n";
    } else if (version == 10) {
      out_ += "Connection: keep-alive\r\n";
    }
    out_ += "\r\n";
    out_ += res.body;
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this(), close](beast::error_code ec, size_t) {
                        if (ec || close) return self->DoClose();
                        self->DoRead();
                      });
  }

  void DoClose() {
    beast::error_code ec;
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ec2;
        beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ec2);
      });
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  std::string remote_;
  std::string out_;  // the response being written (one per connection at a time)
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  const ServerOptions& opts_;
  const Handler& handler_;
  const TooLargeHandler& too_large_;
};

}  // namespace

struct HttpServer::Impl {
  ServerOptions opts;
  Handler handler;
  TooLargeHandler too_large;
  // One io_context per thread (each run by exactly one thread): connections never
  // migrate between threads, so there is no reactor lock contention and no strand.
  // ioc is the first; it also runs the acceptor and the signal set.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  asio::io_context& ioc;
  size_t next_context = 0;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc};

  explicit Impl(int threads) : contexts(MakeContexts(threads)), ioc(*contexts[0]) {}

  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> v;
    for (int i = 0; i < n; ++i) v.push_back(std::make_unique<asio::io_context>(1));
    return v;
  }

  void Accept() {
    auto& target = *contexts[next_context++ % contexts.size()];
    acceptor.async_accept(target, [this](beast::error_code ec, tcp::socket sock) {
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        spdlog::warn("accept failed: {}", ec.message());
      } else {
        sock.set_option(tcp::no_delay(true), ec);
        if (tls) {
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              opts, handler, too_large, std::move(sock), *tls)
              ->Start();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(opts, handler, too_large, std::move(sock))
              ->Start();
        }
      }
      Accept();
    });
  }
};

namespace {
int ThreadCount(int configured) {
  return configured > 0 ? configured
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}
}  // namespace

HttpServer::HttpServer(ServerOptions options, Handler handler, TooLargeHandler too_large)
    : impl_(std::make_unique<Impl>(ThreadCount(options.threads))) {
  impl_->opts = std::move(options);
  impl_->handler = std::move(handler);
  impl_->too_large = std::move(too_large);
}

HttpServer::~HttpServer() = default;

Result<unsigned short> HttpServer::Bind() {
  auto& o = impl_->opts;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    try {
      impl_->tls.emplace(ssl::context::tls_server);
      impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                              ssl::context::no_tlsv1_1);
      impl_->tls->use_certificate_chain_file(o.tls_cert_file);
      impl_->tls->use_private_key_file(o.tls_key_file, ssl::context::pem);
    } catch (const std::exception& e) {
      return Status(ErrorCode::kInternalFailure, std::string("TLS setup failed: ") + e.what());
    }
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (ec) return Status(ErrorCode::kInternalFailure, "bad listen address " + o.host);
  tcp::endpoint ep(addr, o.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(ErrorCode::kInternalFailure,
                  "cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
  }
  return a.local_endpoint().port();
}

void HttpServer::Run(bool handle_signals) {
  if (handle_signals) {
    impl_->signals.add(SIGINT);
    impl_->signals.add(SIGTERM);
    impl_->signals.async_wait([this](beast::error_code, int sig) {
      spdlog::info("signal {}: shutting down", sig);
      Stop();
    });
  }
  impl_->Accept();
  // Keep the other contexts running while they have no connections yet.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> pool;
  for (size_t i = 1; i < impl_->contexts.size(); ++i) {
    guards.push_back(asio::make_work_guard(*impl_->contexts[i]));
    pool.emplace_back([ctx = impl_->contexts[i].get()] { ctx->run(); });
  }
  impl_->ioc.run();
  guards.clear();
  for (auto& c : impl_->contexts) c->stop();
  for (auto& t : pool) t.join();
}

void HttpServer::Stop() {
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->signals.cancel(ec);
    impl_->ioc.stop();
  });
}

}  // namespace arcana::net
