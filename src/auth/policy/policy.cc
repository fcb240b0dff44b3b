#include "auth/policy/policy.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "common/json.h"

namespace arcana::auth::policy {
namespace {

Status Malformed(std::string msg) {
  return Status(ErrorCode::kMalformedPolicyDocument, std::move(msg));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A small DOM that remembers where each value starts and ends in the text (RapidJSON's DOM
// does not), built from RapidJSON's iterative SAX reader.
struct Member;
struct Node {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject } type = Type::kNull;
  std::string str;  // string, number (as written) or "true"/"false"
  std::vector<Member> members;
  std::vector<Node> items;
  size_t start = 0, end = 0;  // byte offsets of the first and last character
};
struct Member {
  std::string key;
  Node value;
};

// A length-bounded stream: RapidJSON's StringStream reads until a NUL, and its UTF-8
// validation takes continuation bytes past a NUL that ends the text mid-character.
using PolicyStream = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;

class TreeBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
 public:
  explicit TreeBuilder(const PolicyStream* is) : is_(is) {}
  Node root;

  bool Null() { return Leaf(Node::Type::kNull, ""); }
  bool Bool(bool b) { return Leaf(Node::Type::kBool, b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return Leaf(Node::Type::kNumber, std::string(s, n));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return Leaf(Node::Type::kString, std::string(s, n));
  }
  bool StartObject() { return Open(Node::Type::kObject); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    pending_key_.assign(s, n);
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return Close(); }
  bool StartArray() { return Open(Node::Type::kArray); }
  bool EndArray(rapidjson::SizeType) { return Close(); }

 private:
  // RapidJSON's iterative reader calls StartObject/EndObject (and their array forms) before
  // it takes the bracket, so the stream is at the bracket itself.
  size_t Here() const { return is_->Tell(); }
  Node* Attach(Node n) {
    if (stack_.empty()) {
      root = std::move(n);
      return &root;
    }
    Node* parent = stack_.back();
    if (parent->type == Node::Type::kObject) {
      parent->members.push_back(Member{std::move(pending_key_), std::move(n)});
      return &parent->members.back().value;
    }
    parent->items.push_back(std::move(n));
    return &parent->items.back();
  }
  bool Leaf(Node::Type t, std::string s) {
    Node n;
    n.type = t;
    n.str = std::move(s);
    n.start = n.end = Here();
    Attach(std::move(n));
    return true;
  }
  bool Open(Node::Type t) {
    Node n;
    n.type = t;
    n.start = Here();
    stack_.push_back(Attach(std::move(n)));
    return true;
  }
  bool Close() {
    stack_.back()->end = Here();
    stack_.pop_back();
    return true;
  }

  const PolicyStream* is_;
  // Open containers, outermost first. The pointers stay valid: a container only gets a new
  // child once its previous child is closed, so no open node is ever moved.
  std::vector<Node*> stack_;
  std::string pending_key_;
};

class Positions {
 public:
  explicit Positions(std::string_view text) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }
  Position At(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t line = static_cast<size_t>(it - line_starts_.begin());
    return Position{static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
  }

 private:
  std::vector<size_t> line_starts_;
};

struct OperatorName {
  const char* name;
  Operator op;
};
constexpr OperatorName kOperators[] = {
    {"StringEquals", Operator::kStringEquals},
    {"StringNotEquals", Operator::kStringNotEquals},
    {"StringEqualsIgnoreCase", Operator::kStringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", Operator::kStringNotEqualsIgnoreCase},
    {"StringLike", Operator::kStringLike},
    {"StringNotLike", Operator::kStringNotLike},
    {"NumericEquals", Operator::kNumericEquals},
    {"NumericNotEquals", Operator::kNumericNotEquals},
    {"NumericLessThan", Operator::kNumericLessThan},
    {"NumericLessThanEquals", Operator::kNumericLessThanEquals},
    {"NumericGreaterThan", Operator::kNumericGreaterThan},
    {"NumericGreaterThanEquals", Operator::kNumericGreaterThanEquals},
    {"DateEquals", Operator::kDateEquals},
    {"DateNotEquals", Operator::kDateNotEquals},
    {"DateLessThan", Operator::kDateLessThan},
    {"DateLessThanEquals", Operator::kDateLessThanEquals},
    {"DateGreaterThan", Operator::kDateGreaterThan},
    {"DateGreaterThanEquals", Operator::kDateGreaterThanEquals},
    {"Bool", Operator::kBool},
    {"BinaryEquals", Operator::kBinaryEquals},
    {"IpAddress", Operator::kIpAddress},
    {"NotIpAddress", Operator::kNotIpAddress},
    {"ArnEquals", Operator::kArnEquals},
    {"ArnLike", Operator::kArnLike},
    {"ArnNotEquals", Operator::kArnNotEquals},
    {"ArnNotLike", Operator::kArnNotLike},
    {"Null", Operator::kNull},
};

struct ParsedOperator {
  Operator op;
  SetQualifier set;
  bool if_exists;
};

std::optional<ParsedOperator> ParseOperator(std::string_view name) {
  ParsedOperator p{Operator::kStringEquals, SetQualifier::kNone, false};
  if (name.starts_with("ForAllValues:")) {
    p.set = SetQualifier::kForAllValues;
    name.remove_prefix(13);
  } else if (name.starts_with("ForAnyValue:")) {
    p.set = SetQualifier::kForAnyValue;
    name.remove_prefix(12);
  }
  if (name.ends_with("IfExists")) {
    p.if_exists = true;
    name.remove_suffix(8);
  }
  for (const auto& o : kOperators) {
    if (name == o.name) {
      p.op = o.op;
      if (p.op == Operator::kNull && p.if_exists) return std::nullopt;  // no NullIfExists
      return p;
    }
  }
  return std::nullopt;
}

// A string or a list of strings ("Action": "a" or ["a", "b"]).
Result<std::vector<std::string>> StringList(const Node& n, std::string_view what) {
  std::vector<std::string> out;
  if (n.type == Node::Type::kString) {
    out.push_back(n.str);
    return out;
  }
  if (n.type == Node::Type::kArray) {
    for (const auto& it : n.items) {
      if (it.type != Node::Type::kString) {
        return Malformed("Syntax errors in policy: " + std::string(what) +
                         " must be a string or a list of strings.");
      }
      out.push_back(it.str);
    }
    if (!out.empty()) return out;
  }
  return Malformed("Syntax errors in policy: " + std::string(what) +
                   " must be a string or a non-empty list of strings.");
}

Template MakeTemplate(std::string text) {
  Template t;
  t.has_variables = text.find("${") != std::string::npos;
  t.text = std::move(text);
  return t;
}

Status ParsePrincipal(const Node& n, PrincipalSet* out) {
  if (n.type == Node::Type::kString) {
    if (n.str != "*") return Malformed("Invalid principal in policy: \"" + n.str + "\"");
    out->any = true;
    return Status::Ok();
  }
  if (n.type != Node::Type::kObject || n.members.empty()) {
    return Malformed("Invalid principal in policy.");
  }
  for (const auto& [k, v] : n.members) {
    ARCANA_ASSIGN_OR_RETURN(auto values, StringList(v, "Principal"));
    std::vector<std::string>* dst = nullptr;
    if (k == "AWS") dst = &out->aws;
    else if (k == "Service") dst = &out->service;
    else if (k == "Federated") dst = &out->federated;
    else if (k == "CanonicalUser") dst = &out->canonical_user;
    else return Malformed("Invalid principal in policy: unknown principal type \"" + k + "\"");
    for (auto& s : values) {
      if (k == "AWS" && s == "*") out->any = true;
      if (k == "AWS" && s != "*" && !s.starts_with("arn:") &&
          !(s.size() == 12 && std::all_of(s.begin(), s.end(), ::isdigit)) &&
          !(s.size() >= 16 && (s.starts_with("AIDA") || s.starts_with("AROA")))) {
        return Malformed("Invalid principal in policy: \"AWS\":\"" + s + "\"");
      }
      dst->push_back(std::move(s));
    }
  }
  return Status::Ok();
}

Status ParseCondition(const Node& n, std::vector<Condition>* out) {
  if (n.type != Node::Type::kObject) {
    return Malformed("Syntax errors in policy: Condition must be an object.");
  }
  // As AWS's IAM accepts them (its validated answers to moto's valid-policy table): an
  // operator block with no keys, even of an operator it does not know ({"x": {}}), holds
  // nothing and is ignored; a condition key needs no vendor prefix ({"a": "1"}); a key may
  // list no values ({"a": []}: such a condition matches no context value).
  for (const auto& [opname, block] : n.members) {
    auto op = ParseOperator(opname);
    const bool empty_block = block.type == Node::Type::kObject && block.members.empty();
    if (!op && empty_block) continue;
    if (!op) return Malformed("Invalid Condition type : " + opname + ".");
    if (block.type != Node::Type::kObject) {
      return Malformed("Syntax errors in policy: the " + opname + " condition must be an object.");
    }
    for (const auto& [key, values] : block.members) {
      Condition c;
      c.op = op->op;
      c.set = op->set;
      c.if_exists = op->if_exists;
      c.key = Lower(key);
      c.key_as_written = key;
      std::vector<const Node*> scalars;
      if (values.type == Node::Type::kArray) {
        for (const auto& it : values.items) scalars.push_back(&it);
      } else {
        scalars.push_back(&values);
      }
      for (const Node* s : scalars) {
        if (s->type != Node::Type::kString && s->type != Node::Type::kNumber &&
            s->type != Node::Type::kBool) {
          return Malformed("Syntax errors in policy: condition values must be strings, numbers "
                           "or booleans.");
        }
        c.values.push_back(MakeTemplate(s->str));
      }
      out->push_back(std::move(c));
    }
  }
  return Status::Ok();
}

Result<Statement> ParseStatement(const Node& n, size_t index, PolicyUse use,
                                 const Positions& pos) {
  if (n.type != Node::Type::kObject) {
    return Malformed("Syntax errors in policy: each statement must be an object.");
  }
  Statement s;
  s.index = index;
  s.start = pos.At(n.start);
  s.end = pos.At(n.end);
  bool has_effect = false, has_action = false;
  for (const auto& [k, v] : n.members) {
    if (k == "Sid") {
      if (v.type != Node::Type::kString) return Malformed("Syntax errors in policy: Sid.");
      s.sid = v.str;
    } else if (k == "Effect") {
      if (v.type != Node::Type::kString || (v.str != "Allow" && v.str != "Deny")) {
        return Malformed("Invalid effect: " + v.str);
      }
      s.effect = v.str == "Allow" ? Effect::kAllow : Effect::kDeny;
      has_effect = true;
    } else if (k == "Principal" || k == "NotPrincipal") {
      if (use == PolicyUse::kIdentity) {
        return Malformed("Policy document should not specify a principal.");
      }
      if (s.has_principal) return Malformed("Syntax errors in policy: both Principal and NotPrincipal.");
      s.has_principal = true;
      s.not_principal = k == "NotPrincipal";
      ARCANA_RETURN_IF_ERROR(ParsePrincipal(v, &s.principals));
    } else if (k == "Action" || k == "NotAction") {
      if (has_action) return Malformed("Syntax errors in policy: both Action and NotAction.");
      has_action = true;
      s.not_action = k == "NotAction";
      ARCANA_ASSIGN_OR_RETURN(auto actions, StringList(v, k));
      for (auto& a : actions) {
        if (a != "*" && (a.find(':') == std::string::npos || a.front() == ':')) {
          return Malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, "
                           "ec2, etc.");
        }
        s.actions.push_back(Lower(a));
      }
    } else if (k == "Resource" || k == "NotResource") {
      if (s.has_resource) return Malformed("Syntax errors in policy: both Resource and NotResource.");
      s.has_resource = true;
      s.not_resource = k == "NotResource";
      ARCANA_ASSIGN_OR_RETURN(auto resources, StringList(v, k));
      for (auto& r : resources) {
        if (r != "*" && !r.starts_with("arn:") && !r.starts_with("${")) {
          return Malformed("Resource " + r + " must be in ARN format or \"*\".");
        }
        s.resources.push_back(MakeTemplate(std::move(r)));
      }
    } else if (k == "Condition") {
      ARCANA_RETURN_IF_ERROR(ParseCondition(v, &s.conditions));
    } else {
      return Malformed("Syntax errors in policy: unknown statement element \"" + k + "\".");
    }
  }
  if (!has_effect) return Malformed("Missing required field Effect");
  if (!has_action) return Malformed("Policy statement must contain actions.");
  if (use == PolicyUse::kIdentity && !s.has_resource) {
    return Malformed("Policy statement must contain resources.");
  }
  if (use == PolicyUse::kResource && !s.has_principal) {
    return Malformed("Policy statement must contain a principal.");
  }
  return s;
}

}  // namespace

PolicyUse UseOf(PolicySource::Kind kind) {
  return kind == PolicySource::Kind::kResource ? PolicyUse::kResource : PolicyUse::kIdentity;
}

bool IsKnownConditionOperator(std::string_view name) { return ParseOperator(name).has_value(); }

Result<std::shared_ptr<const CompiledPolicy>> ParsePolicy(std::string_view json, PolicyUse use) {
  if (json.size() > kMaxPolicyBytes) {
    return Malformed("Cannot exceed quota for PolicySize: " + std::to_string(kMaxPolicyBytes));
  }
  if (json::NestingDepth(json, kMaxPolicyDepth) > kMaxPolicyDepth) {
    return Malformed("Syntax errors in policy: nested too deeply.");
  }
  std::string_view text = json;
  if (text.find('\0') != std::string_view::npos) return Malformed("Syntax errors in policy.");
  rapidjson::MemoryStream ms(text.data(), text.size());
  PolicyStream is(ms);
  TreeBuilder builder(&is);
  rapidjson::Reader reader;
  auto ok = reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag |
                         rapidjson::kParseValidateEncodingFlag>(is, builder);
  if (ok.IsError()) return Malformed("Syntax errors in policy.");
  const Node& root = builder.root;
  if (root.type != Node::Type::kObject) return Malformed("Syntax errors in policy.");

  auto out = std::make_shared<CompiledPolicy>();
  Positions pos(text);
  const Node* statements = nullptr;
  for (const auto& [k, v] : root.members) {
    if (k == "Version") {
      if (v.type != Node::Type::kString || (v.str != "2012-10-17" && v.str != "2008-10-17")) {
        return Malformed("The policy failed legacy parsing");
      }
      out->version = v.str;
    } else if (k == "Id") {
      if (v.type != Node::Type::kString) return Malformed("Syntax errors in policy: Id.");
      out->id = v.str;
    } else if (k == "Statement") {
      statements = &v;
    } else {
      return Malformed("Syntax errors in policy: unknown element \"" + k + "\".");
    }
  }
  out->variables_enabled = out->version == "2012-10-17";
  if (statements == nullptr) return Malformed("Missing required field Statement");
  if (statements->type == Node::Type::kObject) {
    ARCANA_ASSIGN_OR_RETURN(auto s, ParseStatement(*statements, 0, use, pos));
    out->statements.push_back(std::move(s));
  } else if (statements->type == Node::Type::kArray) {
    if (statements->items.size() > kMaxStatements) {
      return Malformed("Syntax errors in policy: more than " + std::to_string(kMaxStatements) +
                       " statements.");
    }
    for (size_t i = 0; i < statements->items.size(); ++i) {
      ARCANA_ASSIGN_OR_RETURN(auto s, ParseStatement(statements->items[i], i, use, pos));
      out->statements.push_back(std::move(s));
    }
  } else {
    return Malformed("Syntax errors in policy: Statement must be an object or a list.");
  }
  return std::shared_ptr<const CompiledPolicy>(std::move(out));
}

}  // namespace arcana::auth::policy
