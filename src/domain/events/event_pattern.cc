#include "domain/events/event_pattern.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>

#include "common/json.h"

namespace arcana::domain::events {

struct Filter {
  enum class Kind {
    kString, kNumber, kNull, kBool, kPrefix, kSuffix, kEqualsIgnoreCase, kWildcard,
    kAnythingBut, kNumeric, kExists, kCidr
  };
  Kind kind = Kind::kString;
  std::string text;       // kString, kPrefix, kSuffix, kEqualsIgnoreCase, kWildcard (as written)
  // kWildcard: the literal runs (escapes resolved) before, between and after its wildcards, so
  // one more run than wildcards: a*b is {"a", "b"}, a\*b (JSON "a\\*b") is {"a*b"}, * is {"", ""}.
  std::vector<std::string> runs;
  bool ignore_case = false;  // kPrefix / kSuffix with {"equals-ignore-case": ...}
  double number = 0;      // kNumber
  bool flag = false;      // kBool value; kExists: true/false
  std::vector<Filter> but;  // kAnythingBut: exact values, or affix/ignore-case/wildcard filters
  bool has_lo = false, lo_incl = false, has_hi = false, hi_incl = false;  // kNumeric
  double lo = 0, hi = 0;
  std::array<unsigned char, 16> net{};  // kCidr: the network address, 4 or 16 bytes used
  bool v6 = false;                      // kCidr
  int bits = 0;                         // kCidr: the mask length
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

// A wildcard operand's runs against a value, byte for byte: the first run anchored at the
// start, the last at the end, each middle run at its leftmost place after the one before
// (leftmost leaves the most room for what follows, so nothing is retried). At worst
// O(len(value) * len(pattern)).
bool WildcardMatch(const std::vector<std::string>& runs, std::string_view v) {
  if (runs.size() == 1) return v == runs.front();
  const std::string& first = runs.front();
  const std::string& last = runs.back();
  if (v.size() < first.size() + last.size() || !v.starts_with(first) || !v.ends_with(last)) {
    return false;
  }
  std::string_view middle = v.substr(0, v.size() - last.size());
  size_t at = first.size();
  for (size_t i = 1; i + 1 < runs.size(); ++i) {
    size_t found = middle.find(runs[i], at);
    if (found == std::string_view::npos) return false;
    at = found + runs[i].size();
  }
  return true;
}

// An IPv4 dotted quad or an IPv6 address, as inet_pton reads them (strict: "10.0.0.256" is not).
bool ParseIp(const std::string& text, std::array<unsigned char, 16>* out, bool* v6) {
  *out = {};
  if (inet_pton(AF_INET, text.c_str(), out->data()) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out->data()) == 1) {
    *v6 = true;
    return true;
  }
  return false;
}

bool InNetwork(const Filter& f, const std::array<unsigned char, 16>& ip) {
  int full = f.bits / 8, rest = f.bits % 8;
  if (std::memcmp(ip.data(), f.net.data(), static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (ip[full] & mask) == (f.net[full] & mask);
}

// EventBridge refuses wildcards whose matcher would keep too many states alive at once, which
// happens when many '*' are followed by the same character ("*:*:*:*:*:event-bus/*"). Its exact
// measure is not published; five or more wildcards before the same character (a '*' or a
// backslash written escaped counting as that character) is taken as too complex.
bool WildcardTooComplex(const std::vector<std::string>& runs) {
  std::array<int, 256> after{};
  for (size_t i = 1; i < runs.size(); ++i) {  // runs[i] follows wildcard i
    if (!runs[i].empty() && ++after[static_cast<unsigned char>(runs[i][0])] >= 5) return true;
  }
  return false;
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
      // A key written more than once counts as its last value, as EventBridge documents ("the
      // last reference will be the one used to evaluate events"): the earlier one is dropped.
      if (key == "$or") {
        // event-ruler's checks and words, in its order: an array, of objects, at least two.
        if (!m.value.IsArray()) return Invalid("It must be an Array followed with $or.");
        node->any_of.clear();
        for (const auto& alt : m.value.GetArray()) {
          if (!alt.IsObject()) {
            return Invalid("Only JSON object is allowed in array of $or relationship.");
          }
          ARCANA_ASSIGN_OR_RETURN(auto sub, Node(alt, depth + 1));
          node->any_of.push_back(std::move(sub));
        }
        if (node->any_of.size() < 2) {
          return Invalid("There must have at least 2 Objects in $or relationship.");
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
        return Invalid("\"" + f.key + "\" must be an object or an array");
      }
      std::erase_if(node->fields, [&](const PatternNode::Field& seen) { return seen.key == f.key; });
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
  Result<Filter> Affix(Filter::Kind kind, const std::string& name, const Value& v) {
    Filter f;
    f.kind = kind;
    if (v.IsObject()) {
      // Capitalized as event-ruler writes these two ("Prefix expression name not found").
      std::string title = name;
      title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
      if (v.MemberCount() == 0) return Invalid(title + " expression name not found");
      const auto& m = *v.MemberBegin();
      std::string op(m.name.GetString(), m.name.GetStringLength());
      if (op != "equals-ignore-case") return Invalid("Unsupported " + name + " pattern: " + op);
      if (!m.value.IsString()) return Invalid("equals-ignore-case match pattern must be a string");
      if (v.MemberCount() > 1) return Invalid("Only one key allowed in match expression");
      f.ignore_case = true;
      f.text.assign(m.value.GetString(), m.value.GetStringLength());
      return f;
    }
    if (!v.IsString()) return Invalid(name + " match pattern must be a string");
    f.text.assign(v.GetString(), v.GetStringLength());
    return f;
  }

  // What event-ruler names a member of a numeric array that is not what it expects: the
  // member's text (a number as written, true, false, null, "[" or "{").
  static std::string MemberText(const Value& v) {
    if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
    if (v.IsObject()) return "{";
    if (v.IsArray()) return "[";
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return buf.GetString();
  }

  // {"numeric": [op, n]} or [">" | ">=", n, "<" | "<=", n], read and refused as event-ruler
  // reads it: member by member, with its words for each fault.
  Result<Filter> Numeric(const Value& v) {
    if (!v.IsArray()) return Invalid("Value of numeric must be an array.");
    if (v.Size() == 0 || !v[0].IsString()) {
      return Invalid("Invalid member in numeric match: " + (v.Size() ? MemberText(v[0]) : "]"));
    }
    auto number = [&](rapidjson::SizeType i) {
      return i < v.Size() && v[i].IsNumber() && std::isfinite(v[i].GetDouble());
    };
    Filter f;
    f.kind = Filter::Kind::kNumeric;
    const std::string op = v[0].GetString();
    if (op == "=") {
      if (!number(1)) return Invalid("Value of equals must be numeric");
      if (v.Size() > 2) return Invalid("Too many elements in numeric expression");
      f.has_lo = f.has_hi = f.lo_incl = f.hi_incl = true;
      f.lo = f.hi = v[1].GetDouble();
      return f;
    }
    if (op == "<" || op == "<=") {
      if (!number(1)) return Invalid("Value of " + op + " must be numeric");
      if (v.Size() > 2) return Invalid("Too many elements in numeric expression");
      f.has_hi = true;
      f.hi_incl = op == "<=";
      f.hi = v[1].GetDouble();
      return f;
    }
    if (op != ">" && op != ">=") return Invalid("Unrecognized numeric range operator: " + op);
    if (!number(1)) return Invalid("Value of " + op + " must be numeric");
    f.has_lo = true;
    f.lo_incl = op == ">=";
    f.lo = v[1].GetDouble();
    if (v.Size() == 2) return f;
    if (!v[2].IsString()) return Invalid("Bad value in numeric range: " + MemberText(v[2]));
    const std::string top = v[2].GetString();
    if (top != "<" && top != "<=") return Invalid("Bad numeric range operator: " + top);
    if (!number(3)) return Invalid("Value of " + top + " must be numeric");
    if (v.Size() > 4) return Invalid("Too many terms in numeric range expression");
    f.has_hi = true;
    f.hi_incl = top == "<=";
    f.hi = v[3].GetDouble();
    if (f.lo > f.hi) return Invalid("Bottom must be less than top");
    return f;
  }

  // One string operand of an anything-but prefix/suffix/equals-ignore-case/wildcard.
  Result<Filter> ButOperand(Filter::Kind kind, const Value& v, const char* not_string) {
    ARCANA_RETURN_IF_ERROR(Count());
    if (!v.IsString()) return Invalid(not_string);
    Filter f;
    f.kind = kind;
    f.text.assign(v.GetString(), v.GetStringLength());
    if ((kind == Filter::Kind::kPrefix || kind == Filter::Kind::kSuffix) && f.text.empty()) {
      return Invalid("Null prefix/suffix not allowed");
    }
    if (kind == Filter::Kind::kWildcard) ARCANA_RETURN_IF_ERROR(CompileWildcard(&f));
    return f;
  }

  // {"anything-but": value | [values] | {"prefix"|"suffix"|"equals-ignore-case"|"wildcard":
  // "s" | ["s", ...]}}: the messages are those AWS answers for each wrong operand.
  Result<Filter> AnythingBut(const Value& v) {
    Filter f;
    f.kind = Filter::Kind::kAnythingBut;
    if (v.IsObject()) {
      if (v.MemberCount() == 0) return Invalid("Anything-But expression name not found");
      const auto& m = *v.MemberBegin();
      std::string op = m.name.GetString();
      Filter::Kind kind;
      const char* not_string;
      if (op == "prefix" || op == "suffix") {
        kind = op == "prefix" ? Filter::Kind::kPrefix : Filter::Kind::kSuffix;
        not_string = "prefix/suffix match pattern must be a string";
        // {"prefix": {"equals-ignore-case": ...}} is not accepted inside anything-but.
        if (m.value.IsObject()) {
          return Invalid("Value of anything-but must be an array or single string/number value.");
        }
      } else if (op == "equals-ignore-case") {
        kind = Filter::Kind::kEqualsIgnoreCase;
        not_string =
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
            "supported.";
      } else if (op == "wildcard") {
        kind = Filter::Kind::kWildcard;
        not_string = "wildcard match pattern must be a string";
      } else {
        return Invalid("Unsupported anything-but pattern: " + op);
      }
      if (!m.value.IsArray() && !m.value.IsString() && !m.value.IsNumber()) {
        return Invalid("Value of anything-but must be an array or single string/number value.");
      }
      if (m.value.IsArray()) {
        // An empty list excludes nothing (event-ruler takes it): every present value matches.
        for (const auto& item : m.value.GetArray()) {
          ARCANA_ASSIGN_OR_RETURN(Filter e, ButOperand(kind, item, not_string));
          f.but.push_back(std::move(e));
        }
      } else {
        ARCANA_ASSIGN_OR_RETURN(Filter e, ButOperand(kind, m.value, not_string));
        f.but.push_back(std::move(e));
      }
      // (event-ruler's word for a second member here is its numeric one.)
      if (v.MemberCount() > 1) return Invalid("Too many elements in numeric expression");
      return f;
    }
    if (v.IsArray()) {
      // event-ruler's words ("anything but", no hyphen, for the list): each value a string or a
      // number, then all of one kind and at least one.
      bool strings = false, numbers = false;
      for (const auto& item : v.GetArray()) {
        if (!item.IsString() && !item.IsNumber()) {
          return Invalid("Inside anything but list, start|null|boolean is not supported.");
        }
        (item.IsString() ? strings : numbers) = true;
        ARCANA_ASSIGN_OR_RETURN(Filter e, Exact(item));
        f.but.push_back(std::move(e));
      }
      if (strings == numbers) {
        return Invalid("Inside anything but list, either all values are number or string, "
                       "mixed type is not supported");
      }
      return f;
    }
    if (!v.IsString() && !v.IsNumber()) {
      return Invalid("Value of anything-but must be an array or single string/number value.");
    }
    ARCANA_ASSIGN_OR_RETURN(Filter e, Exact(v));
    f.but.push_back(std::move(e));
    return f;
  }

  // Reads f->text as event-ruler's wildcard parser does, byte by byte, into f->runs: * is a
  // wildcard, \* a literal asterisk, \\ a literal backslash (JSON "\\*" and "\\\\"); a
  // backslash before anything else (or at the end) and two wildcards in a row are refused, the
  // first fault from the left. AWS reports the fault's position in the quoted operand, in UTF-8
  // bytes: the byte offset + 1.
  static Status CompileWildcard(Filter* f) {
    const std::string& text = f->text;
    f->runs.assign(1, std::string());
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '*') {
        if (i + 1 < text.size() && text[i + 1] == '*') {
          return Invalid("Consecutive wildcard characters at pos " + std::to_string(i + 1));
        }
        f->runs.emplace_back();
      } else if (text[i] == '\\') {
        if (i + 1 == text.size() || (text[i + 1] != '*' && text[i + 1] != '\\')) {
          return Invalid("Invalid escape character at pos " + std::to_string(i + 1));
        }
        f->runs.back() += text[++i];
      } else {
        f->runs.back() += text[i];
      }
    }
    if (WildcardTooComplex(f->runs)) {
      return Invalid(
          "Rule is too complex - try using fewer wildcard characters or fewer repeating "
          "character sequences after a wildcard character");
    }
    return Status::Ok();
  }

  // {"cidr": "a.b.c.d/n"} or an IPv6 network; the checks and messages in AWS's order.
  static Result<Filter> Cidr(const Value& v) {
    if (!v.IsString()) return Invalid("prefix match pattern must be a string");
    std::string text(v.GetString(), v.GetStringLength());
    size_t slash = text.find('/');
    if (slash == std::string::npos || text.find('/', slash + 1) != std::string::npos) {
      return Invalid("Malformed CIDR, one '/' required");
    }
    std::string ip = text.substr(0, slash), bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 ||
        bits.find_first_not_of("0123456789") != std::string::npos) {
      return Invalid("Malformed CIDR, mask bits must be an integer");
    }
    Filter f;
    f.kind = Filter::Kind::kCidr;
    if (!ParseIp(ip, &f.net, &f.v6)) return Invalid("Nonstandard IP address: " + ip);
    f.bits = std::stoi(bits);
    if (f.bits > (f.v6 ? 128 : 32)) {
      return Invalid("Malformed CIDR, mask bits must be between 0 and " +
                     std::string(f.v6 ? "128" : "32"));
    }
    return f;
  }

  // One filter of a field's array, read as event-ruler reads a match expression: the first
  // member's operator and operand, then any second member refused in that operator's words.
  Result<Filter> OneFilter(const Value& v) {
    if (!v.IsObject()) return Exact(v);
    ARCANA_RETURN_IF_ERROR(Count());
    if (v.MemberCount() == 0) return Invalid("Match expression name not found");
    const auto& m = *v.MemberBegin();
    std::string op(m.name.GetString(), m.name.GetStringLength());
    const bool more = v.MemberCount() > 1;
    const char* one_key = "Only one key allowed in match expression";
    Result<Filter> f = Filter{};
    if (op == "prefix" || op == "suffix") {
      f = Affix(op == "prefix" ? Filter::Kind::kPrefix : Filter::Kind::kSuffix, op, m.value);
    } else if (op == "equals-ignore-case" || op == "wildcard") {
      if (!m.value.IsString()) return Invalid(op + " match pattern must be a string");
      Filter g;
      g.kind = op == "wildcard" ? Filter::Kind::kWildcard : Filter::Kind::kEqualsIgnoreCase;
      g.text.assign(m.value.GetString(), m.value.GetStringLength());
      if (g.kind == Filter::Kind::kWildcard) ARCANA_RETURN_IF_ERROR(CompileWildcard(&g));
      f = std::move(g);
    } else if (op == "anything-but" || op == "numeric") {
      f = op == "numeric" ? Numeric(m.value) : AnythingBut(m.value);
      if (f.ok() && more) return Invalid("Too many elements in numeric expression");
    } else if (op == "cidr") {
      f = Cidr(m.value);
    } else if (op == "exists") {
      if (!m.value.IsBool()) return Invalid("exists match pattern must be either true or false.");
      Filter g;
      g.kind = Filter::Kind::kExists;
      g.flag = m.value.GetBool();
      f = std::move(g);
    } else {
      return Invalid("Unrecognized match type " + op);
    }
    if (f.ok() && more) return Invalid(one_key);
    return f;
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
             WildcardMatch(f.runs, std::string_view(v.GetString(), v.GetStringLength()));
    case Filter::Kind::kAnythingBut:
      // Any present value that no excluded value or affix names matches: null and numbers
      // too, also against a prefix/suffix/equals-ignore-case/wildcard exclusion (as on AWS).
      for (const Filter& b : f.but) {
        if (MatchScalar(b, v)) return false;
      }
      return true;
    case Filter::Kind::kCidr: {
      if (!v.IsString()) return false;
      std::array<unsigned char, 16> ip;
      bool v6 = false;
      return ParseIp(std::string(v.GetString(), v.GetStringLength()), &ip, &v6) && v6 == f.v6 &&
             InNetwork(f, ip);
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

// An object, or an empty array, is no leaf value: EventBridge flattens the event into leaf
// paths, so a pattern leaf sees such a field as absent ({"exists": false} matches it).
bool IsLeaf(const Value* v) {
  return v != nullptr && !v->IsObject() && !(v->IsArray() && v->Empty());
}

bool MatchLeaf(const std::vector<Filter>& filters, const Value* v) {
  if (!IsLeaf(v)) v = nullptr;
  for (const Filter& f : filters) {
    if (v == nullptr) {
      if (f.kind == Filter::Kind::kExists && !f.flag) return true;
      continue;
    }
    if (f.kind == Filter::Kind::kExists) {
      if (f.flag) return true;
      continue;
    }
    if (v->IsArray()) {
      for (const auto& e : v->GetArray()) {
        if (!e.IsObject() && !e.IsArray() && MatchScalar(f, e)) return true;
      }
    } else if (MatchScalar(f, *v)) {
      return true;
    }
  }
  return false;
}

// True when obj has a member named "<path>.<more>" (the event's "a.b" under pattern "a").
bool HasDotted(const Value& obj, std::string_view path) {
  for (const auto& m : obj.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name.size() > path.size() + 1 && name[path.size()] == '.' &&
        name.substr(0, path.size()) == path) {
      return true;
    }
  }
  return false;
}

// EventBridge joins nested keys with '.', so the pattern key "a.b" names the event's "a":{"b"}
// and the event key "a.b" is named by the pattern's "a":{"b"}. Locate collects what the dotted
// path names in obj: the member of that exact name, and for each '.' the rest of the path inside
// the member named by what precedes it (values); and the objects holding members named
// "<path>.<more>" (spots: a nested pattern goes on there with "<path>." before its keys).
// Bounded by the path's dots and kMaxDepth.
// A member name as a Value: a bare StringRef would convert to const char* and be read to its NUL.
Value Name(std::string_view s) {
  return Value(rapidjson::StringRef(s.data(), static_cast<rapidjson::SizeType>(s.size())));
}

struct Spot {
  const Value* obj;
  std::string prefix;
};
void Locate(const Value* obj, std::string_view path, size_t depth,
            std::vector<const Value*>* values, std::vector<Spot>* spots) {
  if (obj == nullptr || !obj->IsObject() || depth > kMaxDepth) return;
  auto it = obj->FindMember(Name(path));
  if (it != obj->MemberEnd()) values->push_back(&it->value);
  // The prefix string is built only for an object that has such a member (rare), not per field.
  if (spots != nullptr && HasDotted(*obj, path)) spots->push_back({obj, std::string(path) + "."});
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    auto head = obj->FindMember(Name(path.substr(0, dot)));
    if (head != obj->MemberEnd()) {
      Locate(&head->value, path.substr(dot + 1), depth + 1, values, spots);
    }
  }
}

bool MatchNode(const PatternNode& node, const Value* obj, const std::string& prefix);

bool MatchField(const PatternNode::Field& f, const Value* obj, const std::string& prefix) {
  std::vector<const Value*> found;
  std::vector<Spot> spots;
  Locate(obj, prefix + f.key, 0, &found, f.child ? &spots : nullptr);
  if (!f.child) {
    if (found.empty()) return MatchLeaf(f.filters, nullptr);
    for (const Value* v : found) {
      if (MatchLeaf(f.filters, v)) return true;
    }
    return false;
  }
  bool nested = false;  // some object (or non-empty array) is there for the nested pattern
  for (const Value* v : found) {
    if (v->IsArray()) {
      nested = nested || !v->Empty();
      for (const auto& e : v->GetArray()) {
        if (MatchNode(*f.child, &e, "")) return true;
      }
    } else if (v->IsObject()) {
      nested = true;
      if (MatchNode(*f.child, v, "")) return true;
    }
  }
  for (const Spot& s : spots) {
    if (MatchNode(*f.child, s.obj, s.prefix)) return true;
  }
  // Nothing nested there: only {"exists": false} leaves below can match.
  return !nested && spots.empty() && MatchNode(*f.child, nullptr, "");
}

bool MatchNode(const PatternNode& node, const Value* obj, const std::string& prefix) {
  for (const auto& f : node.fields) {
    if (!MatchField(f, obj, prefix)) return false;
  }
  if (node.any_of.empty()) return true;
  for (const auto& alt : node.any_of) {
    if (MatchNode(*alt, obj, prefix)) return true;
  }
  return false;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

// "Unexpected character ('c' (code n)): <what>", as Jackson words it.
std::string UnexpectedCharacter(char c, const char* what) {
  auto code = static_cast<unsigned char>(c);
  return std::string("Unexpected character ('") + c + "' (code " + std::to_string(code) +
         ")): " + what;
}

// The reason AWS gives for pattern text that is not JSON: its parser's (Jackson's) words for
// the two faults AWS was recorded answering (LocalStack's test_invalid_json_event_pattern):
// a bare word where a value belongs, and an object member name not in double quotes. AWS
// appends the parser's location ("\n at [Source: ...]"), which is left out here as for every
// pattern reason. Other faults keep the JSON parser's own description (`fallback`).
std::string SyntaxReason(std::string_view text, const std::string& fallback) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (!doc.HasParseError()) return fallback;  // not a syntax fault (size, depth, encoding)
  size_t at = std::min(doc.GetErrorOffset(), text.size());
  switch (doc.GetParseError()) {
    case rapidjson::kParseErrorValueInvalid: {
      // The word is read from its start to its last word character, as Jackson reports it
      // ("this is ..." gives 'this'; the parser stops inside it when it begins like true).
      size_t start = at;
      while (start > 0 && IsTokenChar(text[start - 1])) --start;
      size_t end = at;
      while (end < text.size() && IsTokenChar(text[end])) ++end;
      if (start == end) {
        if (at < text.size() && std::isprint(static_cast<unsigned char>(text[at]))) {
          return UnexpectedCharacter(text[at], "expected a value");
        }
        return fallback;
      }
      return "Unrecognized token '" + std::string(text.substr(start, end - start)) +
             "': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or "
             "'false')";
    }
    case rapidjson::kParseErrorObjectMissName:
      if (at < text.size() && std::isprint(static_cast<unsigned char>(text[at]))) {
        return UnexpectedCharacter(text[at], "was expecting double-quote to start field name");
      }
      return fallback;
    default: return fallback;
  }
}

}  // namespace

Result<EventPattern> EventPattern::Parse(std::string_view text) {
  if (text.size() > kMaxPatternBytes) return Invalid("Event pattern is too long");
  rapidjson::Document doc;
  if (Status s = json::ParseBounded(text, &doc, kMaxDepth * 2 + 4); !s.ok()) {
    return Invalid(SyntaxReason(text, s.message()));
  }
  Parser p;
  ARCANA_ASSIGN_OR_RETURN(auto root, p.Node(doc, 0));
  return EventPattern(std::shared_ptr<const PatternNode>(std::move(root)));
}

bool EventPattern::Matches(const rapidjson::Value& event) const {
  return root_ && event.IsObject() && MatchNode(*root_, &event, "");
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
