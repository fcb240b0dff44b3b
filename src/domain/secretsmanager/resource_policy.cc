#include "domain/secretsmanager/resource_policy.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "auth/policy/policy.h"
#include "common/json.h"

namespace arcana::domain::sm {
namespace {

using rapidjson::Value;

// `detail` says which rule the policy broke (for the reader of this code): AWS names none,
// its answer is the one sentence below whatever the fault (AWS's recorded answer to a
// PutResourcePolicy with a bad Version, 2020).
Status Malformed(const std::string& detail) {
  (void)detail;
  return Status(ErrorCode::kMalformedPolicyDocument, "This policy has invalid syntax.");
}

bool Is(const Value& v, std::string_view s) {
  return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == s;
}

std::string_view Str(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::string_view Key(const Value::ConstMemberIterator& m) { return Str(m->name); }

// string, or non-empty array of strings (IAM's "string or list" shape).
bool IsStringOrList(const Value& v) {
  if (v.IsString()) return true;
  if (!v.IsArray() || v.Empty()) return false;
  for (const auto& e : v.GetArray()) {
    if (!e.IsString()) return false;
  }
  return true;
}

template <typename F>
void ForEachString(const Value& v, F&& f) {
  if (v.IsString()) {
    f(Str(v));
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) {
      if (e.IsString()) f(Str(e));
    }
  }
}

Status CheckPrincipal(const Value& p, std::string_view field) {
  if (Is(p, "*")) return Status::Ok();
  if (!p.IsObject() || p.MemberCount() == 0) {
    return Malformed(std::string(field) + " must be \"*\" or an object such as {\"AWS\": ...}.");
  }
  static const std::set<std::string_view> kTypes = {"AWS", "Service", "Federated",
                                                    "CanonicalUser"};
  for (auto m = p.MemberBegin(); m != p.MemberEnd(); ++m) {
    if (!kTypes.count(Key(m))) {
      return Malformed("unsupported principal type \"" + std::string(Key(m)) + "\" in " +
                       std::string(field) + ".");
    }
    if (!IsStringOrList(m->value)) {
      return Malformed(std::string(field) + "." + std::string(Key(m)) +
                       " must be a string or a non-empty list of strings.");
    }
  }
  return Status::Ok();
}

Status CheckActions(const Value& v, std::string_view field) {
  if (!IsStringOrList(v)) {
    return Malformed(std::string(field) + " must be a string or a non-empty list of strings.");
  }
  Status st;
  ForEachString(v, [&](std::string_view a) {
    size_t colon = a.find(':');
    bool ok = a == "*" || (colon != std::string_view::npos && colon > 0 && colon + 1 < a.size());
    if (!ok && st.ok()) {
      st = Malformed("action \"" + std::string(a) +
                     "\" must be prefaced by a vendor, for example secretsmanager:GetSecretValue.");
    }
  });
  return st;
}

Status CheckCondition(const Value& c) {
  if (!c.IsObject()) return Malformed("Condition must be an object.");
  for (auto op = c.MemberBegin(); op != c.MemberEnd(); ++op) {
    if (!op->value.IsObject()) {
      return Malformed("Condition operator \"" + std::string(Key(op)) + "\" must map to an object.");
    }
    for (auto k = op->value.MemberBegin(); k != op->value.MemberEnd(); ++k) {
      auto scalar = [](const Value& x) { return x.IsString() || x.IsBool() || x.IsNumber(); };
      bool ok = scalar(k->value);
      if (k->value.IsArray()) {
        ok = true;
        for (const auto& e : k->value.GetArray()) ok = ok && scalar(e);
      }
      if (!ok) {
        return Malformed("Condition key \"" + std::string(Key(k)) +
                         "\" must be a string, number, boolean or a list of them.");
      }
    }
  }
  return Status::Ok();
}

Status CheckStatement(const Value& s, size_t index, std::vector<PolicyCheck>* findings,
                      std::set<std::string>* sids) {
  const std::string where = "statement " + std::to_string(index + 1);
  if (!s.IsObject()) return Malformed(where + " must be an object.");
  static const std::set<std::string_view> kKeys = {
      "Sid", "Effect", "Principal", "NotPrincipal", "Action",
      "NotAction", "Resource", "NotResource", "Condition"};
  for (auto m = s.MemberBegin(); m != s.MemberEnd(); ++m) {
    if (!kKeys.count(Key(m))) {
      return Malformed("unknown field \"" + std::string(Key(m)) + "\" in " + where + ".");
    }
  }
  if (s.HasMember("Sid")) {
    if (!s["Sid"].IsString()) return Malformed("Sid in " + where + " must be a string.");
    std::string sid(Str(s["Sid"]));
    if (!sid.empty() && !sids->insert(sid).second) {
      findings->push_back({"SYNTAX_CHECKING", "Duplicate Sid \"" + sid + "\"; Sids must be unique."});
    }
  }
  if (!s.HasMember("Effect") || !(Is(s["Effect"], "Allow") || Is(s["Effect"], "Deny"))) {
    return Malformed("Effect in " + where + " must be \"Allow\" or \"Deny\".");
  }
  bool p = s.HasMember("Principal"), np = s.HasMember("NotPrincipal");
  if (p == np) {
    return Malformed(where + " must contain exactly one of Principal or NotPrincipal.");
  }
  ARCANA_RETURN_IF_ERROR(CheckPrincipal(p ? s["Principal"] : s["NotPrincipal"],
                                        p ? "Principal" : "NotPrincipal"));
  bool a = s.HasMember("Action"), na = s.HasMember("NotAction");
  if (a == na) return Malformed(where + " must contain exactly one of Action or NotAction.");
  const Value& actions = a ? s["Action"] : s["NotAction"];
  ARCANA_RETURN_IF_ERROR(CheckActions(actions, a ? "Action" : "NotAction"));
  ForEachString(actions, [&](std::string_view act) {
    std::string lower(act);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "*" && lower.rfind("secretsmanager:", 0) != 0) {
      findings->push_back({"SYNTAX_CHECKING", "The action \"" + std::string(act) +
                                                  "\" does not apply to Secrets Manager secrets."});
    }
  });
  bool r = s.HasMember("Resource"), nr = s.HasMember("NotResource");
  if (r && nr) return Malformed(where + " must not contain both Resource and NotResource.");
  if (r || nr) {
    const Value& res = r ? s["Resource"] : s["NotResource"];
    if (!IsStringOrList(res)) {
      return Malformed(std::string(r ? "Resource" : "NotResource") + " in " + where +
                       " must be a string or a non-empty list of strings.");
    }
    ForEachString(res, [&](std::string_view arn) {
      bool ok = arn == "*" || (arn.rfind("arn:", 0) == 0 &&
                               arn.find(":secretsmanager:") != std::string_view::npos);
      if (!ok) {
        findings->push_back({"SYNTAX_CHECKING", "The resource \"" + std::string(arn) +
                                                    "\" is not \"*\" or a Secrets Manager ARN."});
      }
    });
  }
  if (s.HasMember("Condition")) ARCANA_RETURN_IF_ERROR(CheckCondition(s["Condition"]));
  return Status::Ok();
}

// Parses and checks the document shape shared by both entry points.
Status Parse(std::string_view text, rapidjson::Document* doc) {
  if (text.empty() || text.size() > kMaxResourcePolicyLength) {
    return Malformed("the policy must be between 1 and 20480 characters.");
  }
  if (Status st = json::ParseBounded(text, doc); !st.ok()) {
    return Malformed("invalid JSON (" + st.message() + ").");
  }
  if (!doc->IsObject()) return Malformed("the policy must be a JSON object.");
  return Status::Ok();
}

// The public-access test follows AWS's reasoning about public policies (the S3 user guide's
// meaning of public, IAM Access Analyzer): a statement open to every principal is not public
// when a condition pins who calls or on whose behalf to fixed values, values with no
// wildcard and no policy variable. Keys that do so: the caller's account, ARN, user id and
// organization, and the source account, ARN, owner, organization, VPC, VPC endpoint and IP
// ranges. A condition that always holds (Null, a negated operator, IfExists, ForAllValues,
// which holds when the key is absent, "*" under StringLike) restricts nothing.
const std::set<std::string_view> kRestrictingKeys = {
    "aws:principalaccount", "aws:principalarn",  "aws:principalorgid", "aws:principalorgpaths",
    "aws:userid",           "aws:sourceaccount", "aws:sourcearn",      "aws:sourceowner",
    "aws:sourceorgid",      "aws:sourceorgpaths", "aws:sourcevpc",     "aws:sourcevpce",
    "aws:sourceip"};

// A value of a pattern operator (StringLike, ArnLike, ArnEquals: all take * and ?) that still
// pins a caller: no wildcard at all, or for an ARN key the literal "arn:partition:service:
// region:account:" before any wildcard (one account's principals or resources), or for
// aws:userid the literal unique id before ":" (AWS's "AROLEID:*", one role's sessions).
bool FixedPattern(std::string_view key, std::string_view v) {
  const size_t wild = v.find_first_of("*?");
  if (wild == std::string_view::npos) return true;
  const std::string_view literal = v.substr(0, wild);
  if (key == "aws:principalarn" || key == "aws:sourcearn") {
    // The account is an ARN's fifth field: it is pinned when the literal part reaches the
    // colon after it and it is twelve digits.
    std::vector<std::string_view> fields;
    for (size_t from = 0, colon; (colon = literal.find(':', from)) != std::string_view::npos;
         from = colon + 1) {
      fields.push_back(literal.substr(from, colon - from));
    }
    return fields.size() >= 5 && fields[0] == "arn" && fields[4].size() == 12 &&
           std::all_of(fields[4].begin(), fields[4].end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  }
  if (key == "aws:userid") {
    const size_t colon = literal.find(':');
    return colon != std::string_view::npos && colon > 0;
  }
  return false;
}

// IpAddress: a list of CIDRs restricts unless it may cover all of IPv4 or all of IPv6
// (0.0.0.0/0, or 0.0.0.0/1 with 128.0.0.0/1): the sizes of its ranges are summed, an upper
// bound of what they cover.
bool CidrsRestrict(const std::vector<auth::policy::Template>& values) {
  long double v4 = 0, v6 = 0;
  for (const auto& t : values) {
    const std::string& cidr = t.text;
    const bool v6_range = cidr.find(':') != std::string::npos;
    const int bits = v6_range ? 128 : 32;
    int len = bits;
    if (size_t slash = cidr.find('/'); slash != std::string::npos) {
      const std::string digits = cidr.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
      }
      len = std::stoi(digits);
      if (len > bits) return false;
    }
    (v6_range ? v6 : v4) += std::pow(2.0L, bits - len);
  }
  return v4 < std::pow(2.0L, 32) && v6 < std::pow(2.0L, 128);
}

bool Restricts(const auth::policy::Condition& c, bool variables) {
  using Op = auth::policy::Operator;
  if (!kRestrictingKeys.count(c.key) || c.if_exists ||
      c.set == auth::policy::SetQualifier::kForAllValues) {
    return false;
  }
  for (const auto& v : c.values) {
    if (variables && v.has_variables) return false;  // ${aws:PrincipalAccount} is everyone's
  }
  switch (c.op) {
    case Op::kStringEquals:
    case Op::kStringEqualsIgnoreCase:
      return c.key != "aws:sourceip";
    case Op::kStringLike:
    case Op::kArnEquals:
    case Op::kArnLike:
      return c.key != "aws:sourceip" &&
             std::all_of(c.values.begin(), c.values.end(), [&](const auth::policy::Template& v) {
               return FixedPattern(c.key, v.text);
             });
    case Op::kIpAddress:
      return c.key == "aws:sourceip" && CidrsRestrict(c.values);
    default:
      return false;  // negated operators, Null, Bool, numbers and dates pin no caller
  }
}

}  // namespace

