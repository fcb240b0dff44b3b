#include "common/json.h"

#include <cstring>

#include <rapidjson/error/en.h>

namespace arcana::json {

size_t NestingDepth(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit) return limit + 1;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

bool Input::Has(const char* name) const {
  auto it = v_.FindMember(name);
  return it != v_.MemberEnd() && !it->value.IsNull();
}

const rapidjson::Value* Input::Get(const char* name) const {
  auto it = v_.FindMember(name);
  if (it == v_.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::optional<std::string> Input::Str(const char* name) const {
  const auto* v = Get(name);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<int64_t> Input::Int(const char* name) const {
  const auto* v = Get(name);
  if (v == nullptr) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsNumber()) return static_cast<int64_t>(v->GetDouble());
  return std::nullopt;
}

std::optional<double> Input::Number(const char* name) const {
  const auto* v = Get(name);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

std::optional<bool> Input::Bool(const char* name) const {
  const auto* v = Get(name);
  if (v == nullptr || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}

std::optional<std::vector<std::string>> Input::StrList(const char* name) const {
  const auto* v = Get(name);
  if (v == nullptr || !v->IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : v->GetArray()) {
    if (e.IsString()) out.emplace_back(e.GetString(), e.GetStringLength());
  }
  return out;
}

std::string StrField(const rapidjson::Value& o, const char* key) {
  if (!o.IsObject()) return "";  // a mistyped parent reads as absent too
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

int64_t IntField(const rapidjson::Value& o, const char* key, int64_t def) {
  auto it = o.FindMember(key);
  return (it != o.MemberEnd() && it->value.IsInt64()) ? it->value.GetInt64() : def;
}

std::optional<int64_t> OptIntField(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

bool BoolField(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

void WriteTimestamp(Writer& w, int64_t epoch_ms) {
  if (epoch_ms % 1000 == 0) {
    w.Int64(epoch_ms / 1000);
  } else {
    w.Double(static_cast<double>(epoch_ms) / 1000.0);
  }
}

namespace {

// The writer's output buffer. `os_` is protected; a pointer to it named through a derived
// class may be applied to any Writer (no cast of the object).
struct WriterOutput : Writer {
  static constexpr auto kOs = &WriterOutput::os_;
};

// What JSON requires escaped (RFC 8259 section 7): the quote, the backslash and U+0000-U+001F.
// Bytes of multi-byte UTF-8 characters are >= 0x80 and copied as they are, as RapidJSON's
// writer does (the text was validated when it was parsed).
bool NeedsEscapeByte(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Eight bytes at a time (an audit record writes kilobytes of strings per call). A word with
// none of those bytes is skipped whole; any other word is looked at byte by byte, so the
// bit tricks below only have to be free of false negatives. For each byte b of the word,
// (b - n) & ~b & 0x80 has its high bit set when b < n (n <= 0x80); a byte equal to c is a
// zero byte of word ^ (c in every byte).
bool NeedsEscape(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const auto below = [](uint64_t v, uint64_t n) { return (v - kOnes * n) & ~v & kHigh; };
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, s.data() + i, sizeof(v));
    if ((below(v, 0x20) | below(v ^ (kOnes * '"'), 1) | below(v ^ (kOnes * '\\'), 1)) == 0) {
      continue;
    }
    for (size_t k = i; k < i + 8; ++k) {
      if (NeedsEscapeByte(static_cast<unsigned char>(s[k]))) return true;
    }
  }
  for (; i < s.size(); ++i) {
    if (NeedsEscapeByte(static_cast<unsigned char>(s[i]))) return true;
  }
  return false;
}

}  // namespace

void WriteStr(Writer& w, std::string_view s) {
  if (NeedsEscape(s)) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return;
  }
  // An empty raw value of string type writes what must precede a string here (a comma or a
  // colon) and counts it in the writer's nesting state; the quoted text follows it.
  w.RawValue("", 0, rapidjson::kStringType);
  rapidjson::StringBuffer& out = *(w.*WriterOutput::kOs);
  char* p = out.Push(s.size() + 2);
  p[0] = '"';
  if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
  p[s.size() + 1] = '"';
}

void WriteStringList(Writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const auto& s : items) WriteStr(w, s);
  w.EndArray();
}

void WriteTagList(Writer& w, const char* key,
                  const std::vector<std::pair<std::string, std::string>>& tags) {
  w.Key(key);
  w.StartArray();
  for (const auto& [k, v] : tags) {
    w.StartObject();
    KV(w, "Key", k);
    KV(w, "Value", v);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace arcana::json
