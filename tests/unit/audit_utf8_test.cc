// Audit records stay valid UTF-8 (audit/utf8_text.h): cuts on character boundaries, invalid
// bytes from callers replaced, and the chain members read from a record's text whatever its
// bytes (audit/chain.h ParseChainLink).
#include <gtest/gtest.h>

#include <string>

#include "audit/audit_event.h"
#include "audit/chain.h"
#include "audit/utf8_text.h"
#include "common/json.h"

namespace arcana::audit {
namespace {

TEST(AuditUtf8, CutNeverSplitsACharacter) {
  const std::string s = std::string(1023, 'a') + "\xC3\xA9" + "b";  // é at 1023..1024
  EXPECT_EQ(CutUtf8(s, 1024), std::string(1023, 'a'));
  EXPECT_EQ(CutUtf8(s, 1025), std::string(1023, 'a') + "\xC3\xA9");
  EXPECT_EQ(CutUtf8("\xF0\x9F\x94\x91z", 3), "");  // a 4-byte key emoji
  EXPECT_EQ(CutUtf8("short", 1024), "short");
}

TEST(AuditUtf8, InvalidSequencesBecomeReplacementCharacters) {
  EXPECT_EQ(ValidUtf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91"),
            "plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(ValidUtf8("curl\xFF"), "curl" + fffd);
  EXPECT_EQ(ValidUtf8("a\xC3"), "a" + fffd);                 // truncated
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), fffd);                  // overlong
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80z"), fffd + "z");        // a surrogate
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), fffd);          // beyond U+10FFFF
  EXPECT_EQ(ValidUtf8("\xFF\xC3\xA9"), fffd + "\xC3\xA9");  // a valid character after it
}

// ValidUtf8 skips ASCII 8 bytes at a time: a byte >= 0x80 (valid or not) at any position of
// a word, after any length of ASCII, is still seen, and every byte value 0x80-0xFF alone
// among ASCII is either kept (never: a lone one is not UTF-8) or replaced.
TEST(AuditUtf8, AsciiSkipSeesEveryNonAsciiByteAtEveryPosition) {
  const std::string fffd = "\xEF\xBF\xBD";
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (unsigned b = 0x80; b <= 0xFF; ++b) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(b);
        ASSERT_EQ(ValidUtf8(s), std::string(at, 'a') + fffd + std::string(len - at - 1, 'a'))
            << "byte " << b << " at " << at << " of " << len;
      }
      std::string s(len, 'a');
      s.replace(at, 1, "\xC3\xA9");  // a valid character is kept as it is
      ASSERT_EQ(ValidUtf8(s), s);
    }
  }
}

TEST(AuditUtf8, EveryRecordParsesWithValidation) {
  AuditEvent e;
  e.event_name = "ListSecrets";
  e.user_agent = "curl\xFF\xC3";
  e.error_code = "X";
  e.error_message = std::string(kMaxTextField - 1, 'm') + "\xC3\xA9";
  e.request_parameters = R"({"Description":"ok"})";
  const std::string line = EventJson(e);
  rapidjson::Document doc;
  ASSERT_TRUE(json::ParseBounded(line, &doc).ok()) << line;  // validates UTF-8
  EXPECT_EQ(std::string(doc["userAgent"].GetString()), "curl\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(std::string(doc["errorMessage"].GetString()), std::string(kMaxTextField - 1, 'm'));
}

TEST(AuditChainLink, ReadFromTheTextTheWriterAppends) {
  const std::string prev(64, 'a');
  const std::string line = ChainedLine(R"({"userAgent":"\xFF"})", 42, prev);
  auto link = ParseChainLink(line);
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->sequence, 42u);
  EXPECT_EQ(link->previous_hash, prev);
  EXPECT_FALSE(ParseChainLink(line.substr(0, line.size() - 1)));
  EXPECT_FALSE(ParseChainLink(R"({"arcanaSequence":1})"));
  EXPECT_FALSE(ParseChainLink("{\"arcanaSequence\":,\"arcanaPreviousHash\":\"" + prev + "\"}"));
}

}  // namespace
}  // namespace arcana::audit
