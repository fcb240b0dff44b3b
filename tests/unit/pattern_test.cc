#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/pattern.h"
#include "domain/ssm/values.h"

namespace pattern = arcana::pattern;
namespace dssm = arcana::domain::ssm;
using arcana::ErrorCode;
using pattern::PatternError;

namespace {

std::shared_ptr<const pattern::Pattern> Ok(std::string_view source) {
  auto c = pattern::Compile(source, 1024);
  EXPECT_EQ(c.error, PatternError::kNone) << source << ": " << c.detail;
  return c.pattern;
}

PatternError Err(std::string_view source) { return pattern::Compile(source, 1024).error; }

double Seconds(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// The defect: std::regex backtracks exponentially on (a*)*b; RE2 answers at once.
TEST(Pattern, CatastrophicPatternReturnsAtOnce) {
  auto p = Ok("(a*)*b");
  const std::string text(4096, 'a');
  bool matched = true;
  double s = Seconds([&] { matched = p->FullMatch(text); });
  EXPECT_FALSE(matched);
  EXPECT_LT(s, 0.2);
  for (const char* evil : {"(a+)+$", "(a|aa)+b", "(.*a){20}", "^(([a-z])+.)+[A-Z]([a-z])+$"}) {
    auto q = Ok(evil);
    s = Seconds([&] { (void)q->FullMatch(text + "!"); });
    EXPECT_LT(s, 0.2) << evil;
  }
}

TEST(Pattern, FullMatchSemantics) {
  auto p = Ok("\\d+");
  EXPECT_TRUE(p->FullMatch("123"));
  EXPECT_FALSE(p->FullMatch("123a"));
  EXPECT_FALSE(p->FullMatch("a123"));
  EXPECT_TRUE(Ok("^[a-z]{2,4}$")->FullMatch("abc"));
  EXPECT_FALSE(Ok("^[a-z]{2,4}$")->FullMatch("abcde"));
  EXPECT_TRUE(Ok("a|b")->FullMatch("b"));  // alternation is wholly anchored
  EXPECT_FALSE(Ok("a|bc")->FullMatch("ab"));
}

TEST(Pattern, TranslatesEcmaScriptAndJavaSpellings) {
  EXPECT_TRUE(Ok("\\u0041\\u{42}")->FullMatch("AB"));
  EXPECT_TRUE(Ok("\\uD83D\\uDE00")->FullMatch("\xF0\x9F\x98\x80"));  // surrogate pair
  EXPECT_TRUE(Ok("(?<word>[a-z]+)-\\d")->FullMatch("abc-1"));
  EXPECT_TRUE(Ok("a\\0b")->FullMatch(std::string("a\0b", 3)));
  EXPECT_TRUE(Ok("\\cJ")->FullMatch("\n"));
  EXPECT_TRUE(Ok("\\e")->FullMatch("\x1b"));
  EXPECT_TRUE(Ok("\\p{Alpha}+\\P{Digit}")->FullMatch("abc!"));
  EXPECT_TRUE(Ok("[\\p{Upper}\\d]+")->FullMatch("A1B2"));
  EXPECT_TRUE(Ok("\\p{IsLatin}+")->FullMatch("abc"));
  EXPECT_TRUE(Ok("\\Q(a+)\\E")->FullMatch("(a+)"));
  EXPECT_FALSE(Ok("\\Q(a+)\\E")->FullMatch("aa"));
  EXPECT_TRUE(Ok("\\_\\-\\/\\@")->FullMatch("_-/@"));
  EXPECT_TRUE(Ok("[\\b]")->FullMatch("\b"));
  EXPECT_TRUE(Ok("a{,2}")->FullMatch("a{,2}"));  // not a quantifier: literal braces
  EXPECT_TRUE(Ok("x}")->FullMatch("x}"));
  EXPECT_TRUE(Ok("[]a]+")->FullMatch("]a"));
  EXPECT_TRUE(Ok("a+?b*?")->FullMatch("aab"));   // lazy quantifiers are fine
  EXPECT_TRUE(Ok("abc\\Z")->FullMatch("abc\n"));
  EXPECT_TRUE(Ok("(?i)abc")->FullMatch("ABC"));
  EXPECT_TRUE(Ok("é+")->FullMatch("éé"));
}

TEST(Pattern, RefusesBacktrackingConstructsByName) {
  for (const char* p : {"(a)\\1", "(?<x>a)\\k<x>", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b",
                        "(?>a+)b", "a*+", "a++b", "a?+", "a{2}+", "[a-z&&[^e]]", "\\G",
                        "a{1001}", "(a{100}){100}", "\\p{InGreek}", "\\uD800"}) {
    auto c = pattern::Compile(p, 1024);
    EXPECT_EQ(c.error, PatternError::kUnsupported) << p << ": " << c.detail;
    EXPECT_EQ(c.pattern, nullptr);
    EXPECT_FALSE(c.detail.empty());
  }
}

TEST(Pattern, RefusesInvalidPatterns) {
  for (const char* p : {"(", "a)", "[a", "*a", "a**", "\\", "\\q", "a{3,1}", "\\u12", "\\c1",
                        "(?P=x)", "[z-a]"}) {
    EXPECT_EQ(Err(p), PatternError::kInvalid) << p;
  }
}

TEST(Pattern, BoundsPatternLength) {
  EXPECT_EQ(pattern::Compile(std::string(1025, 'a'), 1024).error, PatternError::kTooLong);
  EXPECT_EQ(pattern::Compile(std::string(1024, 'a'), 1024).error, PatternError::kNone);
}

TEST(Pattern, CacheReturnsTheSameCompileAcrossThreads) {
  auto first = Ok("cache-[0-9]+");
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<const pattern::Pattern>> got(8);
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = pattern::Compile("cache-[0-9]+", 1024).pattern; });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) {
    ASSERT_NE(g, nullptr);
    EXPECT_TRUE(g->FullMatch("cache-42"));
  }
  // Filling the cache with other patterns evicts, never breaks, earlier ones.
  for (int i = 0; i < 200; ++i) Ok("evict" + std::to_string(i));
  EXPECT_TRUE(first->FullMatch("cache-7"));
  EXPECT_TRUE(Ok("cache-[0-9]+")->FullMatch("cache-8"));
}

