// The HTTP/1.1 listener (Boost.Beast/Asio): keep-alive, a fixed set of I/O threads, an
// explicit body limit enforced while reading (an oversize body is refused before it is
// buffered whole), optional TLS.
// Execution model: I/O threads read, parse and write, and never wait for anything else.
// Each parsed request is handed to a bounded worker pool (net/worker_pool.h), the handler
// runs there (it may block on the store), and the response is posted back to the
// connection's own I/O thread to be written. The exception, `try_inline`, is a handler
// that answers without waiting (a read served from memory, refused at the store's door
// otherwise): it runs on the I/O thread and saves the two hand-offs between threads.
// A connection has at most one request in flight, so pipelined requests are answered in
// order. When the pool's queue is full the request is answered at once, on the I/O thread,
// by the `busy` handler (ThrottlingException): admission control, never an unbounded queue.
// A few cheap requests (`answer_inline`: health, metrics) are answered on the I/O thread
// without a worker, so probes see the server's state even while it is saturated.
// The listener and the signals have a thread of their own, so a stuck handler delays
// neither new connections nor a stop.
// Bounded against hostile clients:
//  - at most max_connections open connections; one more is accepted and closed at once;
//  - a request (header and body) must arrive within request_timeout_seconds of its first
//    byte, a kept-alive connection may idle idle_timeout_seconds before its next request,
//    and a TLS handshake and a response write get request_timeout_seconds each: a client
//    trickling bytes (slowloris) is dropped, not waited for;
//  - a failing accept (file descriptors exhausted: EMFILE, ENFILE, ENOBUFS) backs off, 10 ms
//    doubling to 1 s, instead of spinning, and is logged at most once a second;
//  - a request the parser refuses (bad syntax or framing, a header block over 32 KiB, a
//    Transfer-Encoding other than chunked) is answered (`malformed`: 400, 431 for the
//    header block) and its connection closed, like one whose body is over the limit
//    (`too_large`: 413). Its bytes may still be arriving: closing with them unread would
//    make the kernel reset the connection, destroying the answer before the client reads
//    it. So the connection lingers: our side is shut, and what the client still sends is
//    read and dropped until it closes, for at most 2 s and 4 MiB (while it counts against
//    max_connections). EOF, timeouts and I/O errors close without an answer;
//  - an exception from a handler closes that connection, never the process; an exception
//    escaping any I/O completion or worker task is logged and its thread runs on.
// Shutdown (Stop(), SIGINT, SIGTERM): the listener closes, requests being handled or queued
// get shutdown_grace_seconds to finish and be answered (the queue drains); queued requests
// no worker reached by then are answered by `busy`; then Run() returns either way.
// Thread-safety: Run() blocks; Stop() may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/http_types.h"

namespace arcana::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 7770;
  int threads = 0;                      // I/O threads; 0: one per core
  int workers = 0;                      // handler threads; 0: EffectiveWorkerCount(0)
  size_t max_queued_requests = 1024;    // requests waiting for a worker before `busy` answers
  size_t body_limit = 1024 * 1024;      // 1 MiB (spec: bodies over it are refused)
  std::string tls_cert_file;            // PEM chain; TLS when both are set
  std::string tls_key_file;
  int max_connections = 0;              // 0: derived from RLIMIT_NOFILE (at most 4096)
  int request_timeout_seconds = 20;     // header + body from the first byte; handshake; write
  int idle_timeout_seconds = 60;        // keep-alive wait for the next request's first byte
  int shutdown_grace_seconds = 10;      // in-flight requests' time to finish after a stop
  bool single_hop = false;              // accepted sockets get IP TTL 1: no answer leaves the host's network
  // Called once, on the stopping thread, when a stop begins (e.g. to arm a watchdog).
  std::function<void()> on_stop;
};

// The connection cap max_connections = 0 stands for: min(4096, RLIMIT_NOFILE - 64), so
// the store, the logs and the reactors keep descriptors to spare.
int EffectiveMaxConnections(int configured);

using Handler = std::function<void(HttpRequest&, HttpResponse&)>;  // may borrow req's fields
// Builds the response sent when a body exceeds the limit (AWS-shaped, from the pipeline).
using TooLargeHandler = std::function<void(HttpResponse&)>;
// Builds the response to a request the HTTP parser refused: `status` is 431 for a header
// block over its limit, 400 otherwise; `what` names the fault in the parser's words ("bad
// Transfer-Encoding", "bad target", ...).
using MalformedHandler =
    std::function<void(int status, std::string_view what, HttpResponse&)>;

// What the server calls, and on which thread. Only `handle` may block.
// Answers through its callback, exactly once, from any thread (possibly after returning).
using Respond = std::function<void(std::unique_ptr<HttpResponse>)>;
using AsyncHandler = std::function<void(HttpRequest&, std::unique_ptr<HttpResponse>, Respond)>;

struct Handlers {
  Handler handle;              // on a worker thread (and for answer_inline requests)
  // On a worker thread, instead of `handle` when set: the worker is free once it returns,
  // and the answer is sent when the callback runs (the API pipeline: once its audit record
  // is durable). The request stays untouched until then.
  AsyncHandler handle_async;
  TooLargeHandler too_large;   // on the I/O thread: a body over the limit
  // On the I/O thread: a request the parser refused. Null: a plain-text answer of that status.
  MalformedHandler malformed;
  Handler busy;                // on the I/O thread: the worker queue is full
  // On the I/O thread: true for a request cheap and non-blocking enough to be answered by
  // `handle` right there (health, metrics). Null: none is answered this way.
  std::function<bool(const HttpRequest&)> answer_inline;
  // On the I/O thread, before a request goes to a worker: may answer it right there without
  // waiting for anything (the API pipeline: a read its caches can serve). True: it took the
  // Respond (moved from) and calls it exactly once, from any thread. False: the Respond is
  // untouched and the request goes to a worker. Null: every request goes to a worker.
  std::function<bool(HttpRequest&, Respond&)> try_inline;
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, Handlers handlers);
  ~HttpServer();

  // Binds and listens; returns the bound port (useful with port 0).
  Result<unsigned short> Bind();
  // Serves until Stop() (or SIGINT/SIGTERM when handle_signals), then drains. Returns true
  // when every request finished within the grace and every I/O and worker thread was
  // joined; false when handlers were still running (or queued) at the end of the grace:
  // their threads are left behind, so the caller must end the process (std::_Exit) without
  // destroying the server.
  bool Run(bool handle_signals);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arcana::net
