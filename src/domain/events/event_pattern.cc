#include "domain/events/event_pattern.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

#include "common/json.h"
#include "domain/events/pattern_reader.h"

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
  // kWildcard: for each run, its KMP border table (border[j]: the length of the longest proper
  // prefix of run[0..j] that is also its suffix), so that finding a run scans the value once.
  std::vector<std::vector<uint32_t>> borders;
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

// A refusal without a parser location: AWS's for faults event-ruler meets outside its parser,
// and Arcana's own bounds. Refusals made while reading carry the location (PatternReader::Fail).
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

// KMP's border table of a run (see Filter::borders).
std::vector<uint32_t> Borders(const std::string& run) {
  std::vector<uint32_t> b(run.size(), 0);
  for (size_t j = 1, k = 0; j < run.size(); ++j) {
    while (k > 0 && run[j] != run[k]) k = b[k - 1];
    if (run[j] == run[k]) ++k;
    b[j] = static_cast<uint32_t>(k);
  }
  return b;
}

// Where `run` first occurs in hay at or after `from` (npos: nowhere), by Knuth-Morris-Pratt:
// at most 2 * (hay.size() - from) steps whatever the texts (std::string_view::find, and
// Boyer-Moore-Horspool, take up to |hay| * |run| on "aaa...a" against "aa...ab": a tenant's
// rule made routing stall for every account). memchr skips to the run's first character.
size_t FindRun(std::string_view hay, size_t from, const std::string& run,
               const std::vector<uint32_t>& borders) {
  const size_t m = run.size(), n = hay.size();
  if (m == 0) return from <= n ? from : std::string_view::npos;
  size_t i = from, k = 0;  // hay[i - k, i) == run[0, k)
  while (i < n) {
    if (k == 0) {
      if (hay[i] != run[0]) {
        const void* p = std::memchr(hay.data() + i, run[0], n - i);
        if (p == nullptr) return std::string_view::npos;
        i = static_cast<size_t>(static_cast<const char*>(p) - hay.data());
      }
      ++i;
      k = 1;
    } else if (hay[i] == run[k]) {
      ++i;
      ++k;
    } else {
      k = borders[k - 1];  // i stays: amortised by the k steps that went forward
      continue;
    }
    if (k == m) return i - m;
  }
  return std::string_view::npos;
}

