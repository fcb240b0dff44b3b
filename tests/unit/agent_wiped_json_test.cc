// arcana-agent's wiping JSON allocator (agent/wiped_json.h): every block a parsed document, its
// parse stack or a growing output buffer releases is zero when it is released, and none is
// leaked. Checked with blocks that record what comes back. Also the upstream client's receive
// buffers (agent/wiped_http.h): the answer body and the connection's read buffer.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "agent/wiped_http.h"
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

// The upstream client's receive buffers (agent/wiped_http.h).

// An allocator that does not wipe: what the string body is given in the tests below, so that
// only its own wiping keeps released blocks clean: what is counted is blocks released still
// holding part of the value.
inline size_t released_with_value = 0;

template <class T>
struct PlainRecordingAllocator {
  using value_type = T;
  PlainRecordingAllocator() = default;
  template <class U>
  PlainRecordingAllocator(const PlainRecordingAllocator<U>&) {}
  T* allocate(size_t n) {
    // Zeroed: the heap may hand out a block with an earlier test's bytes in it.
    void* p = RecordingBlocks::Get(n * sizeof(T));
    std::memset(p, 0, n * sizeof(T));
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    std::string_view bytes(reinterpret_cast<const char*>(p), n * sizeof(T));
    if (bytes.find(std::string(32, 'v')) != std::string_view::npos) ++released_with_value;
    RecordingBlocks::Put(p, n * sizeof(T));
  }
  template <class U>
  bool operator==(const PlainRecordingAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const PlainRecordingAllocator<U>&) const { return false; }
};

// A chunked answer whose body is kValue's JSON in 100-byte chunks: the body grows many times.
std::string ChunkedAnswer(bool complete) {
  const std::string body = R"({"SecretString":")" + kValue + R"("})";
  std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t at = 0; at < body.size(); at += 100) {
    const std::string piece = body.substr(at, 100);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    wire += std::string(size) + "\r\n" + piece + "\r\n";
  }
  if (complete) wire += "0\r\n\r\n";
  return wire;
}

// Feeds `wire` to a response parser with body type Body; returns whether it completed and,
// when it did, the body's bytes.
template <class Body, class Take>
bool Parse(const std::string& wire, Take take) {
  namespace http = boost::beast::http;
  http::response_parser<Body> parser;
  parser.body_limit(1 << 20);
  parser.eager(true);
  size_t at = 0;
  size_t want = 37;  // a few bytes at a time: a chunk's data arrives in pieces, as from a socket
  boost::beast::error_code ec;
  while (at < wire.size() && !parser.is_done()) {
    const size_t n = std::min(want, wire.size() - at);
    at += parser.put(boost::asio::buffer(wire.data() + at, n), ec);
    if (ec == http::error::need_more) {  // wants these bytes again with more after them
      ec = {};
      if (at + n >= wire.size()) break;
      want = n + 37;
      continue;
    }
    if (ec) {
      ADD_FAILURE() << ec.message();
      break;
    }
    want = 37;
  }
  if (!parser.is_done()) return false;  // dropped mid-answer: the parser (and body) go away
  auto res = parser.release();
  take(res.body());
  return true;
}

using RecordedString = std::basic_string<char, std::char_traits<char>, PlainRecordingAllocator<char>>;

TEST(AgentWipedHttp, StringBodyWipesWhatItOutgrowsAndHandsOverTheRest) {
  RecordingBlocks::Reset();
  released_with_value = 0;
  RecordedString taken;
  ASSERT_TRUE(Parse<WipedStringBodyT<PlainRecordingAllocator<char>>>(
      ChunkedAnswer(true), [&](auto& body) { taken = std::move(body.bytes); }));
  EXPECT_NE(taken.find(kValue), RecordedString::npos);
  EXPECT_GT(RecordingBlocks::released, 3u);  // it grew: outgrown blocks were released
  EXPECT_EQ(released_with_value, 0u);
  taken.clear();
  taken.shrink_to_fit();
}

TEST(AgentWipedHttp, StringBodyDroppedMidAnswerIsWiped) {
  RecordingBlocks::Reset();
  released_with_value = 0;
  EXPECT_FALSE(Parse<WipedStringBodyT<PlainRecordingAllocator<char>>>(ChunkedAnswer(false),
                                                                      [](auto&) {}));
  EXPECT_TRUE(RecordingBlocks::live.empty());
  EXPECT_GT(RecordingBlocks::released, 3u);
  EXPECT_EQ(released_with_value, 0u);
}

// The check above does see what Beast's own string body leaves behind.
TEST(AgentWipedHttp, BeastsStringBodyLeavesTheValueInReleasedBlocks) {
  RecordingBlocks::Reset();
  released_with_value = 0;
  using Plain = boost::beast::http::basic_string_body<char, std::char_traits<char>,
                                                      PlainRecordingAllocator<char>>;
  EXPECT_FALSE(Parse<Plain>(ChunkedAnswer(false), [](auto&) {}));
  EXPECT_TRUE(RecordingBlocks::live.empty());
  EXPECT_GT(released_with_value, 3u);
}

TEST(AgentWipedHttp, ReadBufferIsWipedInPlaceAndWhenReleased) {
  RecordingBlocks::Reset();
  {
    WipedFlatBufferT<RecordingBlocks> buf;
    for (int i = 0; i < 5; ++i) {  // grows: each outgrown block is released
      auto room = buf.prepare(kValue.size());
      std::memcpy(room.data(), kValue.data(), kValue.size());
      buf.commit(kValue.size());
    }
    EXPECT_TRUE(RecordingBlocks::LiveHolds(kValue));
    EXPECT_FALSE(WipeConsumed(buf));  // unread bytes: left for the caller to drop
    buf.consume(buf.size());
    EXPECT_TRUE(RecordingBlocks::LiveHolds(kValue));  // consumed is not gone
    EXPECT_TRUE(WipeConsumed(buf));
    EXPECT_FALSE(RecordingBlocks::LiveHolds(kValue));
    EXPECT_GT(RecordingBlocks::released, 0u);
    // again, then released with the bytes in it
    auto room = buf.prepare(kValue.size());
    std::memcpy(room.data(), kValue.data(), kValue.size());
    buf.commit(kValue.size());
  }
  EXPECT_TRUE(RecordingBlocks::live.empty());
  EXPECT_EQ(RecordingBlocks::released_dirty, 0u);
}

}  // namespace
}  // namespace arcana::agent
