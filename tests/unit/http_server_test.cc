// The listener's defences, over real sockets on 127.0.0.1: a throwing handler costs its
// connection, not the server; the connection cap; the request deadline against a client
// trickling bytes; a stop drains the requests being handled and queued before Run()
// returns. And the execution model: handlers on the worker pool, a full queue answered at
// once by the busy handler, inline requests answered while workers are saturated,
// pipelined requests answered in order, and requests try_inline takes answered on the I/O
// thread.
#include "net/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace arcana::net {
namespace {

using Clock = std::chrono::steady_clock;

int Connect(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int Connect6(unsigned short port) {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  a.sin6_addr = in6addr_loopback;
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

void Send(int fd, const std::string& s) { (void)!::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

// Sends all of `s` (as a client blocked in send() does), giving up after 5 s without
// progress; false when the server reset or closed the connection first.
bool SendAll(int fd, const std::string& s) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  for (size_t at = 0; at < s.size();) {
    ssize_t n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<size_t>(n);
  }
  return true;
}

// Reads until EOF/error or until `timeout`; *closed tells whether the peer closed.
std::string ReadAll(int fd, std::chrono::milliseconds timeout, bool* closed) {
  std::string out;
  *closed = false;
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.find("\r\n\r\n") != std::string::npos && out.find("Connection: close") == std::string::npos) {
      break;  // a kept-alive response: headers are enough for these tests
    }
  }
  return out;
}

std::string Get(unsigned short port, const std::string& path) {
  int fd = Connect(port);
  if (fd < 0) return "";
  Send(fd, "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
  bool closed = false;
  std::string r = ReadAll(fd, std::chrono::seconds(5), &closed);
  ::close(fd);
  return r;
}

Handlers TestHandlers() {
  Handlers h;
  h.handle = [](HttpRequest& req, HttpResponse& res) {
    if (req.target == "/throw") throw std::out_of_range("handler bug");
    if (req.target.rfind("/slow", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    res.body = req.target == "/peer" ? "peer " + req.remote_address : "ok " + req.target;
  };
  h.too_large = [](HttpResponse& res) { res.status = 413; };
  h.malformed = [](int status, std::string_view what, HttpResponse& res) {
    res.status = status;
    res.body = "malformed: " + std::string(what);
  };
  h.busy = [](HttpRequest&, HttpResponse& res) {
    res.status = 400;
    res.body = "busy";
  };
  h.answer_inline = [](const HttpRequest& req) { return req.target == "/inline"; };
  return h;
}

class ServerFixture {
 public:
  explicit ServerFixture(ServerOptions o, Handlers h = TestHandlers())
      : server_(std::move(o), std::move(h)) {
    auto port = server_.Bind();
    EXPECT_TRUE(port.ok());
    port_ = *port;
    run_ = std::async(std::launch::async, [this] { return server_.Run(false); });
  }
  ~ServerFixture() {
    server_.Stop();
    if (run_.valid()) run_.wait();
  }
  bool StopAndWait() {
    server_.Stop();
    return run_.get();
  }
  unsigned short port() const { return port_; }

 private:
  HttpServer server_;
  unsigned short port_ = 0;
  std::future<bool> run_;
};

ServerOptions Options() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  return o;
}

TEST(HttpServerTest, ThrowingHandlerClosesOnlyItsConnection) {
  ServerFixture s(Options());
  for (int i = 0; i < 3; ++i) {
    int fd = Connect(s.port());
    ASSERT_GE(fd, 0);
    Send(fd, "GET /throw HTTP/1.1\r\nHost: t\r\n\r\n");
    bool closed = false;
    std::string r = ReadAll(fd, std::chrono::seconds(5), &closed);
    ::close(fd);
    EXPECT_TRUE(closed);
    EXPECT_EQ(r, "");
  }
  EXPECT_NE(Get(s.port(), "/ok").find("HTTP/1.1 200"), std::string::npos);
}

// The body of the answer to GET /peer on `fd` (closed after).
std::string PeerSeenBy(int fd) {
  Send(fd, "GET /peer HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  bool closed = false;
  std::string r = ReadAll(fd, std::chrono::seconds(5), &closed);
  ::close(fd);
  auto body = r.find("\r\n\r\n");
  return body == std::string::npos ? r : r.substr(body + 4);
}

// A dual-stack listener ("::") sees an IPv4 client as ::ffff:127.0.0.1; handlers (and so
// aws:SourceIp and the audit trail) get its IPv4 form, which IPv4 CIDRs match.
TEST(HttpServerTest, DualStackListenerGivesIpv4PeersTheirIpv4Address) {
  ServerOptions o = Options();
  o.host = "::";
  ServerFixture s(o);
  int v4 = Connect(s.port());
  ASSERT_GE(v4, 0);
  EXPECT_EQ(PeerSeenBy(v4), "peer 127.0.0.1");
  int v6 = Connect6(s.port());
  ASSERT_GE(v6, 0);
  EXPECT_EQ(PeerSeenBy(v6), "peer ::1");  // a real IPv6 peer stays as it is
}

// A request the parser refuses is answered (the `malformed` handler's response, 400 or 431
// for a header block over 32 KiB) with Connection: close, and its connection closed; what
// followed it is never run as a request.
TEST(HttpServerTest, RefusedRequestsAreAnsweredAndClosed) {
  ServerFixture s(Options());
  const std::string next = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"GET /\x01 HTTP/1.1\r\nHost: t\r\n\r\n", "400"},
      {"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n", "431"},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "400"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", "400"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n" + next, "400"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n" + next, "400"},
  };
  for (const auto& [request, status] : cases) {
    int fd = Connect(s.port());
    ASSERT_GE(fd, 0);
    Send(fd, request);
    bool closed = false;
    std::string r = ReadAll(fd, std::chrono::seconds(5), &closed);
    ::close(fd);
    const std::string what = request.substr(0, 40);
    EXPECT_EQ(r.rfind("HTTP/1.1 " + status + " ", 0), 0u) << what << " -> " << r;
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << what << " -> " << r;
    EXPECT_NE(r.find("malformed: "), std::string::npos) << what << " -> " << r;
    EXPECT_EQ(r.find("/smuggled"), std::string::npos) << what << " -> " << r;
    EXPECT_TRUE(closed) << what;
  }
  // EOF inside a request, or a client that sends nothing more: closed without an answer.
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  Send(fd, "GET /ok HTTP/1.1\r\nHos");
  ::shutdown(fd, SHUT_WR);
  bool closed = false;
  EXPECT_EQ(ReadAll(fd, std::chrono::seconds(5), &closed), "");
  EXPECT_TRUE(closed);
  ::close(fd);
}

// Without a `malformed` handler (the caching agent) the refusal is plain text.
TEST(HttpServerTest, RefusalWithoutAHandlerIsPlainText) {
  Handlers h = TestHandlers();
  h.malformed = nullptr;
  ServerFixture s(Options(), std::move(h));
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  Send(fd, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n");
  bool closed = false;
  std::string r = ReadAll(fd, std::chrono::seconds(5), &closed);
  ::close(fd);
  EXPECT_EQ(r.rfind("HTTP/1.1 431 ", 0), 0u) << r;
  EXPECT_NE(r.find("\r\n\r\nRequest header fields too large"), std::string::npos) << r;
  EXPECT_TRUE(closed);
}

// A client that sends a body over the limit without "Expect: 100-continue" is still
// sending when the 413 is written. The server reads and drops the rest before it closes, so
// the client's send completes and it reads the 413; closing with the body unread would
// reset the connection instead (the client's send fails and the 413 is lost).
TEST(HttpServerTest, BodyOverTheLimitWithoutExpectGetsThe413) {
  ServerOptions o = Options();
  o.body_limit = 1024;
  ServerFixture s(o);
  const std::string body(3 * 1024 * 1024, 'x');
  for (int i = 0; i < 3; ++i) {
    int fd = Connect(s.port());
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(SendAll(fd, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body))
        << "the server reset the connection while the body was being sent";
    bool closed = false;
    std::string r = ReadAll(fd, std::chrono::seconds(5), &closed);
    ::close(fd);
    EXPECT_EQ(r.rfind("HTTP/1.1 413 ", 0), 0u) << r;
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
    EXPECT_TRUE(closed);
  }
}

// The lingering close is bounded: a client that neither closes nor stops sending cannot
// keep the connection (it counts against the cap) for more than about 2 s.
TEST(HttpServerTest, LingeringCloseIsBounded) {
  ServerOptions o = Options();
  o.body_limit = 1024;
  ServerFixture s(o);
  const std::string head = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n";
  {  // silent after the header, never closing
    int fd = Connect(s.port());
    ASSERT_GE(fd, 0);
    auto start = Clock::now();
    Send(fd, head);
    bool closed = false;
    std::string r = ReadAll(fd, std::chrono::seconds(10), &closed);
    EXPECT_EQ(r.rfind("HTTP/1.1 413 ", 0), 0u) << r;
    // Our side was shut after the answer (EOF); the socket itself is closed at the bound.
    EXPECT_TRUE(closed);
    auto until_closed = [&] {
      while (Clock::now() - start < std::chrono::seconds(10)) {
        // A send fails once the server has closed its socket (the first one draws the reset).
        if (::send(fd, "x", 1, MSG_NOSIGNAL) < 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return false;
    };
    EXPECT_TRUE(until_closed());
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3000));
    ::close(fd);
  }
  {  // sending without end: cut off by the byte bound (or the time bound)
    int fd = Connect(s.port());
    ASSERT_GE(fd, 0);
    auto start = Clock::now();
    Send(fd, head);
    const std::string chunk(64 * 1024, 'x');
    bool cut_off = false;
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (Clock::now() - start < std::chrono::seconds(10)) {
      if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
        cut_off = true;  // reset: the server closed its socket
        break;
      }
    }
    EXPECT_TRUE(cut_off);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3500));
    ::close(fd);
  }
  EXPECT_NE(Get(s.port(), "/ok").find("HTTP/1.1 200"), std::string::npos);
}

