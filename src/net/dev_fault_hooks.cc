#include "net/dev_fault_hooks.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <new>
#include <string>
#include <thread>

namespace arcana::net {
namespace {

constexpr long kMaxSleepMs = 10 * 60 * 1000;

// The value of `key` in the query string ("" when absent). No percent-decoding: the hook's
// values are plain words and digits.
std::string_view QueryValue(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

}  // namespace

void RunDevFault(const HttpRequest& req, HttpResponse& res) {
  std::string_view action = QueryValue(req.target, "action");
  spdlog::warn("dev mode: fault injection requested (POST {})", kDevFaultPath);
  if (action == "throw") {
    [[maybe_unused]] int n = std::stoi("not a number");  // throws std::invalid_argument
  } else if (action == "bad_alloc") {
    throw std::bad_alloc();
  } else if (action == "throw_other") {
    throw 42;
  } else if (action == "sleep") {
    std::string_view ms_text = QueryValue(req.target, "ms");
    long ms = 0;
    std::from_chars(ms_text.data(), ms_text.data() + ms_text.size(), ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp(ms, 0L, kMaxSleepMs)));
    res.status = 200;
    res.Set("Content-Type", "application/json");
    res.body = R"({"slept":true})";
    return;
  }
  res.status = 400;
  res.Set("Content-Type", "application/json");
  res.body = R"({"error":"unknown action"})";
}

}  // namespace arcana::net
