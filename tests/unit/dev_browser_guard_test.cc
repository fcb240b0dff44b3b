// The dev-mode browser guard (net/dev_browser_guard.h): which Host and Origin values name a
// loopback host, and which requests a dev-mode listener refuses as a web page's.
#include "net/dev_browser_guard.h"

#include <gtest/gtest.h>

namespace arcana::net {
namespace {

HttpRequest With(std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = std::move(headers);
  return r;
}

TEST(DevBrowserGuard, LoopbackHostPorts) {
  for (const char* hp : {"localhost", "localhost:7770", "LOCALHOST:1", "localhost.", "localhost:",
                         "app.localhost:3000", "127.0.0.1", "127.0.0.1:7770", "127.255.0.9:80",
                         "[::1]", "[::1]:7770", "[0:0:0:0:0:0:0:1]:1", "[::ffff:127.0.0.1]:5"}) {
    EXPECT_TRUE(IsLoopbackHostPort(hp)) << hp;
  }
  for (const char* hp : {"", "x", "evil.example", "localhost.evil.example", "127.0.0.1.nip.io",
                         "127.1", "0.0.0.0", "10.0.0.1", "[::2]", "[::1", "[::1]x", "[::1]:x",
                         "127.0.0.1:80:80", "localhost:123456", "localhost:-1", ".localhost",
                         "evillocalhost", "[::ffff:10.0.0.1]", "[fe80::1%lo]"}) {
    EXPECT_FALSE(IsLoopbackHostPort(hp)) << hp;
  }
}

TEST(DevBrowserGuard, LoopbackOrigins) {
  for (const char* o : {"http://localhost:3000", "https://127.0.0.1", "http://[::1]:8080",
                        "HTTP://LocalHost"}) {
    EXPECT_TRUE(IsLoopbackOrigin(o)) << o;
  }
  for (const char* o : {"null", "", "http://evil.example", "file://", "localhost",
                        "ftp://localhost", "http://localhost/x", "http://localhost.evil.example",
                        "chrome-extension://abc"}) {
    EXPECT_FALSE(IsLoopbackOrigin(o)) << o;
  }
}

TEST(DevBrowserGuard, RefusesWhatAWebPageSends) {
  EXPECT_TRUE(DevModeRefusal(With({{"Origin", "http://evil.example"}})));
  EXPECT_TRUE(DevModeRefusal(With({{"origin", "null"}})));
  EXPECT_TRUE(DevModeRefusal(With({{"Sec-Fetch-Site", "cross-site"}})));
  EXPECT_TRUE(DevModeRefusal(With({{"sec-fetch-site", "Same-Site"}})));
  EXPECT_TRUE(DevModeRefusal(With({{"Host", "rebind.evil.example:7770"}})));
  // Every header of a name counts, not only the first.
  EXPECT_TRUE(DevModeRefusal(
      With({{"Origin", "http://localhost"}, {"Origin", "http://evil.example"}})));
  EXPECT_TRUE(DevModeRefusal(With({{"Host", "127.0.0.1:1"}, {"HOST", "evil.example"}})));
}

TEST(DevBrowserGuard, ServesLocalClients) {
  EXPECT_FALSE(DevModeRefusal(With({})));  // HTTP/1.0 without Host
  EXPECT_FALSE(DevModeRefusal(With({{"Host", "127.0.0.1:7770"},
                                    {"Content-Type", "application/x-www-form-urlencoded"}})));
  EXPECT_FALSE(DevModeRefusal(With({{"Host", "localhost:7770"},
                                    {"Origin", "http://localhost:3000"},
                                    {"Sec-Fetch-Site", "same-origin"}})));
  EXPECT_FALSE(DevModeRefusal(With({{"Sec-Fetch-Site", "none"}})));
}

}  // namespace
}  // namespace arcana::net
