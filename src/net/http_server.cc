#include "net/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <string_view>
#include <type_traits>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#include "net/exception_barrier.h"
#include "net/request_parser.h"
#include "net/worker_pool.h"

namespace arcana::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// What every connection of one server shares. Owned by HttpServer::Impl, which outlives
// every session (sessions die with their io_context at the latest).
struct SharedState {
  ServerOptions opts;
  Handlers handlers;
  WorkerPool* pool = nullptr;       // set by Run() before the first connection
  std::atomic<int> connections{0};  // open sessions
  std::atomic<int> in_flight{0};    // requests read and not yet answered (queued included)
  std::atomic<bool> stopping{false};
};

// Runs `fn` (the application's handler) behind the barrier: an exception is logged and
// reported as false, never propagated into the I/O loop.
template <class Fn>
bool CallGuarded(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (...) {
    LogCaughtException("HTTP handler", "-");
    return false;
  }
}

// RFC 9110's Date header value (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"), formatted once
// a second per thread. Every AWS response carries it, and clients read the server's clock from
// it: the AWS SDKs correct their clock skew with it after a "Signature expired" answer and
// sign the retry with the corrected time.
const std::string& HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t formatted_at = -1;
  thread_local std::string value;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    value = buf;
    formatted_at = now;
  }
  return value;
}

// A peer's address as policies (aws:SourceIp), the audit trail and the logs see it. On a
// dual-stack listener ("[::]", IPV6_V6ONLY off) an IPv4 client arrives as the v4-mapped
// IPv6 address ::ffff:a.b.c.d; it is given in its IPv4 form, so IPv4 CIDR conditions match
// it (an IP-based Deny would otherwise never fire) and it reads the same as on an IPv4
// listener.
std::string PeerAddressText(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// The HTTP status that answers a read that ended in `ec`: 431 for a header block over its
// limit, 400 for syntax or framing the parser cannot read (RFC 9112 section 2.2; among them
// a Transfer-Encoding it does not take, section 6.3), and 0 for what ends a connection
// without an answer: EOF, a request cut short, a timeout, an I/O error. (A body over the
// limit is answered 413 on its own path.)
int StatusForReadError(const beast::error_code& ec) {
  if (ec == http::error::header_limit) return 431;
  // Bytes the parser holds unparsed outran the read buffer's bound: after the header, only
  // a chunk-size line's extensions or a trailer section can (Session::kBufferLimit).
  if (ec == http::error::buffer_overflow) return 400;
  if (ec.category() != beast::error_code(http::error::bad_line_ending).category()) return 0;
  const auto e = static_cast<http::error>(ec.value());
  return e >= http::error::bad_line_ending && e <= http::error::bad_obs_fold ? 400 : 0;
}

// The answer to a refused request when the application gives none (the caching agent).
void PlainRefusal(int status, HttpResponse& res) {
  res.status = status;
  res.Set("Content-Type", "text/plain");
  res.body = status == 431 ? "Request header fields too large" : "Bad request";
}

// Lets a repeated warning through at most once per interval (single-threaded use).
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration interval) : interval_(interval) {}
  bool Allow() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < interval_) return false;
    last_ = now;
    return true;
  }

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
};