TEST(HttpServerTest, ConnectionsBeyondTheCapAreClosedAtOnce) {
  ServerOptions o = Options();
  o.max_connections = 3;
  ServerFixture s(o);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Connect(s.port()));
    ASSERT_GE(held.back(), 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the server accept them
  int extra = Connect(s.port());
  ASSERT_GE(extra, 0);  // the kernel completes the handshake; the server then closes it
  bool closed = false;
  ReadAll(extra, std::chrono::seconds(3), &closed);
  EXPECT_TRUE(closed);
  ::close(extra);
  for (int fd : held) ::close(fd);
  // Slots free again: the server answers.
  std::string r;
  for (int i = 0; i < 50 && r.find("200") == std::string::npos; ++i) {
    r = Get(s.port(), "/ok");
    if (r.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos);
}

TEST(HttpServerTest, TricklingClientIsDroppedAtTheRequestDeadline) {
  ServerOptions o = Options();
  o.request_timeout_seconds = 1;
  ServerFixture s(o);
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  auto start = Clock::now();
  Send(fd, "GET /ok HTTP/1.1\r\nX-Slow: ");
  bool closed = false;
  // One header byte every 200 ms: each read makes progress, the whole request never ends.
  while (!closed && Clock::now() - start < std::chrono::seconds(5)) {
    Send(fd, "a");
    ReadAll(fd, std::chrono::milliseconds(200), &closed);
  }
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2500));
}

