// arcana-agent's wiping JSON allocator (agent/wiped_json.h): every block a parsed document, its
// parse stack or a growing output buffer releases is zero when it is released, and none is
// leaked. Checked with blocks that record what comes back.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "agent/wiped_json.h"
#include "common/json.h"

namespace arcana::agent {
namespace {

struct RecordingBlocks {
  static inline std::map<void*, size_t> live;
  static inline size_t released = 0;
  static inline size_t released_dirty = 0;  // released with a non-zero byte

  static void* Get(size_t n) {
    void* p = std::malloc(n);
    live[p] = n;
    return p;
  }
  static void Put(void* p, size_t n) {
    auto it = live.find(p);
    ASSERT_NE(it, live.end()) << "a block released twice or never allocated";
    EXPECT_EQ(it->second, n) << "released with another size than allocated";
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
      if (b[i] != 0) {
        ++released_dirty;
        break;
      }
    }
    ++released;
    live.erase(it);
    std::free(p);
  }
  // Whether a live block holds `needle`.
  static bool LiveHolds(const std::string& needle) {
    for (const auto& [p, n] : live) {
      std::string_view bytes(static_cast<const char*>(p), n);
      if (bytes.find(needle) != std::string_view::npos) return true;
    }
    return false;
  }
  static void Reset() {
    live.clear();
    released = released_dirty = 0;
  }
};

const std::string kValue = "s3cr3t-" + std::string(3000, 'v') + "-end";  // outgrows a stack chunk

TEST(AgentWipedJson, ParsedDocumentIsWipedWhenFreed) {
  RecordingBlocks::Reset();
  const std::string wire = R"({"ARN":"arn:x","SecretString":")" + kValue + R"(","Other":[1,2]})";
  {
    WipedDocumentT<RecordingBlocks> doc;
    ASSERT_TRUE(json::ParseBounded(wire, &doc, 16, 1 << 20).ok());
    EXPECT_EQ(StrMember(doc, "SecretString"), kValue);
    EXPECT_TRUE(RecordingBlocks::LiveHolds(kValue));  // the value does sit in these blocks
  }
  EXPECT_TRUE(RecordingBlocks::live.empty());
  EXPECT_GT(RecordingBlocks::released, 0u);
  EXPECT_EQ(RecordingBlocks::released_dirty, 0u);
}

TEST(AgentWipedJson, GrowingOutputBufferWipesEveryBlockItLeaves) {
  RecordingBlocks::Reset();
  std::string text;
  {
    WipedStringBufferT<RecordingBlocks> buf;
    rapidjson::Writer<WipedStringBufferT<RecordingBlocks>> w(buf);
    w.StartObject();
    for (int i = 0; i < 50; ++i) {  // many reallocations on the way
      std::string key = "k" + std::to_string(i);
      w.Key(key.c_str());
      w.String(kValue.data(), static_cast<rapidjson::SizeType>(kValue.size()));
    }
    w.EndObject();
    text.assign(buf.GetString(), buf.GetSize());
    EXPECT_GT(RecordingBlocks::released, 2u);  // it grew: earlier blocks were released
  }
  EXPECT_NE(text.find(kValue), std::string::npos);
  EXPECT_TRUE(RecordingBlocks::live.empty());
  EXPECT_EQ(RecordingBlocks::released_dirty, 0u);
}

TEST(AgentWipedJson, RefusedTextLeavesNothingBehind) {
  RecordingBlocks::Reset();
  {
    WipedDocumentT<RecordingBlocks> doc;
    EXPECT_FALSE(json::ParseBounded(R"({"SecretString":")" + kValue + "\"", &doc, 16, 1 << 20).ok());
    EXPECT_FALSE(json::ParseBounded(std::string(40, '['), &doc, 16, 1 << 20).ok());  // too deep
  }
  EXPECT_TRUE(RecordingBlocks::live.empty());
  EXPECT_EQ(RecordingBlocks::released_dirty, 0u);
}

}  // namespace
}  // namespace arcana::agent
