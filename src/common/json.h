// Thin helpers over RapidJSON: reading request members that the model validator has
// already type-checked, and writing responses. Kept tiny on purpose: handlers use
// RapidJSON's Writer directly, these only remove repetition.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::json {

// Every JSON text from outside (request bodies, operator bodies, policies) and every stored
// document is parsed through ParseBounded: RapidJSON's default parser recurses once per
// nesting level, so 200 KB of '[' overflows the stack. The bound is checked before
// parsing, and the parse itself is iterative (no recursion at any depth).
inline constexpr size_t kMaxDepth = 64;               // nesting levels ({ and [)
inline constexpr size_t kMaxBytes = size_t{16} << 20;  // 16 MiB: far above any API body

// The nesting depth of text as ParseBounded counts it, stopping early once it exceeds
// limit (then returns limit + 1). Not a validator: malformed text still gets a number.
size_t NestingDepth(std::string_view text, size_t limit);

// Parses text into *doc (a rapidjson::Document, or a GenericDocument of another allocator:
// the agent's wiping one). Accepts nesting up to max_depth levels (a scalar is depth 0, "[]"
// depth 1); brackets inside strings do not count. Errors: kSerialization, with a message
// naming the problem (syntax error and offset, too deep, too large); *doc is then unusable.
template <class Doc>
Status ParseBounded(std::string_view text, Doc* doc, size_t max_depth = kMaxDepth,
                    size_t max_bytes = kMaxBytes) {
  if (text.size() > max_bytes) {
    return Status(ErrorCode::kSerialization,
                  "JSON text of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                      std::to_string(max_bytes) + " bytes");
  }
  if (NestingDepth(text, max_depth) > max_depth) {
    return Status(ErrorCode::kSerialization,
                  "JSON nesting exceeds the limit of " + std::to_string(max_depth) + " levels");
  }
  // JSON text is UTF-8 (RFC 8259 section 8.1). Invalid sequences are refused here: stored,
  // they would be echoed to every caller that lists them and break clients' decoders.
  doc->template Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (doc->HasParseError()) {
    return Status(ErrorCode::kSerialization,
                  std::string(rapidjson::GetParseError_En(doc->GetParseError())) + " at offset " +
                      std::to_string(doc->GetErrorOffset()));
  }
  return Status::Ok();
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Read access to a JSON object whose member types were validated against the model.
class Input {
 public:
  explicit Input(const rapidjson::Value& v) : v_(v) {}

  bool Has(const char* name) const;
  std::optional<std::string> Str(const char* name) const;
  std::optional<int64_t> Int(const char* name) const;
  std::optional<bool> Bool(const char* name) const;
  std::optional<double> Number(const char* name) const;
  // A list of strings; nullopt when absent.
  std::optional<std::vector<std::string>> StrList(const char* name) const;
  // A nested member (object or array); nullptr when absent or null.
  const rapidjson::Value* Get(const char* name) const;
  const rapidjson::Value& raw() const { return v_; }

 private:
  const rapidjson::Value& v_;
};

// Readers for stored documents (our own JSON): a missing or mistyped member reads as the
// default, so documents written before a field existed still decode.
std::string StrField(const rapidjson::Value& o, const char* key);
int64_t IntField(const rapidjson::Value& o, const char* key, int64_t def = 0);
std::optional<int64_t> OptIntField(const rapidjson::Value& o, const char* key);
bool BoolField(const rapidjson::Value& o, const char* key);

// Writes epoch milliseconds as JSON epoch seconds (fractional), the JSON-protocol
// timestamp encoding every SDK parses.
void WriteTimestamp(Writer& w, int64_t epoch_ms);
void WriteStringList(Writer& w, const std::vector<std::string>& items);
// `key`: [{"Key": k, "Value": v}, ...] in the order given (the JSON APIs' Tags shape).
void WriteTagList(Writer& w, const char* key,
                  const std::vector<std::pair<std::string, std::string>>& tags);
// The text a Writer produced into buf.
inline std::string Finish(const rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}
// Writes s as a JSON string (a value, or a member name where one is due). A string with
// nothing to escape (most of every response and audit record) is copied into the buffer in
// one piece; RapidJSON's writer copies byte by byte (its SSE2 path, in the Debian 12 version,
// leaves the control characters 0x1A-0x1F unescaped, so it is not used).
void WriteStr(Writer& w, std::string_view s);
inline void KV(Writer& w, const char* key, std::string_view value) {
  WriteStr(w, key);
  WriteStr(w, value);
}

}  // namespace arcana::json