TEST(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o = Options();
  o.idle_timeout_seconds = 1;
  ServerFixture s(o);
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  auto start = Clock::now();
  bool closed = false;
  ReadAll(fd, std::chrono::seconds(4), &closed);
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2500));
}

TEST(HttpServerTest, StopLetsTheRequestInFlightFinish) {
  ServerFixture s(Options());
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  Send(fd, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the handler is running
  auto stopped = std::async(std::launch::async, [&] { return s.StopAndWait(); });
  bool closed = false;
  std::string r = ReadAll(fd, std::chrono::seconds(5), &closed);
  ::close(fd);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_TRUE(stopped.get());  // drained: every thread joined
}

// Reads until `count` responses (by their "ok " bodies or "busy") arrived, or 5 s.
std::string ReadResponses(int fd, int count) {
  std::string out;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  auto answered = [&] {
    int n = 0;
    for (size_t at = 0; (at = out.find("HTTP/1.1 ", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  while (answered() < count && Clock::now() < deadline) {
    bool closed = false;
    std::string more = ReadAll(fd, std::chrono::milliseconds(100), &closed);
    out += more;
    if (closed) break;
  }
  // The last response's body may trail its header by one read.
  bool closed = false;
  out += ReadAll(fd, std::chrono::milliseconds(50), &closed);
  return out;
}

ServerOptions TinyPool() {
  ServerOptions o = Options();
  o.workers = 1;
  o.max_queued_requests = 1;
  return o;
}

TEST(HttpServerTest, FullQueueIsAnsweredAtOnceByTheBusyHandler) {
  ServerFixture s(TinyPool());
  int running = Connect(s.port());
  int queued = Connect(s.port());
  ASSERT_GE(running, 0);
  ASSERT_GE(queued, 0);
  Send(running, "GET /slow-a HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the worker took it
  Send(queued, "GET /slow-b HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // it waits in the queue
  auto start = Clock::now();
  std::string refused = Get(s.port(), "/ok");
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(300)) << "not answered at once";
  EXPECT_NE(refused.find("HTTP/1.1 400"), std::string::npos) << refused;
  EXPECT_NE(refused.find("busy"), std::string::npos) << refused;
  // Inline requests need no worker: answered while the pool is saturated.
  std::string probe = Get(s.port(), "/inline");
  EXPECT_NE(probe.find("ok /inline"), std::string::npos) << probe;
  // What was admitted is answered.
  EXPECT_NE(ReadResponses(running, 1).find("ok /slow-a"), std::string::npos);
  EXPECT_NE(ReadResponses(queued, 1).find("ok /slow-b"), std::string::npos);
  ::close(running);
  ::close(queued);
  // And the pool takes work again.
  EXPECT_NE(Get(s.port(), "/ok").find("ok /ok"), std::string::npos);
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  ServerFixture s(Options());
  int fd = Connect(s.port());
  ASSERT_GE(fd, 0);
  Send(fd,
       "GET /slow-1 HTTP/1.1\r\nHost: t\r\n\r\n"
       "GET /2 HTTP/1.1\r\nHost: t\r\n\r\n"
       "GET /3 HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string r = ReadResponses(fd, 3);
  ::close(fd);
  auto a = r.find("ok /slow-1"), b = r.find("ok /2"), c = r.find("ok /3");
  ASSERT_NE(a, std::string::npos) << r;
  ASSERT_NE(b, std::string::npos) << r;
  ASSERT_NE(c, std::string::npos) << r;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(HttpServerTest, StopDrainsQueuedRequests) {
  ServerOptions o = Options();
  o.workers = 1;
  o.max_queued_requests = 8;
  ServerFixture s(o);
  std::vector<int> fds;
  for (int i = 0; i < 3; ++i) {
    fds.push_back(Connect(s.port()));
    ASSERT_GE(fds.back(), 0);
    Send(fds.back(), "GET /slow-" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // one runs, two wait
  auto stopped = std::async(std::launch::async, [&] { return s.StopAndWait(); });
  for (int i = 0; i < 3; ++i) {
    std::string r = ReadResponses(fds[i], 1);
    EXPECT_NE(r.find("ok /slow-" + std::to_string(i)), std::string::npos) << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
    ::close(fds[i]);
  }
  EXPECT_TRUE(stopped.get());
}

TEST(HttpServerTest, QueuedRequestsAreAnsweredBusyWhenTheGraceEndsOnAStuckHandler) {
  ServerOptions o = Options();
  o.workers = 1;
  o.max_queued_requests = 8;
  o.shutdown_grace_seconds = 1;
  // Never destroyed: the stuck worker is abandoned with it (Run() returns false).
  static auto* release = new std::promise<void>();
  static std::shared_future<void> released = release->get_future().share();
  Handlers h = TestHandlers();
  h.handle = [](HttpRequest& req, HttpResponse& res) {
    if (req.target == "/stuck") released.wait();
    res.body = req.target == "/peer" ? "peer " + req.remote_address : "ok " + req.target;
  };
  static auto* server = new HttpServer(o, std::move(h));
  auto port = server->Bind();
  ASSERT_TRUE(port.ok());
  auto run = std::async(std::launch::async, [] { return server->Run(false); });
  int stuck = Connect(*port);
  int queued = Connect(*port);
  ASSERT_GE(stuck, 0);
  ASSERT_GE(queued, 0);
  Send(stuck, "GET /stuck HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Send(queued, "GET /queued HTTP/1.1\r\nHost: t\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto start = Clock::now();
  server->Stop();
  std::string r = ReadResponses(queued, 1);
  EXPECT_NE(r.find("HTTP/1.1 400"), std::string::npos) << r;
  EXPECT_NE(r.find("busy"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_FALSE(run.get());  // the stuck handler was abandoned
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  ::close(stuck);
  ::close(queued);
  release->set_value();  // let the abandoned worker finish
}

}  // namespace
// The asynchronous handler (the API pipeline waiting for its audit record): the worker is
// free once it returns, the answer goes out when another thread calls back, and an answer
// that never comes (the callback dropped) closes the connection rather than leaking it.
TEST(HttpServerTest, AsyncHandlerAnswersFromAnotherThreadWithoutHoldingTheWorker) {
  ServerOptions o = Options();
  o.workers = 1;
  std::mutex mu;
  std::vector<std::pair<std::unique_ptr<HttpResponse>, Respond>> parked;
  Handlers h = TestHandlers();
  h.handle_async = [&](HttpRequest& req, std::unique_ptr<HttpResponse> res, Respond done) {
    res->body = "async " + req.target;
    if (req.target == "/drop") return;  // `done` destroyed unanswered
    if (req.target == "/now") return done(std::move(res));
    std::lock_guard<std::mutex> l(mu);
    parked.emplace_back(std::move(res), std::move(done));
  };
  HttpServer server(o, std::move(h));
  auto port = server.Bind();
  ASSERT_TRUE(port.ok());
  auto run = std::async(std::launch::async, [&] { return server.Run(false); });

  int later = Connect(*port);
  ASSERT_GE(later, 0);
  Send(later, "GET /later HTTP/1.1\r\nHost: t\r\n\r\n");
  // The only worker already handled /later: it serves /now while /later waits.
  EXPECT_NE(Get(*port, "/now").find("async /now"), std::string::npos);
  // /later may be parked after /now was answered (the I/O thread hands it over when it is
  // read), so the answerer waits for it for up to 5 s rather than a fixed number of spins: a
  // request left parked would be answered by nobody and outlive the server.
  std::thread answerer([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> l(mu);
        if (!parked.empty()) {
          auto& [res, done] = parked.front();
          done(std::move(res));
          parked.clear();
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::string r = ReadResponses(later, 1);
  answerer.join();
  EXPECT_NE(r.find("async /later"), std::string::npos) << r;
  ::close(later);

  int dropped = Connect(*port);
  ASSERT_GE(dropped, 0);
  Send(dropped, "GET /drop HTTP/1.1\r\nHost: t\r\n\r\n");
  bool closed = false;
  EXPECT_EQ(ReadAll(dropped, std::chrono::seconds(5), &closed), "");
  EXPECT_TRUE(closed);
  ::close(dropped);
  server.Stop();
  EXPECT_TRUE(run.get());
}

}  // namespace arcana::net

namespace arcana::net {
// try_inline (the API pipeline's cached reads): a request it takes is answered on the I/O
// thread even while every worker is busy, at once or later from another thread; one it
// declines goes to a worker as if it had never been offered; both on one kept-alive
// connection.
TEST(HttpServerTest, TryInlineAnswersWhileWorkersAreBusyAndDeclinedRequestsGoToAWorker) {
  ServerOptions o = Options();
  o.workers = 1;
  std::vector<std::thread> answerers;  // only the I/O threads touch it, one at a time here
  Handlers h = TestHandlers();
  h.try_inline = [&](HttpRequest& req, Respond& respond) {
    if (req.target.rfind("/mem", 0) != 0) return false;  // `respond` untouched
    auto res = std::make_unique<HttpResponse>();
    res->body = "inline " + req.target;
    if (req.target == "/mem-later") {  // answered from another thread, after returning
      answerers.emplace_back([respond = std::move(respond), res = std::move(res)]() mutable {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        respond(std::move(res));
      });
      return true;
    }
    respond(std::move(res));
    return true;
  };
  HttpServer server(o, std::move(h));
  auto port = server.Bind();
  ASSERT_TRUE(port.ok());
  auto run = std::async(std::launch::async, [&] { return server.Run(false); });

  int slow = Connect(*port);
  ASSERT_GE(slow, 0);
  Send(slow, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");  // the only worker, for 500 ms
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int fd = Connect(*port);
  ASSERT_GE(fd, 0);
  auto start = Clock::now();
  Send(fd, "GET /mem HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string r = ReadResponses(fd, 1);
  EXPECT_NE(r.find("inline /mem"), std::string::npos) << r;
  Send(fd, "GET /mem-later HTTP/1.1\r\nHost: t\r\n\r\n");
  r = ReadResponses(fd, 1);
  EXPECT_NE(r.find("inline /mem-later"), std::string::npos) << r;
  // The worker is busy until about 400 ms from `start`.
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(350)) << "waited for the worker";
  // Declined: the worker's handler answers it, on the same connection.
  Send(fd, "GET /other HTTP/1.1\r\nHost: t\r\n\r\n");
  r = ReadResponses(fd, 1);
  EXPECT_NE(r.find("ok /other"), std::string::npos) << r;
  EXPECT_NE(ReadResponses(slow, 1).find("ok /slow"), std::string::npos);
  ::close(fd);
  ::close(slow);
  for (auto& t : answerers) t.join();
  server.Stop();
  EXPECT_TRUE(run.get());
}
}  // namespace arcana::net
