#include "net/bounded_resolve.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace arcana::net {

namespace {

constexpr int kMaxLookupsRunning = 64;
std::atomic<int> g_lookups_running{0};

}  // namespace

ResolvedEndpoints SystemLookup(const std::string& host, const std::string& port) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  return resolver.resolve(host, port);
}

Result<ResolvedEndpoints> ResolveBefore(const std::string& host, const std::string& port,
                                        std::chrono::steady_clock::time_point deadline,
                                        const BlockingLookup& lookup) {
  // An address needs no lookup (and no thread).
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (!ec) {
    try {
      return lookup(host, port);
    } catch (const std::exception& e) {
      return Status(ErrorCode::kServiceUnavailable, "resolving " + host + ": " + e.what());
    }
  }
  // Shared with the lookup's thread, which may outlive this call.
  struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    ResolvedEndpoints result;
    std::string error;
  };
  // Threads left behind by lookups that missed their deadline end only when the system
  // resolver gives up: bounded, so a DNS server that stopped answering cannot make them pile
  // up with the call rate.
  if (g_lookups_running.fetch_add(1) >= kMaxLookupsRunning) {
    g_lookups_running.fetch_sub(1);
    return Status(ErrorCode::kServiceUnavailable,
                  "resolving " + host + ": too many host name lookups under way");
  }
  auto shared = std::make_shared<Lookup>();
  try {
    std::thread([shared, lookup, host, port] {
      ResolvedEndpoints result;
      std::string error;
      try {
        result = lookup(host, port);
      } catch (const std::exception& e) {
        error = e.what();
        if (error.empty()) error = "lookup failed";
      }
      {
        std::lock_guard<std::mutex> l(shared->mu);
        shared->result = std::move(result);
        shared->error = std::move(error);
        shared->done = true;
        shared->cv.notify_all();
      }
      g_lookups_running.fetch_sub(1);
    }).detach();
  } catch (const std::system_error& e) {  // no thread to be had
    g_lookups_running.fetch_sub(1);
    return Status(ErrorCode::kServiceUnavailable, "resolving " + host + ": " + e.what());
  }
  std::unique_lock<std::mutex> l(shared->mu);
  if (!shared->cv.wait_until(l, deadline, [&] { return shared->done; })) {
    return Status(ErrorCode::kServiceUnavailable,
                  "resolving " + host + ": no answer before the deadline");
  }
  if (!shared->error.empty()) {
    return Status(ErrorCode::kServiceUnavailable, "resolving " + host + ": " + shared->error);
  }
  return shared->result;
}

}  // namespace arcana::net