// One connection: wait for a request, read it, hand it to a worker, write the response the
// worker posts back, repeat. Everything but the handler runs on the connection's I/O thread;
// while the handler runs no I/O is pending on the connection, so the worker may read the
// parsed request without a lock.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  explicit Session(SharedState& state, Args&&... args)
      : stream_(std::forward<Args>(args)...), state_(state) {
    state_.connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() {
    EndRequest();
    state_.connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() {
    if constexpr (kTls) {
      Expire(state_.opts.request_timeout_seconds);  // a handshake cannot be stretched either
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
  static constexpr size_t kFirstReadSize = 4096;
  static constexpr std::uint32_t kHeaderLimit = 32 * 1024;
  // The read buffer's bound. It holds only what the parser has not consumed yet: body bytes
  // are taken as they arrive, but Beast (1.74) buffers a chunk-size line until its CRLF and a
  // trailer section until its blank line without a limit of its own, so without this bound
  // one connection sending an endless chunk extension or trailer grows it to gigabytes
  // before the request deadline (RFC 9112 section 7.1.1: a server limits them).
  static constexpr size_t kBufferLimit = kHeaderLimit + 64 * 1024;
  // A lingering close (after refusing a request still arriving) reads and drops at most
  // this much, for at most this long: enough for a client to finish sending a body a few
  // times the 1 MiB limit and read the answer, too little to hold a connection open.
  static constexpr size_t kLingerBytes = 4 * 1024 * 1024;
  static constexpr int kLingerSeconds = 2;
  static constexpr size_t kDiscardReadSize = 64 * 1024;
  // The response buffer a connection keeps between requests (most answers fit).
  static constexpr size_t kKeptResponseCapacity = 64 * 1024;
  static_assert(kBufferLimit >= kDiscardReadSize && kBufferLimit > kHeaderLimit + kFirstReadSize);

  // Every timeout is a deadline on the lowest layer: it spans all the reads (or writes) of
  // one step, however the peer slices its bytes.
  void Expire(int seconds) {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(seconds));
  }

  // Waits, up to the idle timeout, for the first bytes of the next request (unless a
  // pipelined one is already buffered).
  void DoRead() {
    if (state_.stopping.load(std::memory_order_relaxed)) return DoClose();
    parser_.emplace();
    parser_->body_limit(state_.opts.body_limit);
    parser_->header_limit(kHeaderLimit);
    if (buffer_.size() > 0) return ReadRequest();
    Expire(state_.opts.idle_timeout_seconds);
    stream_.async_read_some(buffer_.prepare(kFirstReadSize),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->DoClose();
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  // The rest of the request (header and body) against one deadline from its first byte.
  void ReadRequest() {
    Expire(state_.opts.request_timeout_seconds);
    if (MayExpectContinue()) return ReadHeaderFirst();
    ReadRest();
  }

  void ReadRest() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  // "Expect: 100-continue" (RFC 9110 section 10.1.1): the client holds its body back until
  // the server says go on, or until its own timer runs out (a second for curl), so a server
  // that never answers 100 delays every such request by that much. Clients send the header
  // with their first bytes, so a scan of those decides whether to read the header on its
  // own first; every other request keeps the single read.
  bool MayExpectContinue() const {
    auto bytes = buffer_.data();
    const char* p = static_cast<const char*>(bytes.data());
    const char* end = p + bytes.size();
    // "100-" has no letters, so memmem (vectorized) finds it; then "continue" in any case.
    while (const void* hit = ::memmem(p, static_cast<size_t>(end - p), "100-", 4)) {
      const char* at = static_cast<const char*>(hit) + 4;
      if (end - at >= 8 && beast::iequals(beast::string_view(at, 8), "continue")) return true;
      p = at;
    }
    return false;
  }

  void ReadHeaderFirst() {
    http::async_read_header(
        stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->OnRead(ec);  // a body over the limit is refused here, unsent
          if (!self->WantsContinue()) return self->ReadRest();
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          asio::async_write(self->stream_, asio::buffer(kContinue.data(), kContinue.size()),
                            [self](beast::error_code wec, size_t) {
                              if (wec) return self->DoClose();
                              self->ReadRest();
                            });
        });
  }

  // An HTTP/1.1 request that asked for 100 Continue and has a body still to come (RFC 9110:
  // never to an HTTP/1.0 client).
  bool WantsContinue() {
    if (parser_->version() != 11 || parser_->is_done()) return false;
    std::string_view expect = parser_->request().Header("Expect");
    return beast::iequals(beast::string_view(expect.data(), expect.size()), "100-continue");
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      BeginRequest();
      HttpResponse res;
      if (!CallGuarded([&] { state_.handlers.too_large(res); })) return Abandon();
      return Refuse(std::move(res));
    }
    if (const int status = StatusForReadError(ec)) {
      BeginRequest();
      HttpResponse res;
      const Handlers& h = state_.handlers;
      const std::string what = ec.message();
      if (!CallGuarded([&] {
            if (h.malformed) return h.malformed(status, what, res);
            PlainRefusal(status, res);
          })) {
        return Abandon();
      }
      return Refuse(std::move(res));
    }
    if (ec) return DoClose();
    HttpRequest& req = parser_->request();
    if (remote_.empty()) {  // once per connection: getpeername is a syscall
      beast::error_code ep_ec;
      auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ep_ec);
      remote_ = ep_ec ? "-" : PeerAddressText(ep.address());
    }
    req.remote_address = remote_;
    req.secure = !std::is_same_v<Stream, beast::tcp_stream>;
    BeginRequest();
    const Handlers& h = state_.handlers;
    bool inline_ok = false;
    if (h.answer_inline && !CallGuarded([&] { inline_ok = h.answer_inline(req); })) {
      return Abandon();
    }
    if (inline_ok) {
      HttpResponse res;
      if (!CallGuarded([&] { h.handle(req, res); })) return Abandon();
      return Respond(std::move(res));
    }
    if (h.try_inline) {
      bool taken = false;
      if (!CallGuarded([&] { taken = TryInline(); })) return Abandon();
      if (taken) return;
    }
    // The worker's reference moves into the completion it posts back, so the session is
    // only ever destroyed on its own I/O thread.
    auto task = [self = this->shared_from_this()]() mutable {
      if (self->state_.handlers.handle_async) return HandOff(std::move(self));
      auto res = std::make_unique<HttpResponse>();
      const bool ok =
          CallGuarded([&] { self->state_.handlers.handle(self->parser_->request(), *res); });
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self), res = std::move(res), ok]() mutable {
        if (!ok) return self->Abandon();
        self->Respond(std::move(*res));
      });
    };
    // Dropped unstarted at the end of a shutdown grace: answered `busy` (retryable) rather
    // than left to a closed connection.
    auto cancel = [self = this->shared_from_this()]() mutable {
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self)] {
        HttpResponse res;
        if (!CallGuarded([&] { self->state_.handlers.busy(self->parser_->request(), res); })) {
          return self->Abandon();
        }
        self->Respond(std::move(res));
      });
    };
    if (state_.pool->TrySubmit(std::move(task), std::move(cancel))) return;
    // Admission control: every worker is busy and the queue is full.
    HttpResponse res;
    if (!CallGuarded([&] { h.busy(req, res); })) return Abandon();
    Respond(std::move(res));
  }

  // The answer of an asynchronous handler, posted back to the session's I/O thread by
  // whichever thread has it. It owns the session's reference until then, so the session is
  // still only destroyed on its I/O thread: also when the handler drops it unanswered (it
  // threw), which abandons the connection.
  class Answer {
   public:
    explicit Answer(std::shared_ptr<Session> self) : self_(std::move(self)) {}
    ~Answer() {
      if (!self_) return;
      auto executor = self_->stream_.get_executor();
      asio::post(executor, [self = std::move(self_)] { self->Abandon(); });
    }
    // The request went elsewhere (a worker): let go of the session without answering.
    void Release() {
      std::lock_guard<std::mutex> l(mu_);
      self_.reset();
    }
    void Send(std::unique_ptr<HttpResponse> res) {
      std::shared_ptr<Session> self;
      {
        std::lock_guard<std::mutex> l(mu_);
        self = std::move(self_);
      }
      if (!self) return;  // answered already
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self), res = std::move(res)]() mutable {
        self->Respond(std::move(*res));
      });
    }

   private:
    std::mutex mu_;
    std::shared_ptr<Session> self_;
  };

  // On the I/O thread: offers the request to `try_inline`. Its answer comes back as a
  // worker's does (posted, even when it is ready at once), so the session is answered and
  // destroyed the same way on both paths.
  bool TryInline() {
    auto answer = std::make_shared<Answer>(this->shared_from_this());
    net::Respond respond = [answer](std::unique_ptr<HttpResponse> res) {
      answer->Send(std::move(res));
    };
    if (state_.handlers.try_inline(parser_->request(), respond)) return true;
    answer->Release();
    return false;
  }

  // On the worker: runs the asynchronous handler; the worker is free when it returns.
  static void HandOff(std::shared_ptr<Session> self) {
    Session* s = self.get();
    auto answer = std::make_shared<Answer>(std::move(self));
    net::Respond respond = [answer](std::unique_ptr<HttpResponse> res) { answer->Send(std::move(res)); };
    // A throw leaves `answer` unanswered: its destructor abandons the connection.
    (void)CallGuarded([&] {
      s->state_.handlers.handle_async(s->parser_->request(), std::make_unique<HttpResponse>(),
                                      std::move(respond));
    });
  }

  // Writes the handler's response; the connection stays open unless the client, the
  // handler or a stop says otherwise.
  void Respond(HttpResponse res) {
    if (!parser_->keep_alive() || state_.stopping.load(std::memory_order_relaxed)) {
      res.close = true;
    }
    Write(std::move(res), static_cast<unsigned>(parser_->version()));
  }

  // Answers a request refused before it was read whole (its body over the limit, bytes the
  // parser cannot frame) and closes: what follows its header cannot be told apart from a
  // next request. The close lingers, since the rest of its bytes may still be arriving.
  void Refuse(HttpResponse res) {
    res.close = true;
    linger_on_close_ = true;
    Write(std::move(res), static_cast<unsigned>(parser_->version()));
  }

  // Serializes the response into one buffer and writes it with one call: cheaper than
  // Beast's serializer (which allocates a node per header field) on the hot path.
  void Write(HttpResponse res, unsigned version) {
    const bool close = res.close;
    // RFC 9110 section 9.3.2: a HEAD answer carries the GET answer's header fields, its
    // Content-Length among them, and never content (which a client would read as the start
    // of the next answer).
    const bool head = parser_ && parser_->is_header_done() && parser_->request().method == "HEAD";
    out_.clear();
    out_.reserve(160 + res.body.size());
    out_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out_ += std::to_string(res.status);
    out_ += ' ';
    auto reason = http::obsolete_reason(static_cast<http::status>(res.status));
    out_.append(reason.data(), reason.size());
    out_ += "\r\nServer: arcana\r\nDate: ";
    out_ += HttpDate();
    out_ += "\r\n";
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
    if (!head) out_ += res.body;
    Expire(state_.opts.request_timeout_seconds);  // a peer that never reads is dropped
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this(), close](beast::error_code ec, size_t) {
                        self->EndRequest();
                        // A kept-alive connection idles with what it holds: a large answer's
                        // buffer is given back, or every idle connection would keep the
                        // capacity of the largest answer it ever had (megabytes each).
                        if (self->out_.capacity() > kKeptResponseCapacity) {
                          std::string().swap(self->out_);
                        }
                        if (ec) return self->DoClose();
                        if (close) {
                          return self->linger_on_close_ ? self->LingeringClose() : self->DoClose();
                        }
                        self->DoRead();
                      });
  }

  // A handler threw: no response can be trusted, so the connection is closed unanswered.
  void Abandon() {
    EndRequest();
    DoClose();
  }

  void BeginRequest() {
    answering_ = true;
    state_.in_flight.fetch_add(1, std::memory_order_relaxed);
  }
  void EndRequest() {
    if (!answering_) return;
    answering_ = false;
    state_.in_flight.fetch_sub(1, std::memory_order_relaxed);
  }

  // Closing a socket with unread bytes makes the kernel send a reset, and a reset makes the
  // client's kernel drop what it has received and not yet read: the answer just written.
  // So after refusing a request whose bytes may still be arriving, our sending side is shut
  // first (plain TCP: the client sees the answer end; TLS sends its close_notify in DoClose
  // instead, after the reads), then what the client sends is read and dropped until it
  // closes, for at most kLingerSeconds and kLingerBytes: a client can neither keep the
  // connection (which counts against max_connections meanwhile) nor feed it for longer.
  // Past either bound the connection is closed as it is (possibly reset).
  void LingeringClose() {
    if constexpr (!kTls) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return DoClose();
    }
    Expire(kLingerSeconds);  // one deadline for all the reads
    linger_left_ = kLingerBytes;
    buffer_.clear();
    DiscardUntilClosed();
  }

  void DiscardUntilClosed() {
    // Read into the same scratch space each time (never committed): nothing accumulates.
    stream_.async_read_some(buffer_.prepare(std::min(kDiscardReadSize, linger_left_)),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              // EOF (the client closed), the deadline, an error, or enough.
                              if (ec || n >= self->linger_left_) return self->DoClose();
                              self->linger_left_ -= n;
                              self->DiscardUntilClosed();
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
  beast::flat_buffer buffer_{kBufferLimit};
  std::optional<RequestParser> parser_;
  SharedState& state_;
  bool answering_ = false;  // counted in state_.in_flight
  bool linger_on_close_ = false;  // the answer being written refuses a request (Refuse)
  size_t linger_left_ = 0;        // bytes a lingering close still reads and drops
};

// Runs one io_context until it is stopped. An exception escaping a completion handler
// unwinds out of run(); it is logged and run() resumes, so one bad task never ends the
// thread (and with it a share of the connections).
void RunContext(asio::io_context& ctx) {
  for (;;) {
    try {
      ctx.run();
      return;
    } catch (...) {
      LogCaughtException("I/O loop", "-");
    }
  }
}

int ThreadCount(int configured) {
  return configured > 0 ? configured
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

int EffectiveMaxConnections(int configured) {
  constexpr long kDefaultCap = 4096;
  if (configured > 0) return configured;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
    return static_cast<int>(kDefaultCap);
  }
  const long soft = static_cast<long>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
  const long cap = soft > 128 ? soft - 64 : soft / 2;
  return static_cast<int>(std::clamp(cap, 1L, kDefaultCap));
}

struct HttpServer::Impl {
  // Declared before the contexts: sessions (destroyed with their context) still use it.
  SharedState state;
  std::optional<ssl::context> tls;
  int max_connections = 1;
  // One io_context per thread (each run by exactly one thread): connections never
  // migrate between threads, so there is no reactor lock contention and no strand.
  // ioc, the first, runs only the acceptor, the signal set and the accept retry timer, so
  // a handler stuck on a connection thread delays neither new connections nor a SIGTERM;
  // the others (`threads` of them) serve the connections.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  asio::io_context& ioc;
  size_t next_context = 0;  // round robin over contexts[1..]
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc};
  // Accept errors (descriptors exhausted) retry after a growing pause, not at once.
  asio::steady_timer accept_retry{ioc};
  std::chrono::milliseconds accept_backoff{0};
  LogThrottle accept_error_log{std::chrono::seconds(1)};
  LogThrottle at_cap_log{std::chrono::seconds(1)};

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stop_requested = false;

  explicit Impl(int threads) : contexts(MakeContexts(threads + 1)), ioc(*contexts[0]) {}

  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> v;
    for (int i = 0; i < n; ++i) v.push_back(std::make_unique<asio::io_context>(1));
    return v;
  }

  // Runs on ioc.
  void Accept() {
    if (!acceptor.is_open()) return;
    auto& target = *contexts[1 + next_context++ % (contexts.size() - 1)];
    acceptor.async_accept(target, [this, &target](beast::error_code ec, tcp::socket sock) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) return RetryAcceptLater(ec);
      accept_backoff = std::chrono::milliseconds(0);
      if (state.connections.load(std::memory_order_relaxed) >= max_connections) {
        // At the cap: accepted (so the backlog drains and nothing spins) and closed at once.
        if (at_cap_log.Allow()) {
          spdlog::warn("connection limit of {} reached: closing new connections", max_connections);
        }
        sock.close(ec);
      } else {
        sock.set_option(tcp::no_delay(true), ec);
        // Answers that must not cross a router (the caching agent's, as the AWS agent's).
        if (state.opts.single_hop) sock.set_option(asio::ip::unicast::hops(1), ec);
        StartSession(target, std::move(sock));
      }
      Accept();
    });
  }

  void StartSession(asio::io_context& target, tcp::socket sock) {
    // Started on the session's own thread: all its handlers run there.
    if (tls) {
      auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          state, std::move(sock), *tls);
      asio::post(target, [s] { s->Start(); });
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(state, std::move(sock));
      asio::post(target, [s] { s->Start(); });
    }
  }

  // EMFILE/ENFILE/ENOBUFS leave the connection queued, so an immediate retry fails again
  // at once: wait 10 ms, doubling to 1 s while it keeps failing.
  void RetryAcceptLater(const beast::error_code& ec) {
    using std::chrono::milliseconds;
    accept_backoff = accept_backoff.count() == 0 ? milliseconds(10)
                                                 : std::min(accept_backoff * 2, milliseconds(1000));
    if (accept_error_log.Allow()) {
      // strerror_r, not ec.message(): no virtual call while descriptors are exhausted (UBSan's
      // vptr check needs a pipe to validate the category object, and reports a false
      // "invalid vptr" under EMFILE).
      char text[128];
      spdlog::warn("accept failed: {}; retrying in {} ms",
                   ::strerror_r(ec.value(), text, sizeof(text)), accept_backoff.count());
    }
    accept_retry.expires_after(accept_backoff);
    accept_retry.async_wait([this](beast::error_code e) {
      if (!e) Accept();
    });
  }

  // Runs on ioc.
  void CloseListener() {
    beast::error_code ec;
    acceptor.close(ec);
    accept_retry.cancel();
    signals.cancel(ec);
  }
};

