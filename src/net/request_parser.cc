#include "net/request_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

namespace arcana::net {

namespace http = boost::beast::http;

void RequestParser::on_request_impl(http::verb, string_view method, string_view target,
                                    int version, error_code&) {
  req_.method.assign(method.data(), method.size());
  req_.target.assign(target.data(), target.size());
  version_ = version;
}

void RequestParser::on_response_impl(int, string_view, int, error_code& ec) {
  ec = http::error::bad_version;  // requests only
}

void RequestParser::on_field_impl(http::field field, string_view name, string_view value,
                                  error_code& ec) {
  // Beast hands a chunked body's trailer fields to this same callback. RFC 9110 section
  // 6.5.1: they are not merged into the header section. A proxy in front checks, strips or
  // adds headers (X-Amz-Target, Authorization, X-Forwarded-For, the agent's token) and does
  // not look at trailers, so none may act as a header here: they are dropped.
  if (is_header_done()) return;
  // Beast frames a request by Transfer-Encoding only when its last coding is chunked; for
  // any other it reads no body at all, so the body's bytes would run as the next request
  // (smuggled past a proxy that framed them as this one's body). RFC 9112 section 6.3: a
  // request whose final coding is not chunked is answered 400 and its connection closed.
  // No AWS client sends another coding, so anything but exactly "chunked" is refused.
  if (field == http::field::transfer_encoding && !boost::beast::iequals(value, "chunked")) {
    ec = http::error::bad_transfer_encoding;
    return;
  }
  req_.headers.emplace_back(std::string(name.data(), name.size()),
                            std::string(value.data(), value.size()));
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& length,
                                      error_code&) {
  // body_limit() has already refused a larger Content-Length.
  if (length) req_.body.reserve(static_cast<size_t>(*length));
}

size_t RequestParser::on_body_impl(string_view body, error_code&) {
  req_.body.append(body.data(), body.size());
  return body.size();
}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  req_.body.append(body.data(), body.size());
  return body.size();
}

ParsedRequests ParseRequests(std::string_view bytes, const ParseLimits& limits) {
  ParsedRequests out;
  while (!bytes.empty()) {
    RequestParser parser;
    parser.body_limit(limits.body_limit);
    parser.header_limit(limits.header_limit);
    // Like the server's read loop: offer everything buffered, keep what was not consumed.
    while (!parser.is_done()) {
      boost::beast::error_code ec;
      size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (ec == http::error::need_more) {
        if (used > 0 && !bytes.empty()) continue;  // progress: offer the rest
        // Everything there is was offered: the input ends inside this request.
        parser.put_eof(ec);
        if (ec || !parser.is_done()) {
          out.incomplete = true;
          return out;
        }
        break;
      }
      if (ec) {
        out.error = ec;
        return out;
      }
      if (used == 0 && !parser.is_done()) {  // no progress without an error: stop safely
        out.incomplete = true;
        return out;
      }
    }
    out.requests.push_back(std::move(parser.request()));
  }
  return out;
}

}  // namespace arcana::net
