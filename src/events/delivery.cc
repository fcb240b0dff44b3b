#include "events/delivery.h"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <type_traits>

#include "audit/audit_event.h"
#include "cli/operator_client.h"  // ParseEndpoint
#include "common/json.h"

namespace arcana::events {
namespace {
constexpr int kMaxRetries = 8;
constexpr auto kMaxBackoff = std::chrono::seconds(5);
// One attempt (connect, TLS, request, answer) gets this long; the answer's body at most
// this much (it is only read to keep the connection protocol whole).
constexpr auto kDeliveryTimeout = std::chrono::seconds(5);
constexpr size_t kMaxResponseBytes = 64 * 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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

Status Failed(const char* what, const beast::error_code& ec) {
  return Status(ErrorCode::kServiceUnavailable, std::string(what) + ": " + ec.message());
}

// TLS handshake (when Stream is an ssl_stream), request, bounded response; every step
// under the deadline the caller set on the lowest layer.
template <class Stream>
Result<int> Exchange(asio::io_context& ioc, Stream& stream,
                     http::request<http::string_body>& req) {
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    if (auto ec = RunOne(ioc, [&](auto h) { stream.async_handshake(asio::ssl::stream_base::client, h); })) {
      return Failed("TLS handshake", ec);
    }
  }
  if (auto ec = RunOne(ioc, [&](auto h) { http::async_write(stream, req, h); })) {
    return Failed("send", ec);
  }
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  if (auto ec = RunOne(ioc, [&](auto h) { http::async_read(stream, buf, parser, h); })) {
    return Failed("answer", ec);
  }
  return static_cast<int>(parser.get().result_int());
}

}  // namespace

Status HttpPost(const std::string& url, const std::string& body) {
  size_t scheme = url.find("://");
  std::string rest = url.substr(scheme + 3);
  size_t slash = rest.find_first_of("/?");
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (path[0] == '?') path = "/" + path;
  ARCANA_ASSIGN_OR_RETURN(auto ep, cli::ParseEndpoint(url.substr(0, scheme + 3) +
                                                      rest.substr(0, slash)));
  http::request<http::string_body> req{http::verb::post, path, 11};
  req.set(http::field::host, ep.host + ":" + ep.port);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "arcana-events");
  req.body() = body;
  req.prepare_payload();
  try {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(ep.host, ep.port);
    Result<int> status = 0;
    if (ep.tls) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
      if (ep.ca_file.empty()) {
        ctx.set_default_verify_paths();
      } else {
        ctx.load_verify_file(ep.ca_file);
      }
      ctx.set_verify_mode(asio::ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
      if (!SSL_set_tlsext_host_name(stream.native_handle(), ep.host.c_str())) {
        return Status(ErrorCode::kServiceUnavailable, "cannot set TLS server name " + ep.host);
      }
      stream.set_verify_callback(asio::ssl::host_name_verification(ep.host));
      beast::get_lowest_layer(stream).expires_after(kDeliveryTimeout);
      if (auto ec = RunOne(ioc, [&](auto h) { beast::get_lowest_layer(stream).async_connect(endpoints, h); })) {
        return Failed("connect", ec);
      }
      status = Exchange(ioc, stream, req);
    } else {
      beast::tcp_stream stream(ioc);
      stream.expires_after(kDeliveryTimeout);
      if (auto ec = RunOne(ioc, [&](auto h) { stream.async_connect(endpoints, h); })) {
        return Failed("connect", ec);
      }
      status = Exchange(ioc, stream, req);
    }
    if (!status.ok()) return status.status();
    if (*status < 200 || *status >= 300) {
      return Status(ErrorCode::kServiceUnavailable, "HTTP " + std::to_string(*status));
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status(ErrorCode::kServiceUnavailable, std::string("cannot reach the target: ") + e.what());
  }
}

Deliverer::Deliverer(Options options) : options_(std::move(options)) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { Run(); });
}

Deliverer::~Deliverer() { Stop(); }

void Deliverer::Submit(const std::string& rule_arn, const domain::events::HttpTarget& target,
                       std::string body) {
  auto now = std::chrono::steady_clock::now();
  Delivery d{now, now, rule_arn, target, std::move(body), 0};
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!stopping_ && queue_.size() + in_flight_ < options_.max_pending) {
      queue_.push(std::move(d));
      cv_.notify_one();
      return;
    }
  }
  DeadLetter(d, "queue full");
}

void Deliverer::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (stopping_) return;
    if (queue_.empty()) {
      cv_.wait(l);
      continue;
    }
    if (queue_.top().due > std::chrono::steady_clock::now()) {
      cv_.wait_until(l, queue_.top().due);
      continue;
    }
    Delivery d = queue_.top();
    queue_.pop();
    ++in_flight_;
    l.unlock();
    Status s = options_.post(d.target.url, d.body);
    ++d.attempts;
    int retries = std::clamp(d.target.max_retry_attempts.value_or(kDefaultRetries), 0, kMaxRetries);
    auto backoff = std::min<std::chrono::milliseconds>(
        options_.first_backoff * (1 << std::min(d.attempts - 1, 10)), kMaxBackoff);
    auto now = std::chrono::steady_clock::now();
    bool too_old = d.target.max_event_age_seconds &&
                   now + backoff - d.first > std::chrono::seconds(*d.target.max_event_age_seconds);
    if (!s.ok() && (d.attempts > retries || too_old)) DeadLetter(d, s.message());
    l.lock();
    --in_flight_;
    if (!s.ok() && d.attempts <= retries && !too_old) {
      d.due = now + backoff;
      queue_.push(std::move(d));
      cv_.notify_one();
    }
  }
}

void Deliverer::Stop() {
  std::vector<Delivery> left;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    stopping_ = true;
    while (!queue_.empty()) {
      left.push_back(queue_.top());
      queue_.pop();
    }
    cv_.notify_all();
  }
  for (auto& t : threads_) t.join();
  for (const auto& d : left) DeadLetter(d, "shutdown");
}

uint64_t Deliverer::dead_lettered() const {
  std::lock_guard<std::mutex> l(mu_);
  return dead_lettered_;
}

void Deliverer::DeadLetter(const Delivery& d, const std::string& error) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++dead_lettered_;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "time", audit::IsoTime(NowMs()));
  json::KV(w, "rule", d.rule_arn);
  json::KV(w, "targetId", d.target.id);
  json::KV(w, "url", d.target.url);
  w.Key("attempts");
  w.Int(d.attempts);
  json::KV(w, "error", error.substr(0, 512));
  w.Key("event");
  rapidjson::Document body;
  if (json::ParseBounded(d.body, &body).ok()) {
    body.Accept(w);
  } else {
    json::WriteStr(w, d.body);
  }
  w.EndObject();
  std::string line = json::Finish(buf) + "\n";
  std::lock_guard<std::mutex> l(file_mu_);
  std::error_code ec;
  std::filesystem::create_directories(options_.dead_letter_dir, ec);
  ::chmod(options_.dead_letter_dir.c_str(), 0700);
  std::string path = options_.dead_letter_dir + "/dead-letter.jsonl";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    spdlog::error("events: lost an undeliverable event for {} (cannot write {})", d.target.url, path);
  } else {
    spdlog::warn("events: delivery to {} failed after {} attempt(s) ({}); dead-lettered", d.target.url,
                 d.attempts, error);
  }
  if (fd >= 0) ::close(fd);
}

}  // namespace arcana::events
