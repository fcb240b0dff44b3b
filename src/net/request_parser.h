// The HTTP/1.1 request parser: Beast's parser, feeding our neutral HttpRequest directly.
// The server drives RequestParser incrementally from the socket (http_server.cc);
// ParseRequests runs the same parser over bytes already in memory, so the parse step can be
// tested and fuzzed without sockets (fuzz/http_request_fuzzer.cc).
// Thread-safety: a RequestParser is used by one connection at a time; ParseRequests is pure.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/optional.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "net/http_types.h"

namespace arcana::net {

// Parses a request straight into our neutral HttpRequest: no intermediate header container
// (Beast's fields allocate a node per header), no copy afterwards.
class RequestParser : public boost::beast::http::basic_parser<true> {
 public:
  HttpRequest& request() { return req_; }
  int version() const { return version_; }

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::beast::error_code;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override;
  void on_response_impl(int, string_view, int, error_code& ec) override;
  // Refuses (bad_transfer_encoding) a Transfer-Encoding other than exactly "chunked";
  // drops trailer fields (those after a chunked body), which never become headers.
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code&) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override;
  size_t on_body_impl(string_view body, error_code&) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override;
  void on_finish_impl(error_code&) override {}

  HttpRequest req_;
  int version_ = 11;
};

struct ParseLimits {
  std::uint64_t body_limit = 1024 * 1024;
  std::uint32_t header_limit = 32 * 1024;
};

// What a byte string parses to: every complete request in it, in order (keep-alive
// pipelining), and how the parse ended.
struct ParsedRequests {
  std::vector<HttpRequest> requests;
  boost::beast::error_code error;  // first parse error (body_limit, bad_target, ...), if any
  bool incomplete = false;         // the bytes ended inside a request
};

// Parses `bytes` as the server reads a connection: request after request, each with a fresh
// parser and the given limits, stopping at the first error or the end of the bytes.
ParsedRequests ParseRequests(std::string_view bytes, const ParseLimits& limits = {});

}  // namespace arcana::net
