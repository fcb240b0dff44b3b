#include "domain/events/event_pattern.h"

#include <cmath>
#include <memory>

#include "common/json.h"

namespace arcana::domain::events {

struct Filter {
  enum class Kind {
    kString, kNumber, kNull, kBool, kPrefix, kSuffix, kEqualsIgnoreCase, kWildcard,
    kAnythingBut, kNumeric, kExists
  };
  Kind kind = Kind::kString;
  std::string text;       // kString, kPrefix, kSuffix, kEqualsIgnoreCase, kWildcard
  bool ignore_case = false;  // kPrefix / kSuffix with {"equals-ignore-case": ...}
  double number = 0;      // kNumber
  bool flag = false;      // kBool value; kExists: true/false
  std::vector<Filter> but;  // kAnythingBut: exact values, or one prefix/suffix filter
  bool has_lo = false, lo_incl = false, has_hi = false, hi_incl = false;  // kNumeric
  double lo = 0, hi = 0;
};

struct PatternNode {
  struct Field {
    std::string key;
    std::vector<Filter> filters;        // a leaf: [filter, ...]
    std::unique_ptr<PatternNode> child;  // or a nested pattern
  };
  std::vector<Field> fields;
  std::vector<std::unique_ptr<PatternNode>> any_of;  // "$or"
};

namespace {

using rapidjson::Value;

Status Invalid(const std::string& why) {
  return Status(ErrorCode::kInvalidEventPattern, "Event pattern is not valid. Reason: " + why);
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// Glob with '*' only, iterative with one backtrack point: O(len(v) * len(p)) at worst.
bool WildcardMatch(std::string_view p, std::string_view v) {
  size_t pi = 0, vi = 0, star = std::string_view::npos, mark = 0;
  while (vi < v.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = vi;
    } else if (pi < p.size() && p[pi] == v[vi]) {
      ++pi;
      ++vi;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

class Parser {
 public:
  Result<std::unique_ptr<PatternNode>> Node(const Value& v, size_t depth) {
    if (!v.IsObject()) return Invalid("Filter is not an object");
    if (depth > kMaxDepth) return Invalid("Pattern is nested too deeply");
    if (v.MemberCount() == 0) return Invalid("Empty objects are not allowed");
    auto node = std::make_unique<PatternNode>();
    for (const auto& m : v.GetObject()) {
      std::string key(m.name.GetString(), m.name.GetStringLength());
      if (key == "$or") {
        if (!m.value.IsArray() || m.value.Size() < 2) {
          return Invalid("$or must be an array of at least two patterns");
        }
        for (const auto& alt : m.value.GetArray()) {
          ARCANA_ASSIGN_OR_RETURN(auto sub, Node(alt, depth + 1));
          node->any_of.push_back(std::move(sub));
        }
        continue;
      }
      PatternNode::Field f;
      f.key = std::move(key);
      if (m.value.IsObject()) {
        ARCANA_ASSIGN_OR_RETURN(f.child, Node(m.value, depth + 1));
      } else if (m.value.IsArray()) {
        if (m.value.Size() == 0) return Invalid("Empty arrays are not allowed");
        for (const auto& item : m.value.GetArray()) {
          ARCANA_ASSIGN_OR_RETURN(Filter flt, OneFilter(item));
          f.filters.push_back(std::move(flt));
        }
      } else {
        return Invalid("Match value must be inside a JSON array: \"" + f.key + "\"");
      }
      node->fields.push_back(std::move(f));
    }
    return node;
  }

 private:
  Status Count() {
    if (++filters_ > kMaxFilters) return Invalid("Too many match values");
    return Status::Ok();
  }

  Result<Filter> Exact(const Value& v) {
    ARCANA_RETURN_IF_ERROR(Count());
    Filter f;
    if (v.IsString()) {
      f.kind = Filter::Kind::kString;
      f.text.assign(v.GetString(), v.GetStringLength());
    } else if (v.IsNumber()) {
      f.kind = Filter::Kind::kNumber;
      f.number = v.GetDouble();
    } else if (v.IsNull()) {
      f.kind = Filter::Kind::kNull;
    } else if (v.IsBool()) {
      f.kind = Filter::Kind::kBool;
      f.flag = v.GetBool();
    } else {
      return Invalid("Match value must be String, number, true, false, or null");
    }
    return f;
  }

  // {"prefix": "s"} / {"suffix": "s"}, also with {"equals-ignore-case": "s"} as the value.
  Result<Filter> Affix(Filter::Kind kind, const char* name, const Value& v) {
    Filter f;
    f.kind = kind;
    if (v.IsObject() && v.MemberCount() == 1 && v.HasMember("equals-ignore-case") &&
        v["equals-ignore-case"].IsString()) {
      f.ignore_case = true;
      f.text = v["equals-ignore-case"].GetString();
      return f;
    }
    if (!v.IsString()) return Invalid(std::string(name) + " match pattern must be a string");
    f.text.assign(v.GetString(), v.GetStringLength());
    return f;
  }

  Result<Filter> Numeric(const Value& v) {
    if (!v.IsArray() || v.Size() == 0 || v.Size() % 2 != 0 || v.Size() > 4) {
      return Invalid("Value of numeric must be an array of one or two (operator, number) pairs");
    }
    Filter f;
    f.kind = Filter::Kind::kNumeric;
    for (rapidjson::SizeType i = 0; i < v.Size(); i += 2) {
      if (!v[i].IsString()) return Invalid("Unrecognized numeric range operator");
      std::string op = v[i].GetString();
      if (!v[i + 1].IsNumber() || !std::isfinite(v[i + 1].GetDouble())) {
        return Invalid("Value of " + op + " must be numeric");
      }
      double n = v[i + 1].GetDouble();
      if (op == "=" && v.Size() == 2) {
        f.has_lo = f.has_hi = f.lo_incl = f.hi_incl = true;
        f.lo = f.hi = n;
      } else if ((op == ">" || op == ">=") && i == 0) {
        f.has_lo = true;
        f.lo_incl = op == ">=";
        f.lo = n;
      } else if ((op == "<" || op == "<=") && !f.has_hi && (i == 0 || f.has_lo)) {
        f.has_hi = true;
        f.hi_incl = op == "<=";
        f.hi = n;
      } else {
        return Invalid("Bad numeric range operator: " + op);
      }
    }
    if (f.has_lo && f.has_hi && f.lo > f.hi) return Invalid("Bottom must be less than top");
    return f;
  }

  Result<Filter> AnythingBut(const Value& v) {
    Filter f;
    f.kind = Filter::Kind::kAnythingBut;
    if (v.IsObject()) {
      if (v.MemberCount() != 1) return Invalid("anything-but takes one prefix or suffix");
      const auto& m = *v.MemberBegin();
      std::string op = m.name.GetString();
      Filter inner;
      if (op == "prefix") {
        ARCANA_ASSIGN_OR_RETURN(inner, Affix(Filter::Kind::kPrefix, "prefix", m.value));
      } else if (op == "suffix") {
        ARCANA_ASSIGN_OR_RETURN(inner, Affix(Filter::Kind::kSuffix, "suffix", m.value));
      } else if (op == "equals-ignore-case" && m.value.IsString()) {
        inner.kind = Filter::Kind::kEqualsIgnoreCase;
        inner.text = m.value.GetString();
      } else {
        return Invalid("Unsupported anything-but pattern: " + op);
      }
      f.but.push_back(std::move(inner));
      return f;
    }
    if (v.IsArray()) {
      if (v.Size() == 0) return Invalid("Empty arrays are not allowed");
      for (const auto& item : v.GetArray()) {
        if (!item.IsString() && !item.IsNumber()) {
          return Invalid("Inside anything-but list, start|null|boolean is not supported.");
        }
        ARCANA_ASSIGN_OR_RETURN(Filter e, Exact(item));
        f.but.push_back(std::move(e));
      }
      return f;
    }
    if (!v.IsString() && !v.IsNumber()) {
      return Invalid("anything-but must be a string, a number, a list or a prefix/suffix");
    }
    ARCANA_ASSIGN_OR_RETURN(Filter e, Exact(v));
    f.but.push_back(std::move(e));
    return f;
  }

  Result<Filter> OneFilter(const Value& v) {
    if (!v.IsObject()) return Exact(v);
    ARCANA_RETURN_IF_ERROR(Count());
    if (v.MemberCount() != 1) return Invalid("A content filter takes exactly one operator");
    const auto& m = *v.MemberBegin();
    std::string op(m.name.GetString(), m.name.GetStringLength());
    if (op == "prefix") return Affix(Filter::Kind::kPrefix, "prefix", m.value);
    if (op == "suffix") return Affix(Filter::Kind::kSuffix, "suffix", m.value);
    if (op == "equals-ignore-case" || op == "wildcard") {
      if (!m.value.IsString()) return Invalid(op + " match pattern must be a string");
      Filter f;
      f.kind = op == "wildcard" ? Filter::Kind::kWildcard : Filter::Kind::kEqualsIgnoreCase;
      f.text.assign(m.value.GetString(), m.value.GetStringLength());
      if (f.kind == Filter::Kind::kWildcard && f.text.find("**") != std::string::npos) {
        return Invalid("Consecutive wildcard characters at pos " +
                       std::to_string(f.text.find("**") + 1));
      }
      return f;
    }
    if (op == "anything-but") return AnythingBut(m.value);
    if (op == "numeric") return Numeric(m.value);
    if (op == "exists") {
      if (!m.value.IsBool()) return Invalid("exists match pattern must be either true or false.");
      Filter f;
      f.kind = Filter::Kind::kExists;
      f.flag = m.value.GetBool();
      return f;
    }
    return Invalid("Unrecognized match type " + op);
  }

  size_t filters_ = 0;
};

// One filter against one present, non-array value.
bool MatchScalar(const Filter& f, const Value& v) {
  switch (f.kind) {
    case Filter::Kind::kString:
      return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == f.text;
    case Filter::Kind::kNumber:
      return v.IsNumber() && v.GetDouble() == f.number;
    case Filter::Kind::kNull:
      return v.IsNull();
    case Filter::Kind::kBool:
      return v.IsBool() && v.GetBool() == f.flag;
    case Filter::Kind::kPrefix:
    case Filter::Kind::kSuffix: {
      if (!v.IsString()) return false;
      std::string_view s(v.GetString(), v.GetStringLength());
      if (s.size() < f.text.size()) return false;
      std::string_view part = f.kind == Filter::Kind::kPrefix
                                  ? s.substr(0, f.text.size())
                                  : s.substr(s.size() - f.text.size());
      return f.ignore_case ? EqualsIgnoreCase(part, f.text) : part == f.text;
    }
    case Filter::Kind::kEqualsIgnoreCase:
      return v.IsString() &&
             EqualsIgnoreCase(std::string_view(v.GetString(), v.GetStringLength()), f.text);
    case Filter::Kind::kWildcard:
      return v.IsString() &&
             WildcardMatch(f.text, std::string_view(v.GetString(), v.GetStringLength()));
    case Filter::Kind::kAnythingBut: {
      for (const Filter& b : f.but) {
        if (MatchScalar(b, v)) return false;
      }
      // The prefix / suffix / equals-ignore-case forms speak of strings only; a list of
      // values excludes those values and matches every other value.
      bool string_form = f.but.size() == 1 && (f.but[0].kind == Filter::Kind::kPrefix ||
                                               f.but[0].kind == Filter::Kind::kSuffix ||
                                               f.but[0].kind == Filter::Kind::kEqualsIgnoreCase);
      return !string_form || v.IsString();
    }
    case Filter::Kind::kNumeric: {
      if (!v.IsNumber()) return false;
      double n = v.GetDouble();
      if (f.has_lo && (f.lo_incl ? n < f.lo : n <= f.lo)) return false;
      if (f.has_hi && (f.hi_incl ? n > f.hi : n >= f.hi)) return false;
      return true;
    }
    case Filter::Kind::kExists:
      return f.flag && !v.IsObject();
  }
  return false;
}

bool MatchLeaf(const std::vector<Filter>& filters, const Value* v) {
  for (const Filter& f : filters) {
    if (v == nullptr) {
      if (f.kind == Filter::Kind::kExists && !f.flag) return true;
      continue;
    }
    if (f.kind == Filter::Kind::kExists) {
      if (f.flag && !v->IsObject()) return true;
      continue;
    }
    if (v->IsArray()) {
      for (const auto& e : v->GetArray()) {
        if (MatchScalar(f, e)) return true;
      }
    } else if (MatchScalar(f, *v)) {
      return true;
    }
  }
  return false;
}

bool MatchNode(const PatternNode& node, const Value* obj);

bool MatchField(const PatternNode::Field& f, const Value* obj) {
  const Value* v = nullptr;
  if (obj != nullptr && obj->IsObject()) {
    auto it = obj->FindMember(rapidjson::StringRef(f.key.data(), f.key.size()));
    if (it != obj->MemberEnd()) v = &it->value;
  }
  if (!f.child) return MatchLeaf(f.filters, v);
  if (v != nullptr && v->IsArray()) {
    for (const auto& e : v->GetArray()) {
      if (MatchNode(*f.child, &e)) return true;
    }
    return false;
  }
  return MatchNode(*f.child, v);
}

bool MatchNode(const PatternNode& node, const Value* obj) {
  for (const auto& f : node.fields) {
    if (!MatchField(f, obj)) return false;
  }
  if (node.any_of.empty()) return true;
  for (const auto& alt : node.any_of) {
    if (MatchNode(*alt, obj)) return true;
  }
  return false;
}

}  // namespace

Result<EventPattern> EventPattern::Parse(std::string_view text) {
  if (text.size() > kMaxPatternBytes) return Invalid("Event pattern is too long");
  rapidjson::Document doc;
  if (Status s = json::ParseBounded(text, &doc, kMaxDepth * 2 + 4); !s.ok()) {
    return Invalid(s.message());
  }
  Parser p;
  ARCANA_ASSIGN_OR_RETURN(auto root, p.Node(doc, 0));
  return EventPattern(std::shared_ptr<const PatternNode>(std::move(root)));
}

bool EventPattern::Matches(const rapidjson::Value& event) const {
  return root_ && event.IsObject() && MatchNode(*root_, &event);
}

Result<bool> EventPattern::MatchesJson(std::string_view event_json) const {
  rapidjson::Document doc;
  if (Status s = json::ParseBounded(event_json, &doc); !s.ok()) {
    return Status(ErrorCode::kValidation, "Event is not valid JSON: " + s.message());
  }
  if (!doc.IsObject()) return Status(ErrorCode::kValidation, "Event must be a JSON object");
  return Matches(doc);
}

}  // namespace arcana::domain::events
