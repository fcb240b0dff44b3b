#include "domain/events/input_transform.h"

#include <array>
#include <cctype>
#include <utility>
#include <vector>

#include "common/json.h"

namespace arcana::domain::events {
namespace {

constexpr std::array<std::string_view, 5> kPredefined = {
    "aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
    "aws.events.event", "aws.events.event.json"};

bool IsPlaceholderChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

// The placeholder name at template[at] == '<' ("<name>"), or nullopt.
std::optional<std::string_view> PlaceholderAt(std::string_view text, size_t at) {
  size_t end = at + 1;
  while (end < text.size() && IsPlaceholderChar(text[end])) ++end;
  if (end == at + 1 || end >= text.size() || text[end] != '>') return std::nullopt;
  return text.substr(at + 1, end - at - 1);
}

// One step of a JSON path.
struct Step {
  enum class Kind { kMember, kIndex, kWildcard } kind;
  std::string member;
  size_t index = 0;
};

std::optional<std::vector<Step>> ParsePath(std::string_view path) {
  if (path.empty() || path[0] != '$') return std::nullopt;
  std::vector<Step> steps;
  size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      if (i < path.size() && path[i] == '*') {
        steps.push_back({Step::Kind::kWildcard, {}, 0});
        ++i;
        continue;
      }
      const size_t start = i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      if (i == start) return std::nullopt;
      steps.push_back({Step::Kind::kMember, std::string(path.substr(start, i - start)), 0});
    } else if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view inside = path.substr(i + 1, close - i - 1);
      if (inside == "*") {
        steps.push_back({Step::Kind::kWildcard, {}, 0});
      } else if (inside.size() >= 2 && (inside.front() == '\'' || inside.front() == '"') &&
                 inside.back() == inside.front()) {
        steps.push_back({Step::Kind::kMember, std::string(inside.substr(1, inside.size() - 2)), 0});
      } else {
        if (inside.empty() || inside.size() > 9) return std::nullopt;
        size_t index = 0;
        for (char c : inside) {
          if (c < '0' || c > '9') return std::nullopt;
          index = index * 10 + static_cast<size_t>(c - '0');
        }
        steps.push_back({Step::Kind::kIndex, {}, index});
      }
      i = close + 1;
    } else {
      return std::nullopt;
    }
  }
  return steps;
}

// Writes s's characters as the inside of a JSON string (escaped, no quotes).
void AppendEscaped(std::string& out, std::string_view s) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  json::WriteStr(w, s);
  std::string_view quoted(buf.GetString(), buf.GetSize());
  out.append(quoted.substr(1, quoted.size() - 2));
}

std::string Compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  v.Accept(w);
  return json::Finish(buf);
}

// A value inside a string: an object's JSON without its quotes, an array as [a,b].
void AppendAsText(std::string& out, const rapidjson::Value& v) {
  if (v.IsString()) {
    out.append(v.GetString(), v.GetStringLength());
  } else if (v.IsNull()) {
    // the empty string, as a path that selects nothing
  } else if (v.IsArray()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.GetArray()) {
      if (!first) out += ',';
      first = false;
      AppendAsText(out, item);
    }
    out += ']';
  } else if (v.IsObject()) {
    for (char c : Compact(v)) {
      if (c != '"') out += c;
    }
  } else {
    out += Compact(v);  // a number or a boolean
  }
}

enum class TemplateKind { kJson, kString, kText };

TemplateKind KindOf(std::string_view templ) {
  for (char c : templ) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '{' || c == '[') return TemplateKind::kJson;
    if (c == '"') return TemplateKind::kString;
    return TemplateKind::kText;
  }
  return TemplateKind::kText;
}

// aws.events.event: the event without detail, with detail-type as detailType.
void EventWithoutDetail(const rapidjson::Value& event, rapidjson::Document* out) {
  out->SetObject();
  if (!event.IsObject()) return;
  auto& a = out->GetAllocator();
  for (const auto& m : event.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "detail") continue;
    rapidjson::Value key;
    if (name == "detail-type") {
      key.SetString("detailType", a);
    } else {
      key.SetString(m.name.GetString(), m.name.GetStringLength(), a);
    }
    out->AddMember(key, rapidjson::Value(m.value, a), a);
  }
}

// The value a placeholder stands for, or false when it selects nothing.
bool ValueOf(std::string_view name, const InputTransformer& t, const rapidjson::Value& event,
             const MatchContext& match, rapidjson::Document* out) {
  if (name == "aws.events.rule-arn" || name == "aws.events.rule-name" ||
      name == "aws.events.event.ingestion-time") {
    std::string_view s = name == "aws.events.rule-arn"    ? match.rule_arn
                         : name == "aws.events.rule-name" ? match.rule_name
                                                          : match.ingestion_time;
    out->SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), out->GetAllocator());
    return true;
  }
  if (name == "aws.events.event") {
    EventWithoutDetail(event, out);
    return true;
  }
  if (name == "aws.events.event.json") {
    out->CopyFrom(event, out->GetAllocator());
    return true;
  }
  for (const auto& [key, path] : t.paths) {
    if (key == name) return SelectJsonPath(event, path, out);
  }
  return false;
}

