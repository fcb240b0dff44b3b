// Fuzzes the HTTP/1.1 request parser the server reads every connection with
// (net::ParseRequests over net::RequestParser): request line, header fields, Content-Length,
// chunked framing, pipelined requests, header and body limits. Input: the raw bytes a client
// sends on one connection.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/request_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Small limits so the fuzzer reaches the limit paths with small inputs, then the server's.
  for (const auto& limits : {arcana::net::ParseLimits{64, 256}, arcana::net::ParseLimits{}}) {
    auto parsed = arcana::net::ParseRequests(bytes, limits);
    size_t total = 0;
    for (const auto& req : parsed.requests) {
      // What the pipeline reads of every request.
      total += req.Path().size() + req.Header("X-Amz-Target").size() +
               req.Header("Authorization").size() + req.body.size();
      if (req.body.size() > limits.body_limit) __builtin_trap();  // the limit must hold
    }
    if (total > 2 * size + 1) __builtin_trap();  // nothing is invented
  }
  return 0;
}