HttpServer::HttpServer(ServerOptions options, Handlers handlers)
    : impl_(std::make_unique<Impl>(ThreadCount(options.threads))) {
  impl_->max_connections = EffectiveMaxConnections(options.max_connections);
  impl_->state.opts = std::move(options);
  impl_->state.handlers = std::move(handlers);
}

HttpServer::~HttpServer() = default;

Result<unsigned short> HttpServer::Bind() {
  auto& o = impl_->state.opts;
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
  spdlog::info("listener: at most {} connections; request timeout {} s, idle timeout {} s",
               impl_->max_connections, o.request_timeout_seconds, o.idle_timeout_seconds);
  spdlog::info("handlers: {} worker threads, at most {} queued requests",
               EffectiveWorkerCount(o.workers), o.max_queued_requests);
  return a.local_endpoint().port();
}

bool HttpServer::Run(bool handle_signals) {
  Impl& im = *impl_;
  if (handle_signals) {
    im.signals.add(SIGINT);
    im.signals.add(SIGTERM);
    im.signals.async_wait([this](beast::error_code ec, int sig) {
      if (ec) return;
      spdlog::info("signal {}: shutting down", sig);
      Stop();
    });
  }
  // Declared before the I/O threads start and outlived by them only when abandoned below.
  auto workers = std::make_unique<WorkerPool>(EffectiveWorkerCount(im.state.opts.workers),
                                              im.state.opts.max_queued_requests);
  im.state.pool = workers.get();
  im.Accept();
  // Every context runs on a pool thread (kept running while it has no connections yet);
  // this thread only waits for the stop and then drains.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> pool;
  for (auto& ctx : im.contexts) {
    guards.push_back(asio::make_work_guard(*ctx));
    pool.emplace_back([c = ctx.get()] { RunContext(*c); });
  }
  {
    std::unique_lock<std::mutex> l(im.stop_mu);
    im.stop_cv.wait(l, [&] { return im.stop_requested; });
  }
  asio::post(im.ioc, [&im] { im.CloseListener(); });
  // Requests being handled or queued get the grace to finish and be answered.
  const auto grace = std::chrono::seconds(std::max(0, im.state.opts.shutdown_grace_seconds));
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (im.state.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int left = im.state.in_flight.load();
  if (left > 0 && workers->CancelQueued() > 0) {
    // Requests that never reached a worker are answered now (their writes take moments);
    // only the ones running stay unanswered.
    const auto answer_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (im.state.in_flight.load() > workers->busy() &&
           std::chrono::steady_clock::now() < answer_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    left = im.state.in_flight.load();
  }
  // Nothing is in flight (or the grace is over): the workers are idle or stuck. A worker
  // still finishing its last task (after posting the answer) is joined within moments.
  workers->Shutdown();
  const bool workers_joined = workers->JoinFor(left > 0 ? std::chrono::milliseconds(0)
                                                        : std::chrono::milliseconds(1000));
  guards.clear();
  for (auto& c : im.contexts) c->stop();
  if (left > 0 || !workers_joined) {
    spdlog::error("{} request(s) still running after the {} s shutdown grace: abandoning them",
                  std::max(left, 1), grace.count());
    for (auto& t : pool) t.detach();  // a stuck handler would make join() wait forever
    (void)workers.release();          // its detached threads still use it
    return false;
  }
  for (auto& t : pool) t.join();
  im.state.pool = nullptr;
  return true;
}

void HttpServer::Stop() {
  Impl& im = *impl_;
  {
    std::lock_guard<std::mutex> l(im.stop_mu);
    if (im.stop_requested) return;
    im.stop_requested = true;
  }
  im.state.stopping.store(true);
  if (im.state.opts.on_stop) im.state.opts.on_stop();
  im.stop_cv.notify_all();
}

}  // namespace arcana::net
