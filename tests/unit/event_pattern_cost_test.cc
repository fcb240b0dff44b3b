// EventBridge pattern matching on hostile inputs (domain/events/event_pattern.h): a wildcard
// is matched in time linear in the value and its operand (a tenant's rule once made the node's
// routing thread spend ~10 ms per rule on one 200 KB value), and matches what a plain
// backtracking glob matcher says on random operands.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

#include "common/json.h"
#include "domain/events/event_pattern.h"

namespace arcana::domain::events {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

EventPattern Wildcard(const std::string& operand) {
  auto p = EventPattern::Parse(R"({"v": [{"wildcard": )" + Quote(operand) + "}]}");
  EXPECT_TRUE(p.ok()) << operand << ": " << p.status().message();
  return std::move(p).value();
}

bool MatchValue(const EventPattern& p, const std::string& value) {
  auto m = p.MatchesJson(R"({"v": )" + Quote(value) + "}");
  EXPECT_TRUE(m.ok());
  return m.ok() && *m;
}

// The reference: '*' any run (no escapes in the operands used here), by backtracking.
bool Glob(const char* p, const char* s) {
  if (*p == '\0') return *s == '\0';
  if (*p == '*') {
    for (const char* t = s;; ++t) {
      if (Glob(p + 1, t)) return true;
      if (*t == '\0') return false;
    }
  }
  return *s == *p && Glob(p + 1, s + 1);
}

TEST(EventPatternCost, AWildcardRunOfRepeatsAgainstALongValueIsLinear) {
  // The review's shape: "*aaa...ab*" (3.9 KB) against 200 KB of 'a', once per rule of a bus
  // (300). string_view::find took ~10 ms a rule (~3 s an event); KMP takes well under 1 ms.
  const EventPattern p = Wildcard("*" + std::string(3900, 'a') + "b*");
  rapidjson::Document event;
  event.Parse(("{\"v\": \"" + std::string(200000, 'a') + "\"}").c_str());
  ASSERT_TRUE(event.IsObject());
  const auto start = std::chrono::steady_clock::now();
  for (int rule = 0; rule < 300; ++rule) ASSERT_FALSE(p.Matches(event));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.5) << "300 rules took " << seconds << " s";

  // Still found where it is: at the very end, and in the middle.
  std::string value(200000, 'a');
  value += 'b';
  event.Parse(("{\"v\": \"" + value + "\"}").c_str());
  EXPECT_TRUE(p.Matches(event));
  EXPECT_TRUE(MatchValue(Wildcard("*aab*c"), std::string(5000, 'a') + "b" + "xyzc"));
}

TEST(EventPatternCost, ManyMiddleRunsScanTheValueOnce) {
  // Each run is looked for from where the one before ended: 40 runs (as many as a wildcard
  // may have before it is too complex) found after 100 KB of "ab" cost one pass together.
  std::string operand = "*", runs;
  for (int i = 0; i < 40; ++i) {
    const std::string run = std::string(1, static_cast<char>('c' + i % 10)) + "abab";
    operand += run + "*";
    runs += run;
  }
  std::string value;
  for (int i = 0; i < 50000; ++i) value += "ab";
  const EventPattern p = Wildcard(operand);
  rapidjson::Document found, cut;
  found.Parse(("{\"v\": \"" + value + runs + "\"}").c_str());
  cut.Parse(("{\"v\": \"" + value + runs.substr(0, runs.size() - 1) + "\"}").c_str());
  const auto start = std::chrono::steady_clock::now();
  for (int rule = 0; rule < 300; ++rule) {
    ASSERT_TRUE(p.Matches(found));
    ASSERT_FALSE(p.Matches(cut));
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 3.0);
  EXPECT_FALSE(MatchValue(Wildcard("*abab*ba"), "ababab"));
  EXPECT_TRUE(MatchValue(Wildcard("*abab*ab"), "ababab"));
  EXPECT_FALSE(MatchValue(Wildcard("*abab*ab"), "abab"));
  EXPECT_TRUE(MatchValue(Wildcard("*aab*"), "aaab"));  // a border taken back once
  EXPECT_TRUE(MatchValue(Wildcard("x*abcabd*"), "xabcabcabd"));
}

TEST(EventPatternCost, WildcardsAgreeWithABacktrackingGlob) {
  std::mt19937 rng(20240607);
  const std::string alphabet = "aab";
  auto random = [&](size_t max, bool stars) {
    std::string s;
    const size_t n = rng() % (max + 1);
    for (size_t i = 0; i < n; ++i) {
      if (stars && rng() % 4 == 0 && (s.empty() || s.back() != '*')) {
        s += '*';
      } else {
        s += alphabet[rng() % alphabet.size()];
      }
    }
    return s;
  };
  for (int round = 0; round < 3000; ++round) {
    const std::string operand = random(10, true);
    auto parsed = EventPattern::Parse(R"({"v": [{"wildcard": )" + Quote(operand) + "}]}");
    if (!parsed.ok()) continue;  // a too complex wildcard: refused, nothing to match
    for (int v = 0; v < 10; ++v) {
      const std::string value = random(16, false);
      EXPECT_EQ(MatchValue(*parsed, value), Glob(operand.c_str(), value.c_str()))
          << operand << " against " << value;
    }
  }
}

TEST(EventPatternCost, AnythingButWildcardsAndCidrOnALongValue) {
  auto p = EventPattern::Parse(
      R"({"v": [{"anything-but": {"wildcard": ["*aaaaaaaaaaaaaaab*", "*c*"]}}]})");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(MatchValue(*p, std::string(200000, 'a')));
  EXPECT_FALSE(MatchValue(*p, std::string(200000, 'a') + "b"));
  // A CIDR filter does not copy a value longer than any address to read it; none matches.
  auto cidr = EventPattern::Parse(R"({"v": [{"cidr": "10.0.0.0/8"}]})");
  ASSERT_TRUE(cidr.ok());
  EXPECT_FALSE(MatchValue(*cidr, "10.1.2.3" + std::string(100, ' ')));
  EXPECT_TRUE(MatchValue(*cidr, "10.1.2.3"));
  auto v6 = EventPattern::Parse(R"({"v": [{"cidr": "::ffff:0:0/96"}]})");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(MatchValue(*v6, "0000:0000:0000:0000:0000:ffff:255.255.255.255"));  // 45 chars
}

}  // namespace
}  // namespace arcana::domain::events
