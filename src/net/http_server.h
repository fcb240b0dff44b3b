// The HTTP/1.1 listener (Boost.Beast/Asio): keep-alive, a fixed pool of threads, an
// explicit body limit enforced while reading (an oversize body is refused before it is
// buffered whole), a timeout on every read, optional TLS. Requests are handed to one
// synchronous handler on the I/O thread that read them.
// Thread-safety: Run() blocks; Stop() may be called from any thread or a signal handler path.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "net/http_types.h"

namespace arcana::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 7770;
  int threads = 0;                      // 0: one per core
  size_t body_limit = 1024 * 1024;      // 1 MiB (spec: bodies over it are refused)
  std::string tls_cert_file;            // PEM chain; TLS when both are set
  std::string tls_key_file;
  int read_timeout_seconds = 60;
};

using Handler = std::function<void(HttpRequest&, HttpResponse&)>;  // may borrow req's fields
// Builds the response sent when a body exceeds the limit (AWS-shaped, from the pipeline).
using TooLargeHandler = std::function<void(HttpResponse&)>;

class HttpServer {
 public:
  HttpServer(ServerOptions options, Handler handler, TooLargeHandler too_large);
  ~HttpServer();

  // Binds and listens; returns the bound port (useful with port 0).
  Result<unsigned short> Bind();
  // Serves until Stop() (or SIGINT/SIGTERM when handle_signals).
  void Run(bool handle_signals);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arcana::net
