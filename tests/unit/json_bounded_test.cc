// json::ParseBounded: every JSON text from outside goes through it, so nesting depth and
// size are bounded and no input can drive the parser into deep recursion.
#include <gtest/gtest.h>

#include <string>

#include "common/json.h"

namespace arcana {
namespace {

std::string Arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string Objects(size_t depth) {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}

TEST(JsonBounded, ParsesOrdinaryDocuments) {
  rapidjson::Document d;
  ASSERT_TRUE(json::ParseBounded(R"({"SecretId":"x","Tags":[{"Key":"k","Value":"v"}]})", &d).ok());
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["SecretId"].GetString(), "x");
  EXPECT_EQ(d["Tags"].Size(), 1u);
  rapidjson::Document s;
  ASSERT_TRUE(json::ParseBounded("42", &s).ok());
  EXPECT_EQ(s.GetInt(), 42);
}

TEST(JsonBounded, DepthExactlyAtTheLimitIsAccepted) {
  rapidjson::Document a, o;
  EXPECT_TRUE(json::ParseBounded(Arrays(json::kMaxDepth), &a).ok());
  EXPECT_TRUE(json::ParseBounded(Objects(json::kMaxDepth), &o).ok());
  EXPECT_TRUE(o.IsObject());
}

TEST(JsonBounded, OneLevelDeeperIsASerializationError) {
  rapidjson::Document a, o;
  Status sa = json::ParseBounded(Arrays(json::kMaxDepth + 1), &a);
  EXPECT_EQ(sa.code(), ErrorCode::kSerialization);
  EXPECT_NE(sa.message().find("nesting"), std::string::npos) << sa.message();
  EXPECT_EQ(json::ParseBounded(Objects(json::kMaxDepth + 1), &o).code(), ErrorCode::kSerialization);
  // Mixed nesting counts both kinds.
  std::string mixed;
  for (size_t i = 0; i < 40; ++i) mixed += "[{\"k\":";
  rapidjson::Document m;
  EXPECT_EQ(json::ParseBounded(mixed, &m).code(), ErrorCode::kSerialization);
}

TEST(JsonBounded, TwoHundredKilobytesOfOpenBracketsDoNotCrash) {
  // The reported crash: RapidJSON's recursive parser overflowed the stack on this.
  rapidjson::Document d;
  EXPECT_EQ(json::ParseBounded(std::string(200 * 1024, '['), &d).code(), ErrorCode::kSerialization);
  rapidjson::Document o;
  std::string objs;
  for (int i = 0; i < 40000; ++i) objs += "{\"a\":";
  EXPECT_EQ(json::ParseBounded(objs, &o).code(), ErrorCode::kSerialization);
  // A custom, larger cap still parses deep input without recursion (iterative parser).
  rapidjson::Document deep;
  EXPECT_TRUE(json::ParseBounded(Arrays(100000), &deep, 200000).ok());
}

TEST(JsonBounded, BracketsInsideStringsAreNotCounted) {
  std::string s = "{\"v\":\"" + std::string(1000, '[') + std::string(500, '{') + "\\\"[[[\"}";
  rapidjson::Document d;
  ASSERT_TRUE(json::ParseBounded(s, &d).ok());
  EXPECT_EQ(std::string(d["v"].GetString()).size(), 1504u);
  // An escaped quote does not end the string early.
  EXPECT_EQ(json::NestingDepth(R"(["\"[[[[", ["x"]])", 10), 2u);
  EXPECT_EQ(json::NestingDepth(R"(["\\", [[1]]])", 10), 3u);
}

TEST(JsonBounded, SyntaxErrorsAndSizeCapAreSerializationErrors) {
  rapidjson::Document d;
  Status st = json::ParseBounded("{\"a\":", &d);
  EXPECT_EQ(st.code(), ErrorCode::kSerialization);
  EXPECT_NE(st.message().find("offset"), std::string::npos) << st.message();
  EXPECT_EQ(json::ParseBounded("{} trailing", &d).code(), ErrorCode::kSerialization);
  EXPECT_EQ(json::ParseBounded("", &d).code(), ErrorCode::kSerialization);
  EXPECT_EQ(json::ParseBounded("[1,2,3]", &d, json::kMaxDepth, 4).code(), ErrorCode::kSerialization);
  EXPECT_TRUE(json::ParseBounded("[1,2]", &d, json::kMaxDepth, 5).ok());
}

// JSON is UTF-8 (RFC 8259 8.1): bytes that are not are refused, never stored and echoed back.
TEST(JsonBounded, InvalidUtf8IsASerializationError) {
  rapidjson::Document d;
  EXPECT_EQ(json::ParseBounded("{\"v\":\"\xff\xfe\"}", &d).code(), ErrorCode::kSerialization);
  EXPECT_EQ(json::ParseBounded("{\"v\":\"\xe2\x28\xa1\"}", &d).code(),
            ErrorCode::kSerialization);
  EXPECT_EQ(json::ParseBounded("{\"\xc0\xaf\":1}", &d).code(), ErrorCode::kSerialization);
  ASSERT_TRUE(json::ParseBounded("{\"v\":\"gr\xc3\xbc\xc3\x9f \xf0\x9f\x94\x91\"}", &d).ok());
  EXPECT_STREQ(d["v"].GetString(), "gr\xc3\xbc\xc3\x9f \xf0\x9f\x94\x91");
}

// json::WriteStr copies a string with nothing to escape in one piece and leaves the others to
// RapidJSON's writer: every length up to 48 (around the 16-byte blocks of SIMD copies, which
// this test caught leaving 0x1A-0x1F unescaped in RapidJSON 1.1's SSE2 path), with a character
// that must be escaped, or a multi-byte UTF-8 one, at every position, at 16 alignments of
// the text, is written and parsed back unchanged, with no raw control character in the output.
TEST(JsonBounded, WrittenStringsRoundTripWhateverTheirLengthAndEscapes) {
  const std::string specials[] = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f",
                                  "\xc3\xbc", "\xf0\x9f\x94\x91", "/"};
  const std::string pool(80, 'a');
  for (size_t len = 0; len <= 48; ++len) {
    for (size_t offset = 0; offset < 16; ++offset) {
      for (const auto& special : specials) {
        for (size_t at = 0; at <= len; at += (len < 20 ? 1 : 7)) {
          std::string backing = pool.substr(0, offset) + pool.substr(0, at) + special +
                                pool.substr(0, len - at);
          std::string_view value(backing.data() + offset, backing.size() - offset);
          rapidjson::StringBuffer buf;
          json::Writer w(buf);
          w.StartObject();
          json::KV(w, "v", value);
          w.EndObject();
          const std::string text = json::Finish(buf);
          for (char c : text) ASSERT_GE(static_cast<unsigned char>(c), 0x20) << text;
          rapidjson::Document d;
          ASSERT_TRUE(json::ParseBounded(text, &d).ok()) << text;
          ASSERT_EQ(std::string_view(d["v"].GetString(), d["v"].GetStringLength()), value)
              << "len " << len << " offset " << offset << " at " << at;
        }
      }
    }
  }
}