// A wildcard operand's runs against a value, byte for byte: the first run anchored at the
// start, the last at the end, each middle run at its leftmost place after the one before
// (leftmost leaves the most room for what follows, so nothing is retried). Each search goes on
// from where the one before ended: O(len(value) + len(operand)) in all.
bool WildcardMatch(const Filter& f, std::string_view v) {
  const std::vector<std::string>& runs = f.runs;
  if (runs.size() == 1) return v == runs.front();
  const std::string& first = runs.front();
  const std::string& last = runs.back();
  if (v.size() < first.size() + last.size() || !v.starts_with(first) || !v.ends_with(last)) {
    return false;
  }
  std::string_view middle = v.substr(0, v.size() - last.size());
  size_t at = first.size();
  for (size_t i = 1; i + 1 < runs.size(); ++i) {
    size_t found = FindRun(middle, at, runs[i], f.borders[i]);
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

// {"cidr": "a.b.c.d/n"} or an IPv6 network; the checks and messages in AWS's order. AWS
// answers these without a location: event-ruler meets them outside its parser (its CIDR
// class throws, and nothing catches).
Result<Filter> Cidr(const std::string& text) {
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

constexpr const char* kTooComplex =
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character";

// Reads a pattern as aws/event-ruler's JsonRuleCompiler reads it (the validator EventBridge
// runs): token by token through a Jackson-like reader, each check made when event-ruler makes
// it, so the first fault refused is the one AWS refuses and its location (where the reader
// stood) is AWS's. Refusals AWS words without a location (CIDR faults, a too complex
// wildcard, which event-ruler meets outside its parser) and Arcana's own bounds use Invalid.
class Compiler {
 public:
  explicit Compiler(std::string_view text) : in_(text) {}

  Result<std::unique_ptr<PatternNode>> Compile() {
    ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
    if (t != Token::kStartObject) return in_.Fail("Filter is not an object");
    ARCANA_ASSIGN_OR_RETURN(auto root, Object(0));
    // event-ruler stops reading here; Arcana refuses text after the pattern (kept from when
    // the whole text had to be one JSON document), in the reader's words where it has them.
    ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
    if (t != Token::kEnd) {
      return in_.Fail(std::string("Trailing token (of type ") + TokenName(t) +
                      ") found after value");
    }
    // AWS finds a wildcard too complex when it adds the compiled rule, after the whole text
    // was read: any fault in the text comes first.
    if (too_complex_) return Invalid(kTooComplex);
    return root;
  }

 private:
  using Token = PatternToken;

  static const char* TokenName(Token t) {
    switch (t) {
      case Token::kStartObject: return "START_OBJECT";
      case Token::kEndObject: return "END_OBJECT";
      case Token::kStartArray: return "START_ARRAY";
      case Token::kEndArray: return "END_ARRAY";
      case Token::kFieldName: return "FIELD_NAME";
      case Token::kString: return "VALUE_STRING";
      case Token::kNumberInt: return "VALUE_NUMBER_INT";
      case Token::kNumberFloat: return "VALUE_NUMBER_FLOAT";
      case Token::kTrue: return "VALUE_TRUE";
      case Token::kFalse: return "VALUE_FALSE";
      case Token::kNull: return "VALUE_NULL";
      case Token::kEnd: break;
    }
    return "null";
  }
  static bool IsNumber(Token t) { return t == Token::kNumberInt || t == Token::kNumberFloat; }

  Status Count() {
    if (++filters_ > kMaxFilters) return Invalid("Too many match values");
    return Status::Ok();
  }

  // event-ruler's parseObject (and parseObjectInsideOrRelationship): the object's '{' has been
  // read. A key written more than once counts as its last value, as EventBridge documents
  // ("the last reference will be the one used to evaluate events"); both are checked.
  Result<std::unique_ptr<PatternNode>> Object(size_t depth) {
    if (depth > kMaxDepth) return Invalid("Pattern is nested too deeply");
    auto node = std::make_unique<PatternNode>();
    bool fields = false;
    for (;;) {
      ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
      if (t == Token::kEndObject) break;
      fields = true;
      PatternNode::Field f;
      f.key = in_.Name();
      if (f.key == "$or") {
        ARCANA_RETURN_IF_ERROR(AnyOf(node.get(), depth));
        continue;
      }
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t == Token::kStartObject) {
        ARCANA_ASSIGN_OR_RETURN(f.child, Object(depth + 1));
      } else if (t == Token::kStartArray) {
        ARCANA_RETURN_IF_ERROR(Leaf(&f.filters));
      } else {
        return in_.Fail("\"" + f.key + "\" must be an object or an array");
      }
      std::erase_if(node->fields,
                    [&](const PatternNode::Field& seen) { return seen.key == f.key; });
      node->fields.push_back(std::move(f));
    }
    if (!fields) return in_.Fail("Empty objects are not allowed");
    return node;
  }

  // "$or": [pattern, pattern, ...] (parseIntoOrRelationship): an array, of objects, at least two.
  Status AnyOf(PatternNode* node, size_t depth) {
    ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
    if (t != Token::kStartArray) return in_.Fail("It must be an Array followed with $or.");
    node->any_of.clear();
    for (;;) {
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t == Token::kEndArray) break;
      if (t != Token::kStartObject) {
        return in_.Fail("Only JSON object is allowed in array of $or relationship.");
      }
      ARCANA_ASSIGN_OR_RETURN(auto sub, Object(depth + 1));
      node->any_of.push_back(std::move(sub));
    }
    if (node->any_of.size() < 2) {
      return in_.Fail("There must have at least 2 Objects in $or relationship.");
    }
    return Status::Ok();
  }

  // A field's [filter, ...] (writeRules): the '[' has been read.
  Status Leaf(std::vector<Filter>* filters) {
    for (;;) {
      ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
      if (t == Token::kEndArray) break;
      ARCANA_RETURN_IF_ERROR(Count());
      if (t == Token::kStartObject) {
        ARCANA_ASSIGN_OR_RETURN(Filter f, MatchExpression());
        filters->push_back(std::move(f));
        continue;
      }
      ARCANA_ASSIGN_OR_RETURN(
          Filter f, Exact(t, "Match value must be String, number, true, false, or null"));
      filters->push_back(std::move(f));
    }
    if (filters->empty()) return in_.Fail("Empty arrays are not allowed");
    return Status::Ok();
  }

  // The current token as an exact value; anything else is refused with `not_value`.
  Result<Filter> Exact(Token t, std::string_view not_value) {
    Filter f;
    switch (t) {
      case Token::kString: {
        f.kind = Filter::Kind::kString;
        ARCANA_ASSIGN_OR_RETURN(f.text, in_.Text());
        return f;
      }
      case Token::kNumberInt:
      case Token::kNumberFloat:
        f.kind = Filter::Kind::kNumber;
        f.number = in_.Number();
        return f;
      case Token::kNull:
        f.kind = Filter::Kind::kNull;
        return f;
      case Token::kTrue:
      case Token::kFalse:
        f.kind = Filter::Kind::kBool;
        f.flag = t == Token::kTrue;
        return f;
      default:
        return in_.Fail(not_value);
    }
  }

  // Expects the '}' closing a match expression; anything else is a second key.
  Status OneKey(const char* more = "Only one key allowed in match expression") {
    ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
    if (t != Token::kEndObject) return in_.Fail(more);
    return Status::Ok();
  }

  // One {operator: operand} filter (processMatchExpression): the '{' has been read.
  Result<Filter> MatchExpression() {
    ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
    if (t != Token::kFieldName) return in_.Fail("Match expression name not found");
    const std::string op = in_.Name();
    Filter f;
    if (op == "prefix" || op == "suffix") {
      f.kind = op == "prefix" ? Filter::Kind::kPrefix : Filter::Kind::kSuffix;
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t == Token::kStartObject) {
        ARCANA_RETURN_IF_ERROR(AffixIgnoringCase(op, &f));
        return f;
      }
      if (t != Token::kString) return in_.Fail(op + " match pattern must be a string");
      ARCANA_ASSIGN_OR_RETURN(f.text, in_.Text());
      ARCANA_RETURN_IF_ERROR(OneKey());
      return f;
    }
    if (op == "numeric") {
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t != Token::kStartArray) return in_.Fail("Value of numeric must be an array.");
      ARCANA_ASSIGN_OR_RETURN(f, Numeric());
      ARCANA_RETURN_IF_ERROR(OneKey(kTooManyElements));
      return f;
    }
    if (op == "anything-but") return AnythingBut();
    if (op == "exists") {
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t != Token::kTrue && t != Token::kFalse) {
        return in_.Fail("exists match pattern must be either true or false.");
      }
      f.kind = Filter::Kind::kExists;
      f.flag = t == Token::kTrue;
      ARCANA_RETURN_IF_ERROR(OneKey());
      return f;
    }
    if (op == "cidr") {
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t != Token::kString) return in_.Fail("prefix match pattern must be a string");
      ARCANA_ASSIGN_OR_RETURN(std::string text, in_.Text());
      ARCANA_ASSIGN_OR_RETURN(f, Cidr(text));
      ARCANA_RETURN_IF_ERROR(OneKey());
      return f;
    }
    if (op == "equals-ignore-case" || op == "wildcard") {
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t != Token::kString) return in_.Fail(op + " match pattern must be a string");
      f.kind = op == "wildcard" ? Filter::Kind::kWildcard : Filter::Kind::kEqualsIgnoreCase;
      ARCANA_ASSIGN_OR_RETURN(f.text, in_.Text());
      if (f.kind == Filter::Kind::kWildcard) ARCANA_RETURN_IF_ERROR(CompileWildcard(&f));
      ARCANA_RETURN_IF_ERROR(OneKey());
      return f;
    }
    return in_.Fail("Unrecognized match type " + op);
  }

  // {"prefix": {"equals-ignore-case": "s"}} (processPrefix/SuffixEqualsIgnoreCaseExpression):
  // the inner '{' has been read; event-ruler capitalizes the first of its words.
  Status AffixIgnoringCase(const std::string& name, Filter* f) {
    ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
    if (t != Token::kFieldName) {
      std::string title = name;
      title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
      return in_.Fail(title + " expression name not found");
    }
    if (in_.Name() != "equals-ignore-case") {
      return in_.Fail("Unsupported " + name + " pattern: " + in_.Name());
    }
    ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
    if (t != Token::kString) return in_.Fail("equals-ignore-case match pattern must be a string");
    ARCANA_ASSIGN_OR_RETURN(f->text, in_.Text());
    f->ignore_case = true;
    ARCANA_RETURN_IF_ERROR(OneKey());
    return OneKey();
  }

  // {"numeric": [op, n] | [">" | ">=", n, "<" | "<=", n]} (processNumericMatchExpression and
  // completeNumericRange): the '[' has been read. A number that is not finite is refused as
  // not numeric.
  Result<Filter> Numeric() {
    ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
    if (t != Token::kString) {
      ARCANA_ASSIGN_OR_RETURN(std::string member, in_.Text());
      return in_.Fail("Invalid member in numeric match: " + member);
    }
    ARCANA_ASSIGN_OR_RETURN(const std::string op, in_.Text());
    ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
    auto numeric = [&](Token token) { return IsNumber(token) && std::isfinite(in_.Number()); };
    Filter f;
    f.kind = Filter::Kind::kNumeric;
    if (op == "=" || op == "<" || op == "<=") {
      if (!numeric(t)) {
        return in_.Fail("Value of " + (op == "=" ? "equals" : op) + " must be numeric");
      }
      const double value = in_.Number();
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t != Token::kEndArray) return in_.Fail(kTooManyElements);
      f.has_hi = true;
      f.hi_incl = op != "<";
      f.hi = value;
      if (op == "=") {
        f.has_lo = f.lo_incl = true;
        f.lo = value;
      }
      return f;
    }
    if (op != ">" && op != ">=") return in_.Fail("Unrecognized numeric range operator: " + op);
    if (!numeric(t)) return in_.Fail("Value of " + op + " must be numeric");
    f.has_lo = true;
    f.lo_incl = op == ">=";
    f.lo = in_.Number();
    ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
    if (t == Token::kEndArray) return f;
    if (t != Token::kString) {
      ARCANA_ASSIGN_OR_RETURN(std::string member, in_.Text());
      return in_.Fail("Bad value in numeric range: " + member);
    }
    ARCANA_ASSIGN_OR_RETURN(const std::string top, in_.Text());
    if (top != "<" && top != "<=") return in_.Fail("Bad numeric range operator: " + top);
    ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
    if (!numeric(t)) return in_.Fail("Value of " + top + " must be numeric");
    f.has_hi = true;
    f.hi_incl = top == "<=";
    f.hi = in_.Number();
    ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
    if (t != Token::kEndArray) return in_.Fail("Too many terms in numeric range expression");
    if (f.lo > f.hi) return in_.Fail("Bottom must be less than top");
    return f;
  }

  // {"anything-but": value | [values] | {"prefix"|"suffix"|"equals-ignore-case"|"wildcard":
  // "s" | ["s", ...]}}: the messages are those AWS answers for each wrong operand.
  Result<Filter> AnythingBut() {
    Filter f;
    f.kind = Filter::Kind::kAnythingBut;
    ARCANA_ASSIGN_OR_RETURN(Token t, in_.Next());
    std::optional<Filter::Kind> kind;  // set inside {op: ...}
    if (t == Token::kStartObject) {
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
      if (t != Token::kFieldName) return in_.Fail("Anything-But expression name not found");
      const std::string op = in_.Name();
      if (op == "equals-ignore-case") {
        kind = Filter::Kind::kEqualsIgnoreCase;
      } else if (op == "prefix") {
        kind = Filter::Kind::kPrefix;
      } else if (op == "suffix") {
        kind = Filter::Kind::kSuffix;
      } else if (op == "wildcard") {
        kind = Filter::Kind::kWildcard;
      } else {
        return in_.Fail("Unsupported anything-but pattern: " + op);
      }
      ARCANA_ASSIGN_OR_RETURN(t, in_.Next());
    }
    if (t != Token::kStartArray && t != Token::kString && !IsNumber(t)) {
      return in_.Fail("Value of anything-but must be an array or single string/number value.");
    }
    if (!kind) {
      if (t == Token::kStartArray) {
        ARCANA_RETURN_IF_ERROR(ButList(&f));
      } else {
        ARCANA_RETURN_IF_ERROR(Count());
        ARCANA_ASSIGN_OR_RETURN(Filter e, Exact(t, ""));
        f.but.push_back(std::move(e));
      }
    } else if (t == Token::kStartArray) {
      ARCANA_RETURN_IF_ERROR(ButOperands(*kind, &f));
    } else {
      ARCANA_RETURN_IF_ERROR(Count());
      ARCANA_ASSIGN_OR_RETURN(Filter e, ButOperand(*kind, t));
      if (e.kind == Filter::Kind::kWildcard) ARCANA_RETURN_IF_ERROR(CompileWildcard(&e));
      f.but.push_back(std::move(e));
    }
    // (event-ruler's word for a second member here is its numeric one.)
    ARCANA_RETURN_IF_ERROR(OneKey(kTooManyElements));
    if (kind) ARCANA_RETURN_IF_ERROR(OneKey(kTooManyElements));
    return f;
  }

  // [values] of a plain anything-but (processAnythingButListMatchExpression): each a string
  // or a number, then all of one kind and at least one. event-ruler reads the list inside a
  // catch that refuses again what it caught, so a refusal from inside carries its location
  // twice (as AWS answers).
  Status ButList(Filter* f) {
    bool strings = false, numbers = false;
    for (;;) {
      Result<Token> t = in_.Next();
      if (!t.ok()) return in_.Again(t.status());
      if (*t == Token::kEndArray) break;
      ARCANA_RETURN_IF_ERROR(Count());
      if (*t != Token::kString && !IsNumber(*t)) {
        return in_.Again(
            in_.Fail("Inside anything but list, start|null|boolean is not supported."));
      }
      (*t == Token::kString ? strings : numbers) = true;
      Result<Filter> e = Exact(*t, "");
      if (!e.ok()) return in_.Again(e.status());
      f->but.push_back(std::move(e).value());
    }
    if (strings == numbers) {
      return in_.Fail("Inside anything but list, either all values are number or string, "
                      "mixed type is not supported");
    }
    return Status::Ok();
  }

  // What event-ruler calls a non-string operand of an anything-but prefix/suffix/
  // equals-ignore-case/wildcard.
  static const char* NotString(Filter::Kind kind) {
    switch (kind) {
      case Filter::Kind::kEqualsIgnoreCase:
        return "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
               "supported.";
      case Filter::Kind::kWildcard: return "wildcard match pattern must be a string";
      default: return "prefix/suffix match pattern must be a string";
    }
  }

  // One string operand of an anything-but prefix/suffix/equals-ignore-case/wildcard.
  Result<Filter> ButOperand(Filter::Kind kind, Token t) {
    if (t != Token::kString) return in_.Fail(NotString(kind));
    Filter f;
    f.kind = kind;
    ARCANA_ASSIGN_OR_RETURN(f.text, in_.Text());
    if ((kind == Filter::Kind::kPrefix || kind == Filter::Kind::kSuffix) && f.text.empty()) {
      return in_.Fail("Null prefix/suffix not allowed");
    }
    return f;
  }

  // ["s", ...] of an anything-but prefix/suffix/equals-ignore-case/wildcard
  // (processAnythingButValuesSetMatchExpression): refusals from inside the list carry their
  // location twice, as in ButList; its wildcards are read after the list. An empty list
  // excludes nothing (event-ruler takes it): every present value matches.
  Status ButOperands(Filter::Kind kind, Filter* f) {
    for (;;) {
      Result<Token> t = in_.Next();
      if (!t.ok()) return in_.Again(t.status());
      if (*t == Token::kEndArray) break;
      ARCANA_RETURN_IF_ERROR(Count());
      Result<Filter> e = ButOperand(kind, *t);
      if (!e.ok()) return in_.Again(e.status());
      f->but.push_back(std::move(e).value());
    }
    if (kind == Filter::Kind::kWildcard) {
      for (Filter& e : f->but) ARCANA_RETURN_IF_ERROR(CompileWildcard(&e));
    }
    return Status::Ok();
  }

  // Reads f->text as event-ruler's wildcard parser does, byte by byte, into f->runs: * is a
  // wildcard, \* a literal asterisk, \\ a literal backslash (JSON "\\*" and "\\\\"); a
  // backslash before anything else (or at the end) and two wildcards in a row are refused, the
  // first fault from the left. AWS reports the fault's position in the quoted operand, in UTF-8
  // bytes: the byte offset + 1.
  Status CompileWildcard(Filter* f) {
    const std::string& text = f->text;
    f->runs.assign(1, std::string());
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '*') {
        if (i + 1 < text.size() && text[i + 1] == '*') {
          return in_.Fail("Consecutive wildcard characters at pos " + std::to_string(i + 1));
        }
        f->runs.emplace_back();
      } else if (text[i] == '\\') {
        if (i + 1 == text.size() || (text[i + 1] != '*' && text[i + 1] != '\\')) {
          return in_.Fail("Invalid escape character at pos " + std::to_string(i + 1));
        }
        f->runs.back() += text[++i];
      } else {
        f->runs.back() += text[i];
      }
    }
    too_complex_ = too_complex_ || WildcardTooComplex(f->runs);
    f->borders.clear();
    for (const std::string& run : f->runs) f->borders.push_back(Borders(run));
    return Status::Ok();
  }

  static constexpr const char* kTooManyElements = "Too many elements in numeric expression";

  PatternReader in_;
  size_t filters_ = 0;
  bool too_complex_ = false;
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
             WildcardMatch(f, std::string_view(v.GetString(), v.GetStringLength()));
    case Filter::Kind::kAnythingBut:
      // Any present value that no excluded value or affix names matches: null and numbers
      // too, also against a prefix/suffix/equals-ignore-case/wildcard exclusion (as on AWS).
      for (const Filter& b : f.but) {
        if (MatchScalar(b, v)) return false;
      }
      return true;
    case Filter::Kind::kCidr: {
      // No address is longer than INET6_ADDRSTRLEN: a longer value is not copied to be read.
      if (!v.IsString() || v.GetStringLength() >= INET6_ADDRSTRLEN) return false;
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

}  // namespace

Result<EventPattern> EventPattern::Parse(std::string_view text) {
  if (text.size() > kMaxPatternBytes) return Invalid("Event pattern is too long");
  // Patterns from requests are UTF-8 already (the request body is validated); one from a file
  // (the CLI) is checked here, as the reader counts characters by their UTF-8 encoding.
  if (size_t at = InvalidUtf8At(text); at != std::string_view::npos) {
    return Invalid("Invalid encoding in string. at offset " + std::to_string(at));
  }
  Compiler compiler(text);
  ARCANA_ASSIGN_OR_RETURN(auto root, compiler.Compile());
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