// The template filled in; nullopt when a JSON template places an object or array inside a
// string (AWS drops that event), or, with *too_large set, when the body grows past
// kMaxTargetBodyBytes (checked after every value: one value is at most about the event's size,
// so no more than that is ever held beyond the limit).
std::optional<std::string> Fill(const InputTransformer& t, TemplateKind kind,
                                const rapidjson::Value& event, const MatchContext& match,
                                bool* too_large) {
  std::string_view templ = t.input_template;
  std::string out;
  out.reserve(templ.size() + 64);
  bool in_string = false;
  for (size_t i = 0; i < templ.size(); ++i) {
    const char c = templ[i];
    if (in_string && c == '\\' && i + 1 < templ.size()) {
      out += c;
      out += templ[++i];
      continue;
    }
    if (c == '"') {
      in_string = !in_string;
      out += c;
      continue;
    }
    std::optional<std::string_view> name;
    if (c == '<') name = PlaceholderAt(templ, i);
    if (!name) {
      out += c;
      continue;
    }
    i += name->size() + 1;  // past the '>'
    rapidjson::Document value;
    const bool found = ValueOf(*name, t, event, match, &value);
    if (kind == TemplateKind::kText) {
      if (found) AppendAsText(out, value);
    } else if (in_string) {
      if (!found) continue;
      if (kind == TemplateKind::kJson && (value.IsObject() || value.IsArray())) {
        return std::nullopt;
      }
      std::string text;
      AppendAsText(text, value);
      AppendEscaped(out, text);
    } else {
      out += found ? Compact(value) : std::string("\"\"");
    }
    if (out.size() > kMaxTargetBodyBytes) {
      *too_large = true;
      return std::nullopt;
    }
  }
  if (kind != TemplateKind::kJson) return out;
  rapidjson::Document filled;
  if (!json::ParseBounded(out, &filled).ok()) return std::nullopt;
  return Compact(filled);  // minified, as EventBridge sends it
}

}  // namespace

bool IsPredefinedVariable(std::string_view name) {
  for (std::string_view p : kPredefined) {
    if (p == name) return true;
  }
  return false;
}

std::optional<std::string> UndefinedPlaceholder(const InputTransformer& transformer) {
  std::string_view templ = transformer.input_template;
  for (size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '<') continue;
    auto name = PlaceholderAt(templ, i);
    if (!name) continue;
    bool defined = IsPredefinedVariable(*name);
    for (const auto& [key, path] : transformer.paths) defined = defined || key == *name;
    if (!defined) return std::string(*name);
    i += name->size() + 1;
  }
  return std::nullopt;
}

bool SelectJsonPath(const rapidjson::Value& root, std::string_view path,
                    rapidjson::Document* out) {
  auto steps = ParsePath(path);
  if (!steps) return false;
  std::vector<const rapidjson::Value*> nodes{&root};
  bool wildcard = false;
  for (const Step& step : *steps) {
    std::vector<const rapidjson::Value*> next;
    for (const rapidjson::Value* node : nodes) {
      switch (step.kind) {
        case Step::Kind::kMember:
          if (node->IsObject()) {
            auto it = node->FindMember(rapidjson::StringRef(
                step.member.data(), static_cast<rapidjson::SizeType>(step.member.size())));
            if (it != node->MemberEnd()) next.push_back(&it->value);
          }
          break;
        case Step::Kind::kIndex:
          if (node->IsArray() && step.index < node->Size()) next.push_back(&(*node)[step.index]);
          break;
        case Step::Kind::kWildcard:
          wildcard = true;
          if (node->IsArray()) {
            for (const auto& item : node->GetArray()) next.push_back(&item);
          } else if (node->IsObject()) {
            for (const auto& m : node->GetObject()) next.push_back(&m.value);
          }
          break;
      }
    }
    nodes = std::move(next);
    if (nodes.empty()) return false;
  }
  auto& a = out->GetAllocator();
  if (!wildcard) {
    out->CopyFrom(*nodes.front(), a);
    return true;
  }
  out->SetArray();
  for (const rapidjson::Value* node : nodes) out->PushBack(rapidjson::Value(*node, a), a);
  return true;
}

std::optional<std::string> TargetBody(const HttpTarget& target, const rapidjson::Value& event,
                                      std::string_view event_json, const MatchContext& match,
                                      bool* too_large) {
  bool over = false;
  if (too_large == nullptr) too_large = &over;
  *too_large = false;
  if (target.input) return *target.input;
  if (target.input_path) {
    rapidjson::Document selected;
    if (!SelectJsonPath(event, *target.input_path, &selected)) return std::nullopt;
    return Compact(selected);
  }
  if (target.input_transformer) {
    const InputTransformer& t = *target.input_transformer;
    return Fill(t, KindOf(t.input_template), event, match, too_large);
  }
  return std::string(event_json);
}

}  // namespace arcana::domain::events