// WriteStr's escape check reads 8 bytes at a time and copies a word it finds clean as is: a
// false negative would put a raw control character, quote or backslash into the output.
// Every byte value 0x00-0xFF at every position of a word (the first and the second word of
// the text, and the tail after them), in a word whose other bytes are any one byte that
// needs no escape, is written exactly as RapidJSON's own writer writes it.
TEST(JsonBounded, EscapeCheckHasNoFalseNegativeForAnyByteAtAnyPosition) {
  auto needs = [](unsigned c) { return c < 0x20 || c == '"' || c == '\\'; };
  auto reference = [](std::string_view s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return std::string(buf.GetString(), buf.GetSize());
  };
  auto written = [](std::string_view s) {
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    json::WriteStr(w, s);
    return std::string(buf.GetString(), buf.GetSize());
  };
  size_t checked = 0;
  for (size_t len : {size_t{8}, size_t{16}, size_t{19}}) {
    for (unsigned ground = 0; ground < 256; ++ground) {
      if (needs(ground)) continue;
      for (unsigned b = 0; b < 256; ++b) {
        for (size_t at = 0; at < len; ++at) {
          std::string s(len, static_cast<char>(ground));
          s[at] = static_cast<char>(b);
          ASSERT_EQ(written(s), reference(s))
              << "byte " << b << " at " << at << " of " << len << " in " << ground;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 222u * 256u * (8u + 16u + 19u));
  // Words of mixed clean bytes around one byte (a borrow from a lower byte crossing into
  // it is the only way the bit trick could go wrong): a fixed pseudo-random sample.
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int round = 0; round < 200000; ++round) {
    std::string s(8, 'a');
    for (auto& c : s) {
      unsigned v;
      do v = static_cast<unsigned>(next() & 0xff); while (needs(v));
      c = static_cast<char>(v);
    }
    s[next() % 8] = static_cast<char>(next() & 0xff);
    ASSERT_EQ(written(s), reference(s));
  }
}

}  // namespace
}  // namespace arcana
