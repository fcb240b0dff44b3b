// net/bounded_resolve.h: a lookup that does not answer gives up at the deadline, not when the
// system resolver does; errors are values; addresses need no lookup thread.
#include "net/bounded_resolve.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace arcana::net {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(BoundedResolve, AHungLookupIsAbandonedAtTheDeadline) {
  auto released = std::make_shared<std::atomic<bool>>(false);
  const auto start = Clock::now();
  auto r = ResolveBefore("db.example.internal", "443", start + milliseconds(150),
                         [released](const std::string&, const std::string&) {
                           // A DNS server that never answers: the system resolver would sit
                           // here for its own timeouts.
                           for (int i = 0; i < 300 && !released->load(); ++i) {
                             std::this_thread::sleep_for(milliseconds(10));
                           }
                           return SystemLookup("127.0.0.1", "443");
                         });
  const auto waited = Clock::now() - start;
  released->store(true);  // let the abandoned thread end
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_EQ(r.status().message(), "resolving db.example.internal: no answer before the deadline");
  EXPECT_GE(waited, milliseconds(140));
  EXPECT_LT(waited, milliseconds(1500));
}

TEST(BoundedResolve, TheLookupsAnswerAndItsErrorAreReturned) {
  auto ok = ResolveBefore("arcana.test", "7770", Clock::now() + milliseconds(5000),
                          [](const std::string& host, const std::string& port) {
                            EXPECT_EQ(host, "arcana.test");
                            return SystemLookup("127.0.0.1", port);
                          });
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_FALSE(ok->empty());
  EXPECT_EQ(ok->begin()->endpoint().address().to_string(), "127.0.0.1");
  EXPECT_EQ(ok->begin()->endpoint().port(), 7770);

  auto bad = ResolveBefore("nowhere.test", "80", Clock::now() + milliseconds(5000),
                           [](const std::string&, const std::string&) -> ResolvedEndpoints {
                             throw std::runtime_error("Host not found (authoritative)");
                           });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kServiceUnavailable);
  EXPECT_EQ(bad.status().message(), "resolving nowhere.test: Host not found (authoritative)");
}

TEST(BoundedResolve, AbandonedLookupsAreBoundedNotPiledUp) {
  // 64 lookups a dead DNS server holds: each call gives up at once, its thread stays.
  auto released = std::make_shared<std::atomic<bool>>(false);
  auto hung = [released](const std::string&, const std::string& port) {
    while (!released->load()) std::this_thread::sleep_for(milliseconds(5));
    return SystemLookup("127.0.0.1", port);
  };
  for (int i = 0; i < 64; ++i) {
    auto r = ResolveBefore("slow.test", "80", Clock::now() + milliseconds(1), hung);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "resolving slow.test: no answer before the deadline");
  }
  bool ran = false;
  auto refused = ResolveBefore("next.test", "80", Clock::now() + milliseconds(5000),
                               [&](const std::string&, const std::string& port) {
                                 ran = true;
                                 return SystemLookup("127.0.0.1", port);
                               });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "resolving next.test: too many host name lookups under way");
  EXPECT_FALSE(ran);
  // Once the resolver gives up on them, lookups run again.
  released->store(true);
  Result<ResolvedEndpoints> again = Status(ErrorCode::kServiceUnavailable, "not yet");
  for (int i = 0; i < 200 && !again.ok(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
    again = ResolveBefore("next.test", "80", Clock::now() + milliseconds(5000),
                          [](const std::string&, const std::string& port) {
                            return SystemLookup("127.0.0.1", port);
                          });
  }
  EXPECT_TRUE(again.ok()) << again.status().message();
}

TEST(BoundedResolve, AnAddressIsResolvedOnTheCallersThread) {
  const auto caller = std::this_thread::get_id();
  for (const char* address : {"127.0.0.1", "::1"}) {
    std::thread::id ran_on;
    auto r = ResolveBefore(address, "80", Clock::now() + milliseconds(5000),
                           [&](const std::string& host, const std::string& port) {
                             ran_on = std::this_thread::get_id();
                             return SystemLookup(host, port);
                           });
    ASSERT_TRUE(r.ok()) << address << ": " << r.status().message();
    EXPECT_EQ(ran_on, caller) << address;
  }
}

}  // namespace
}  // namespace arcana::net