Result<std::vector<PolicyCheck>> ValidateResourcePolicy(std::string_view policy_json) {
  rapidjson::Document doc;
  ARCANA_RETURN_IF_ERROR(Parse(policy_json, &doc));
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    std::string_view k = Key(m);
    if (k != "Version" && k != "Id" && k != "Statement") {
      return Malformed("unknown top-level field \"" + std::string(k) + "\".");
    }
  }
  if (doc.HasMember("Version") &&
      !(Is(doc["Version"], "2012-10-17") || Is(doc["Version"], "2008-10-17"))) {
    return Malformed("Version must be \"2012-10-17\" or \"2008-10-17\".");
  }
  if (doc.HasMember("Id") && !doc["Id"].IsString()) return Malformed("Id must be a string.");
  if (!doc.HasMember("Statement")) return Malformed("the policy has no Statement.");
  const Value& st = doc["Statement"];
  std::vector<PolicyCheck> findings;
  std::set<std::string> sids;
  if (st.IsObject()) {
    ARCANA_RETURN_IF_ERROR(CheckStatement(st, 0, &findings, &sids));
  } else if (st.IsArray() && !st.Empty()) {
    for (rapidjson::SizeType i = 0; i < st.Size(); ++i) {
      ARCANA_RETURN_IF_ERROR(CheckStatement(st[i], i, &findings, &sids));
    }
  } else {
    return Malformed("Statement must be an object or a non-empty list of objects.");
  }
  if (GrantsPublicAccess(policy_json)) {
    findings.push_back({"BROAD_ACCESS_CHECK",
                        "This resource policy grants broad access to the secret: a statement "
                        "allows a wildcard principal without a condition."});
  }
  return findings;
}

bool GrantsPublicAccess(std::string_view policy_json) {
  // Judged on the statements the policy engine enforces: an operator block with no keys
  // ({"StringEquals": {}}, {"Foo": {}}) is dropped there, so it restricts nothing here.
  auto compiled = auth::policy::ParsePolicy(policy_json, auth::policy::PolicyUse::kResource);
  if (!compiled.ok()) return false;  // not storable: refused as malformed elsewhere
  const bool variables = (*compiled)->variables_enabled;
  for (const auto& s : (*compiled)->statements) {
    if (s.effect != auth::policy::Effect::kAllow) continue;
    // "*" or {"AWS": "*"} (alone or in a list), or an Allow with NotPrincipal, which grants
    // everyone it does not name.
    if (!s.not_principal && !s.principals.any) continue;
    const bool restricted =
        std::any_of(s.conditions.begin(), s.conditions.end(),
                    [&](const auth::policy::Condition& c) { return Restricts(c, variables); });
    if (!restricted) return true;
  }
  return false;
}

}  // namespace arcana::domain::sm