TEST(SsmAllowedPattern, ErrorsAsAws) {
  EXPECT_EQ(dssm::CompileAllowedPattern("").value(), nullptr);
  EXPECT_TRUE(dssm::CheckPatternMatch("anything", nullptr).ok());
  auto bad = dssm::CompileAllowedPattern("([a-z]");
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidAllowedPattern);
  EXPECT_EQ(bad.status().message(),
            "The allowed pattern ([a-z] is not a valid regular expression.");
  auto backref = dssm::CompileAllowedPattern("(a)\\1");
  EXPECT_EQ(backref.status().code(), ErrorCode::kValidation);
  EXPECT_NE(backref.status().message().find("backreferences"), std::string::npos);
  EXPECT_EQ(dssm::CompileAllowedPattern(std::string(1025, 'a')).status().code(),
            ErrorCode::kValidation);
  auto p = dssm::CompileAllowedPattern("^\\d+$").value();
  EXPECT_TRUE(dssm::CheckPatternMatch("42", p).ok());
  auto mismatch = dssm::CheckPatternMatch("secret-value", p);
  EXPECT_EQ(mismatch.code(), ErrorCode::kParameterPatternMismatch);
  EXPECT_EQ(mismatch.message(),
            "Parameter value, cannot be validated against allowedPattern: ^\\d+$");
}

TEST(SsmAllowedPattern, CatastrophicPatternIsFast) {
  auto p = dssm::CompileAllowedPattern("(a*)*b").value();
  double s = Seconds([&] {
    EXPECT_EQ(dssm::CheckPatternMatch(std::string(40, 'a'), p).code(),
              ErrorCode::kParameterPatternMismatch);
  });
  EXPECT_LT(s, 0.2);
}
