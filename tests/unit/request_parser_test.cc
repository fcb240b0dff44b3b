// net::ParseRequests: the server's HTTP/1.1 request parser over bytes in memory (the same
// RequestParser the connections use; fuzzed by fuzz/http_request_fuzzer.cc).
#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>

#include <string>

#include "net/request_parser.h"

namespace arcana::net {
namespace {

namespace http = boost::beast::http;

TEST(RequestParser, ParsesHeadersAndBodyInOrder) {
  auto p = ParseRequests(
      "POST /x?a=b HTTP/1.1\r\nHost: h\r\nX-Amz-Target: secretsmanager.ListSecrets\r\n"
      "X-Amz-Target: second\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_FALSE(p.error) << p.error.message();
  EXPECT_FALSE(p.incomplete);
  ASSERT_EQ(p.requests.size(), 1u);
  const auto& r = p.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/x?a=b");
  EXPECT_EQ(r.Path(), "/x");
  EXPECT_EQ(r.Header("x-amz-target"), "secretsmanager.ListSecrets");  // the first one
  ASSERT_EQ(r.headers.size(), 4u);
  EXPECT_EQ(r.body, "{}");
}

TEST(RequestParser, PipelinedAndChunkedRequests) {
  auto p = ParseRequests(
      "GET /_arcana/health HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\n{\r\n1;ext=1\r\n}\r\n0\r\n\r\n");
  ASSERT_FALSE(p.error) << p.error.message();
  ASSERT_EQ(p.requests.size(), 2u);
  EXPECT_EQ(p.requests[0].Path(), "/_arcana/health");
  EXPECT_EQ(p.requests[1].body, "{}");
}

TEST(RequestParser, LimitsAndBrokenFraming) {
  ParseLimits small{4, 1024};
  EXPECT_EQ(ParseRequests("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n12345", small).error,
            http::error::body_limit);
  EXPECT_EQ(ParseRequests("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\n12345\r\n0\r\n\r\n",
                          small)
                .error,
            http::error::body_limit);
  EXPECT_EQ(ParseRequests("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", small)
                .error,
            http::error::header_limit);
  EXPECT_TRUE(ParseRequests("HTTP/1.1 200 OK\r\n\r\n").error);   // a response
  EXPECT_TRUE(ParseRequests("GET / HTTP/1.1\r\nHo st: x\r\n\r\n").error);
  EXPECT_TRUE(ParseRequests("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").error);
  auto cut = ParseRequests("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}");
  EXPECT_TRUE(cut.incomplete);
  EXPECT_TRUE(cut.requests.empty());
  EXPECT_TRUE(ParseRequests("GET / HTTP/1.1\r\nHost: x").incomplete);
}

// Beast reads a request whose last transfer coding is not chunked as bodiless, so its body
// would be parsed as a next request (smuggling); RFC 9112 section 6.3 says refuse it.
TEST(RequestParser, TransferEncodingOtherThanChunkedIsRefused) {
  const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n";
  for (const char* te : {"gzip", "identity", "chunked, identity", "gzip, chunked", "chunked,",
                         "", "chunked;q=1"}) {
    auto p = ParseRequests("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " +
                           std::string(te) + "\r\n\r\n" + smuggled);
    EXPECT_EQ(p.error, http::error::bad_transfer_encoding) << te;
    EXPECT_TRUE(p.requests.empty()) << te << ": the body ran as a request";
  }
  // A second Transfer-Encoding header, whatever its order.
  EXPECT_EQ(ParseRequests("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                          "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n")
                .error,
            http::error::bad_transfer_encoding);
  EXPECT_EQ(ParseRequests("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .error,
            http::error::bad_transfer_encoding);
  for (const char* te : {"chunked", "Chunked", "CHUNKED"}) {
    auto p = ParseRequests("POST / HTTP/1.1\r\nTransfer-Encoding: " + std::string(te) +
                           " \r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    ASSERT_FALSE(p.error) << te << ": " << p.error.message();
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0].body, "{}");
  }
}

}  // namespace
}  // namespace arcana::net
