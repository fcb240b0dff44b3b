#include "services/iam/iam_service.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>
#include <vector>

#include "audit/touched_resources.h"
#include "auth/authorizer.h"
#include "auth/policy/policy.h"
#include "common/pattern.h"
#include "domain/iam/aws_managed_policies.h"
#include "services/common/write_retry.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::Identity;
using domain::iam::ManagedPolicy;

namespace {

// True when an action of a trust policy is one AWS allows there: the sts: actions a role's
// trust decides (or a wildcard that can name one of them).
bool TrustAction(std::string_view action) {
  static constexpr std::string_view kAllowed[] = {
      "sts:assumerole",         "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
      "sts:tagsession",         "sts:setsourceidentity",  "sts:setcontext"};
  std::string a(action);
  for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (a == "*") return true;
  for (std::string_view allowed : kAllowed) {
    if (a == allowed) return true;
    // "sts:*", "sts:Assume*": a prefix of an allowed action followed by the wildcard.
    if (a.back() == '*' && allowed.starts_with(std::string_view(a).substr(0, a.size() - 1))) {
      return true;
    }
  }
  return false;
}

// IAM's rule for a statement's Sid, in identity and trust policies alike: ASCII letters and
// digits only (IAM User Guide, Sid: "supports ASCII uppercase letters (A-Z), lowercase letters
// (a-z), and numbers (0-9)"), refused in AWS's words (quoted from CreatePolicy and
// PutRolePolicy answers in Wolox/carthage_cache issue 22 and aws-cloudformation/cfn-lint issues
// 708 and 1376; a trust policy's Sid with '_' refused too, ministryofjustice/
// analytical-platform PR 8486). Secrets Manager's and KMS's resource policies are other
// services' and not held to it.
Status CheckSidCharacters(const rapidjson::Value& st) {
  auto sid = st.FindMember("Sid");
  if (sid == st.MemberEnd() || !sid->value.IsString()) return Status::Ok();
  const std::string_view text(sid->value.GetString(), sid->value.GetStringLength());
  if (std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      })) {
    return Status::Ok();
  }
  return Status(ErrorCode::kMalformedPolicyDocument,
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
                "regular expression [0-9A-Za-z]*");
}

// AWS's own checks of a role trust policy, before the policy engine's grammar: its reasons
// are what AWS answers (UpdateAssumeRolePolicy, CreateRole).
Status CheckTrustShape(const std::string& doc) {
  auto malformed = [](const char* why) {
    return Status(ErrorCode::kMalformedPolicyDocument, why);
  };
  rapidjson::Document d;
  d.Parse(doc.data(), doc.size());
  if (d.HasParseError() || !d.IsObject()) return malformed("This policy contains invalid Json");
  auto it = d.FindMember("Statement");
  if (it == d.MemberEnd()) return Status::Ok();  // the grammar below words this one
  auto check = [&](const rapidjson::Value& st) -> Status {
    if (!st.IsObject()) return Status::Ok();
    for (const char* field : {"Resource", "NotResource"}) {
      if (st.HasMember(field)) {
        return malformed(std::string_view(field) == "Resource"
                             ? "Has prohibited field Resource"
                             : "Has prohibited field NotResource");
      }
    }
    ARCANA_RETURN_IF_ERROR(CheckSidCharacters(st));
    auto action = st.FindMember("Action");
    if (action == st.MemberEnd()) return Status::Ok();
    auto allowed = [](const rapidjson::Value& a) {
      return !a.IsString() || TrustAction({a.GetString(), a.GetStringLength()});
    };
    bool ok = action->value.IsArray()
                  ? std::all_of(action->value.Begin(), action->value.End(), allowed)
                  : allowed(action->value);
    if (!ok) return malformed("AssumeRole policy may only specify STS AssumeRole actions.");
    return Status::Ok();
  };
  if (it->value.IsArray()) {
    for (const auto& st : it->value.GetArray()) ARCANA_RETURN_IF_ERROR(check(st));
    return Status::Ok();
  }
  return check(it->value);
}

// The statements of a parsed document (one object or an array of them).
std::vector<const rapidjson::Value*> Statements(const rapidjson::Document& d) {
  std::vector<const rapidjson::Value*> out;
  auto it = d.FindMember("Statement");
  if (it == d.MemberEnd()) return out;
  if (it->value.IsArray()) {
    for (const auto& st : it->value.GetArray()) {
      if (st.IsObject()) out.push_back(&st);
    }
  } else if (it->value.IsObject()) {
    out.push_back(&it->value);
  }
  return out;
}

// The strings of an element that is a string or a list of strings.
std::vector<std::string_view> Strings(const rapidjson::Value& st, const char* element) {
  std::vector<std::string_view> out;
  auto it = st.FindMember(element);
  if (it == st.MemberEnd()) return out;
  auto add = [&](const rapidjson::Value& v) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  };
  if (it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) add(v);
  } else {
    add(it->value);
  }
  return out;
}

// A scalar condition value, or a list of them.
bool ConditionValue(const rapidjson::Value& v) {
  auto scalar = [](const rapidjson::Value& x) { return x.IsString() || x.IsNumber() || x.IsBool(); };
  if (v.IsArray()) return std::all_of(v.Begin(), v.End(), scalar);
  return scalar(v);
}

// A string, or a list of strings (possibly empty: "must contain ..." words that below).
bool StringOrList(const rapidjson::Value& v) {
  if (v.IsArray()) return std::all_of(v.Begin(), v.End(), [](const auto& x) { return x.IsString(); });
  return v.IsString();
}

bool EmptyOrMissing(const rapidjson::Value& st, const char* a, const char* b) {
  for (const char* element : {a, b}) {
    auto it = st.FindMember(element);
    if (it == st.MemberEnd()) continue;
    if (!(it->value.IsArray() && it->value.Empty())) return false;
  }
  return true;
}

// The structure AWS's IAM checks first, in its order: any fault of the document's shape is
// plain "Syntax errors in policy." (the policy engine names the fault, AWS does not), then
// unique Sids, then each statement's actions and resources.
Status CheckIdentityStructure(const rapidjson::Document& d) {
  const Status syntax(ErrorCode::kMalformedPolicyDocument, "Syntax errors in policy.");
  for (const auto& m : d.GetObject()) {
    std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (k != "Version" && k != "Id" && k != "Statement") return syntax;
  }
  if (auto id = d.FindMember("Id"); id != d.MemberEnd() && !id->value.IsString()) return syntax;
  if (auto version = d.FindMember("Version"); version != d.MemberEnd()) {
    if (!version->value.IsString()) return syntax;
    std::string_view v(version->value.GetString(), version->value.GetStringLength());
    if (v != "2012-10-17" && v != "2008-10-17") return syntax;
  }
  auto statement = d.FindMember("Statement");
  if (statement == d.MemberEnd()) return syntax;
  const rapidjson::Value& list = statement->value;
  if (!(list.IsObject() || (list.IsArray() && !list.Empty()))) return syntax;
  if (list.IsArray() &&
      !std::all_of(list.Begin(), list.End(), [](const auto& x) { return x.IsObject(); })) {
    return syntax;
  }
  static constexpr std::string_view kElements[] = {
      "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
      "NotResource", "Condition"};
  const std::vector<const rapidjson::Value*> statements = Statements(d);
  for (const rapidjson::Value* st : statements) {
    for (const auto& m : st->GetObject()) {
      std::string_view k(m.name.GetString(), m.name.GetStringLength());
      if (std::find(std::begin(kElements), std::end(kElements), k) == std::end(kElements)) {
        return syntax;
      }
    }
    if (auto sid = st->FindMember("Sid"); sid != st->MemberEnd() && !sid->value.IsString()) {
      return syntax;
    }
    auto effect = st->FindMember("Effect");
    if (effect == st->MemberEnd() || !effect->value.IsString() ||
        (std::string_view(effect->value.GetString()) != "Allow" &&
         std::string_view(effect->value.GetString()) != "Deny")) {
      return syntax;
    }
    if ((st->HasMember("Action") && st->HasMember("NotAction")) ||
        (st->HasMember("Resource") && st->HasMember("NotResource"))) {
      return syntax;
    }
    for (const char* element : {"Action", "NotAction", "Resource", "NotResource"}) {
      auto it = st->FindMember(element);
      if (it != st->MemberEnd() && !StringOrList(it->value)) return syntax;
    }
    if (auto cond = st->FindMember("Condition"); cond != st->MemberEnd()) {
      if (!cond->value.IsObject()) return syntax;
      for (const auto& op : cond->value.GetObject()) {
        if (!op.value.IsObject()) return syntax;
        for (const auto& key : op.value.GetObject()) {
          if (!ConditionValue(key.value)) return syntax;
        }
      }
    }
  }
  // Checked before their uniqueness: "a-b" twice is refused for its characters.
  for (const rapidjson::Value* st : statements) ARCANA_RETURN_IF_ERROR(CheckSidCharacters(*st));
  std::vector<std::string_view> sids;
  for (const rapidjson::Value* st : statements) {
    auto sid = st->FindMember("Sid");
    if (sid != st->MemberEnd() && sid->value.GetStringLength() > 0) {
      sids.emplace_back(sid->value.GetString(), sid->value.GetStringLength());
    }
  }
  std::sort(sids.begin(), sids.end());
  if (std::adjacent_find(sids.begin(), sids.end()) != sids.end()) {
    return Status(ErrorCode::kMalformedPolicyDocument,
                  "Statement IDs (SID) in a single policy must be unique.");
  }
  for (const rapidjson::Value* st : statements) {
    if (EmptyOrMissing(*st, "Action", "NotAction")) {
      return Status(ErrorCode::kMalformedPolicyDocument, "Policy statement must contain actions.");
    }
    if (EmptyOrMissing(*st, "Resource", "NotResource")) {
      return Status(ErrorCode::kMalformedPolicyDocument,
                    "Policy statement must contain resources.");
    }
  }
  return Status::Ok();
}

// AWS's own checks of an identity policy that the policy engine's grammar leaves to IAM (it
// evaluates such documents without complaint, AWS refuses them), with AWS's reasons.
// `before_grammar`: the checks AWS words as plain "Syntax errors in policy." (an unknown
// Version, an empty Statement list); otherwise the ones that apply to a document the
// grammar accepted (no or a 2008 Version, action vendors, resource partitions).
Status CheckIdentityShape(const std::string& doc, bool before_grammar) {
  auto malformed = [](std::string why) {
    return Status(ErrorCode::kMalformedPolicyDocument, std::move(why));
  };
  rapidjson::Document d;
  d.Parse(doc.data(), doc.size());
  if (d.HasParseError() || !d.IsObject()) return Status::Ok();  // the grammar words these
  auto version = d.FindMember("Version");
  const bool has_version = version != d.MemberEnd() && version->value.IsString();
  const std::string_view v =
      has_version ? std::string_view(version->value.GetString(), version->value.GetStringLength())
                  : std::string_view();
  if (before_grammar) return CheckIdentityStructure(d);
  if (v != "2012-10-17") {
    return malformed("Policy document must be version 2012-10-17 or greater.");
  }
  for (const rapidjson::Value* st : Statements(d)) {
    for (const char* element : {"Action", "NotAction"}) {
      for (std::string_view action : Strings(*st, element)) {
        size_t colon = action.find(':');
        if (colon == std::string_view::npos) continue;  // the grammar refuses these
        if (action.find(':', colon + 1) != std::string_view::npos) {
          return malformed("Actions/Condition can contain only one colon.");
        }
        std::string_view vendor = action.substr(0, colon);
        const bool ok = std::all_of(vendor.begin(), vendor.end(), [](unsigned char c) {
          // "s3-s" and "s3.s" are vendors AWS accepts ("a a" it refuses).
          return std::isalnum(c) || c == '-' || c == '.' || c == '*' || c == '?';
        });
        if (!ok) return malformed("Vendor " + std::string(vendor) + " is not valid");
      }
    }
    for (const char* element : {"Resource", "NotResource"}) {
      for (std::string_view resource : Strings(*st, element)) {
        if (!resource.starts_with("arn:")) continue;  // the grammar refuses non-ARNs
        std::string_view rest = resource.substr(4);
        std::string_view partition = rest.substr(0, rest.find(':'));
        static constexpr std::string_view kPartitions[] = {
            "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f",
            "aws-eusc"};
        if (partition.find_first_of("*?") != std::string_view::npos) continue;
        if (std::find(std::begin(kPartitions), std::end(kPartitions), partition) ==
            std::end(kPartitions)) {
          return malformed("Partition \"" + std::string(partition) +
                           "\" is not valid for resource \"" + std::string(resource) + "\".");
        }
      }
    }
  }
  return Status::Ok();
}

// The tagging action a create call's Tags also need: "To add tags when creating" a user, a
// role, ..., the caller needs iam:Tag<Resource> besides the create action (IAM User Guide,
// the "Permissions required" of each "Tagging IAM ..." topic; CloudFormation's "Did not have
// IAM permissions to process tags on AWS::IAM::Role resource" is this refusal). nullptr for
// an operation that takes no Tags.
const char* TagActionOfCreate(std::string_view op) {
  static constexpr std::pair<std::string_view, const char*> kActions[] = {
      {"CreateUser", "iam:TagUser"},
      {"CreateRole", "iam:TagRole"},
      {"CreatePolicy", "iam:TagPolicy"},
      {"CreateInstanceProfile", "iam:TagInstanceProfile"},
      {"CreateOpenIDConnectProvider", "iam:TagOpenIDConnectProvider"},
      {"CreateSAMLProvider", "iam:TagSAMLProvider"},
      {"UploadServerCertificate", "iam:TagServerCertificate"},
      {"CreateVirtualMFADevice", "iam:TagMFADevice"},
  };
  for (const auto& [create, tag] : kActions) {
    if (create == op) return tag;
  }
  return nullptr;
}

}  // namespace

Status CheckPolicyDocument(const std::string& doc, bool trust) {
  if (trust) ARCANA_RETURN_IF_ERROR(CheckTrustShape(doc));
  if (!trust) ARCANA_RETURN_IF_ERROR(CheckIdentityShape(doc, /*before_grammar=*/true));
  // The policy engine's own parser: a document is stored only if it will be evaluated.
  Status grammar = auth::policy::ParsePolicy(doc, trust ? auth::policy::PolicyUse::kResource
                                                        : auth::policy::PolicyUse::kIdentity)
                       .status();
  // An unknown condition operator is, in AWS's words, one more syntax error.
  if (!trust && !grammar.ok() && grammar.message().starts_with("Invalid Condition type")) {
    return Status(ErrorCode::kMalformedPolicyDocument, "Syntax errors in policy.");
  }
  ARCANA_RETURN_IF_ERROR(grammar);
  if (!trust) ARCANA_RETURN_IF_ERROR(CheckIdentityShape(doc, /*before_grammar=*/false));
  return Status::Ok();
}

std::string UrlEncodeDocument(std::string_view doc) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(doc.size() * 2);
  for (unsigned char c : doc) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Status CheckName(const std::string& name, const char* member) {
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '_' || c == '+' || c == '=' || c == ',' || c == '.' ||
        c == '@' || c == '-') {
      continue;
    }
    // IAM's own sentence, as the validator answers it (IamPatternSentences).
    return Status(ErrorCode::kValidation,
                  "The specified value for " + std::string(member) +
                      " is invalid. It must contain only alphanumeric characters and/or the "
                      "following: +=,.@_-");
  }
  return Status::Ok();
}

namespace {
// policyPathType, ((/[A-Za-z0-9\.,\+@=_-]+)*)/ : "/", or segments of those characters each
// after a '/', then a final '/'.
bool PolicyPathText(std::string_view p) {
  bool ok = !p.empty() && p.front() == '/' && p.back() == '/';
  for (size_t i = 0; ok && i < p.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '/') {
      ok = i == 0 || p[i - 1] != '/';  // no empty segment
    } else {
      ok = std::isalnum(c) ||
           std::string_view(".,+@=_-").find(static_cast<char>(c)) != std::string_view::npos;
    }
  }
  return ok;
}
}  // namespace

Status CheckPathPrefix(std::string_view operation, const json::Input& in) {
  auto prefix = in.Str("PathPrefix");
  if (!prefix) return Status::Ok();
  const std::string& p = *prefix;
  auto printable = [](unsigned char c) { return c >= 0x21 && c <= 0x7F; };
  bool ok = false;
  if (operation == "ListPolicies" || operation.starts_with("ListAttached")) {
    ok = PolicyPathText(p);
  } else if (operation == "ListEntitiesForPolicy") {
    // (\u002F)|(\u002F[\u0021-\u007F]+\u002F)
    ok = p == "/" || (p.size() >= 3 && p.front() == '/' && p.back() == '/' &&
                      std::all_of(p.begin(), p.end(), printable));
  } else {
    // \u002F[\u0021-\u007F]*
    ok = !p.empty() && p.front() == '/' && std::all_of(p.begin(), p.end(), printable);
  }
  if (ok) return Status::Ok();
  // IAM's own words, the same for each of the three shapes: AWS answered ListPolicies with
  // PathPrefix "/foo" so (aws/aws-cli issue 5860, "This is a server-side error"), and
  // ListUsers/ListRoles with "invalid" and "/invalid\n" (versitygw's IAM tests against AWS's
  // text).
  return Status(ErrorCode::kValidation,
                "The specified value for pathPrefix is invalid. It must begin with the / "
                "character and contain only alphanumeric characters and/or / characters.");
}

Status CheckPath(const std::string& path, const char* member) {
  bool ok = !path.empty() && path.front() == '/' && path.back() == '/';
  for (unsigned char c : path) ok = ok && c >= 0x21 && c <= 0x7E;
  if (ok) return Status::Ok();
  // IAM's own words, not the model-validation wording: AWS answers CreateRole/CreateUser with
  // a Path of "test/" or "bad" so (quoted from AWS by users, e.g. aws-cloudformation/cfn-lint
  // issue 722, and by emulators that copy AWS's text).
  return Status(ErrorCode::kValidation,
                "The specified value for " + std::string(member) +
                    " is invalid. It must begin and end with / and contain only alphanumeric "
                    "characters and/or / characters.");
}

Status CheckPolicyPath(const std::string& path) {
  if (PolicyPathText(path)) return Status::Ok();
  // The words CheckPath answers, for the narrower pattern of a managed policy's path
  // (policyPathType: no empty segment, no '*', ':' or other punctuation outside .,+@=_-), so
  // that every path a policy is created with can later be a ListPolicies PathPrefix.
  return Status(ErrorCode::kValidation,
                "The specified value for path is invalid. It must begin and end with / and "
                "contain only alphanumeric characters and/or / characters.");
}

Page PageOf(const json::Input& in) {
  Page p;
  p.marker = in.Str("Marker").value_or("");
  p.max_items = static_cast<size_t>(in.Int("MaxItems").value_or(100));
  return p;
}

domain::iam::Tags TagsOf(const rapidjson::Value* list) {
  domain::iam::Tags tags;
  if (list == nullptr || !list->IsArray()) return tags;
  for (const auto& t : list->GetArray()) {
    domain::iam::MergeTags(tags, {{json::StrField(t, "Key"), json::StrField(t, "Value")}});
  }
  return tags;
}

namespace {
// The models' tagKeyType / tagValueType patterns (Unicode classes: RE2 matches UTF-8).
bool TagText(std::string_view text, bool key) {
  static const auto kKey = pattern::Compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", 64).pattern;
  static const auto kValue = pattern::Compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", 64).pattern;
  const auto& p = key ? kKey : kValue;
  return p != nullptr && p->FullMatch(text);
}
}  // namespace

Status CheckTags(const rapidjson::Value* list, TagKeys keys) {
  if (list == nullptr || !list->IsArray()) return Status::Ok();
  if (list->Size() > 50) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value at 'tags' failed to satisfy constraint: "
                  "Member must have length less than or equal to 50");
  }
  std::vector<std::string> seen;
  size_t n = 0;
  for (const auto& t : list->GetArray()) {
    ++n;
    std::string key = json::StrField(t, "Key");
    for (bool is_key : {true, false}) {
      if (TagText(is_key ? key : json::StrField(t, "Value"), is_key)) continue;
      return Status(ErrorCode::kValidation,
                    "1 validation error detected: Value at 'tags." + std::to_string(n) +
                        (is_key ? ".member.key" : ".member.value") +
                        "' failed to satisfy constraint: Member must satisfy regular "
                        "expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]" +
                        (is_key ? "+" : "*"));
    }
    if (keys == TagKeys::kCaseInsensitive) {
      for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    seen.push_back(std::move(key));
  }
  std::sort(seen.begin(), seen.end());
  if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) {
    return Status(ErrorCode::kInvalidParameter,
                  keys == TagKeys::kCaseInsensitive
                      ? "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                      : "Duplicate tag keys found.");
  }
  return Status::Ok();
}

Status MergeProviderTags(domain::iam::Tags& tags, const domain::iam::Tags& add) {
  domain::iam::MergeTags(tags, add);
  if (tags.size() > kMaxTags) {
    return Status(ErrorCode::kLimitExceeded, "The number of tags has reached the maximum limit.");
  }
  return Status::Ok();
}

Status CheckTagKeys(const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    if (TagText(k, true)) continue;
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value at 'tagKeys' failed to satisfy "
                  "constraint: Member must satisfy constraint: [Member must have length less "
                  "than or equal to 128, Member must have length greater than or equal to 1, "
                  "Member must satisfy regular expression pattern: "
                  "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+, Member must not be null]");
  }
  return Status::Ok();
}

Status CheckVersionId(const std::string& id) {
  // v[1-9][0-9]*(\.[A-Za-z0-9-]*)?
  size_t i = 0;
  bool ok = id.size() >= 2 && id[0] == 'v' && id[1] >= '1' && id[1] <= '9';
  for (i = 2; ok && i < id.size() && std::isdigit(static_cast<unsigned char>(id[i])); ++i) {
  }
  if (ok && i < id.size()) {
    ok = id[i] == '.';
    for (++i; ok && i < id.size(); ++i) {
      ok = std::isalnum(static_cast<unsigned char>(id[i])) || id[i] == '-';
    }
  }
  if (ok) return Status::Ok();
  return Status(ErrorCode::kValidation,
                "1 validation error detected: Value at 'versionId' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?");
}

Result<size_t> PositionOf(const Page& page, size_t size) {
  if (page.marker.empty()) return size_t{0};
  size_t pos = 0;
  const char* end = page.marker.data() + page.marker.size();
  auto [p, ec] = std::from_chars(page.marker.data(), end, pos);
  // A page's Marker is the index of a tag after its first: 1 up to the last.
  if (ec != std::errc() || p != end || pos == 0 || pos >= size) {
    return Status(ErrorCode::kValidation, "Invalid Marker: " + page.marker);
  }
  return pos;
}

Result<Slice> SliceOf(const Page& page, const std::vector<std::string>& keys) {
  Slice s;
  if (!page.marker.empty()) {
    auto it = std::find(keys.begin(), keys.end(), page.marker);
    if (it == keys.end()) {
      return Status(ErrorCode::kValidation, "Invalid Marker: " + page.marker);
    }
    s.begin = static_cast<size_t>(it - keys.begin()) + 1;
  }
  // MaxItems is at least 1 (the model's range), so a truncated page has a last item to name.
  s.end = s.begin + std::min(std::max<size_t>(page.max_items, 1), keys.size() - s.begin);
  s.truncated = s.end < keys.size();
  if (s.truncated) s.next_marker = keys[s.end - 1];
  return s;
}

void WritePageEnd(json::Writer& w, const Slice& slice) {
  w.Key("IsTruncated");
  w.Bool(slice.truncated);
  if (slice.truncated) json::KV(w, "Marker", slice.next_marker);
}

std::string PagedListAnswer(const Slice& page, const char* member,
                            const std::function<void(json::Writer&, size_t)>& item) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key(member);
  w.StartArray();
  for (size_t i = page.begin; i < page.end; ++i) item(w, i);
  w.EndArray();
  WritePageEnd(w, page);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> TagListAnswer(const domain::iam::Tags& tags, const json::Input& in) {
  const Page page = PageOf(in);
  // By position: a tag key can hold letters the model's markerType pattern
  // ([\u0020-\u00FF]+) refuses.
  ARCANA_ASSIGN_OR_RETURN(const size_t start, PositionOf(page, tags.size()));
  const size_t end = std::min(tags.size(), start + page.max_items);
  const bool truncated = end < tags.size();
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteTags(w, domain::iam::Tags(tags.begin() + static_cast<std::ptrdiff_t>(start),
                                 tags.begin() + static_cast<std::ptrdiff_t>(end)));
  w.Key("IsTruncated");
  w.Bool(truncated);
  if (truncated) json::KV(w, "Marker", std::to_string(end));
  w.EndObject();
  return json::Finish(buf);
}

void WriteTags(json::Writer& w, const domain::iam::Tags& tags) {
  json::WriteTagList(w, "Tags", tags);
}

void WriteIdentityCommon(json::Writer& w, const Identity& i, const char* name_key,
                         const char* id_key) {
  json::KV(w, "Path", i.path);
  json::KV(w, name_key, i.name);
  json::KV(w, id_key, i.id);
  json::KV(w, "Arn", i.Arn());
  w.Key("CreateDate");
  json::WriteTimestamp(w, i.created_ms);
}

void WriteBoundary(json::Writer& w, const Identity& i) {
  if (i.boundary_arn.empty()) return;
  w.Key("PermissionsBoundary");
  w.StartObject();
  json::KV(w, "PermissionsBoundaryType", "Policy");
  json::KV(w, "PermissionsBoundaryArn", i.boundary_arn);
  w.EndObject();
}

void WriteAttachedPolicies(json::Writer& w, const char* key, const Identity& i) {
  w.Key(key);
  w.StartArray();
  for (const auto& arn : i.attached) {
    w.StartObject();
    json::KV(w, "PolicyName", arn.substr(arn.rfind('/') + 1));
    json::KV(w, "PolicyArn", arn);
    w.EndObject();
  }
  w.EndArray();
}

void WriteUser(json::Writer& w, const Identity& u, View view) {
  w.StartObject();
  WriteIdentityCommon(w, u, "UserName", "UserId");
  if (view != View::kListed) {
    WriteBoundary(w, u);
    if (!u.tags.empty()) WriteTags(w, u.tags);
  }
  w.EndObject();
}

void WriteGroup(json::Writer& w, const Identity& g) {
  w.StartObject();
  WriteIdentityCommon(w, g, "GroupName", "GroupId");
  w.EndObject();
}

void WriteRole(json::Writer& w, const Identity& r, View view) {
  w.StartObject();
  WriteIdentityCommon(w, r, "RoleName", "RoleId");
  json::KV(w, "AssumeRolePolicyDocument", UrlEncodeDocument(r.trust_policy));
  if (view != View::kCreated) {
    if (!r.description.empty()) json::KV(w, "Description", r.description);
  }
  if (view == View::kGot || view == View::kListed) {
    w.Key("MaxSessionDuration");
    w.Int64(r.max_session_duration);
  }
  if (view != View::kListed) {
    WriteBoundary(w, r);
    if (!r.tags.empty()) WriteTags(w, r.tags);
  }
  if (view == View::kGot) {
    w.Key("RoleLastUsed");
    w.StartObject();
    w.EndObject();
  }
  w.EndObject();
}

void WritePolicy(json::Writer& w, const ManagedPolicy& p, View view) {
  w.StartObject();
  json::KV(w, "PolicyName", p.name);
  json::KV(w, "PolicyId", p.id);
  json::KV(w, "Arn", p.Arn());
  json::KV(w, "Path", p.path);
  json::KV(w, "DefaultVersionId", p.default_version);
  w.Key("AttachmentCount");
  w.Int64(p.attachment_count);
  w.Key("PermissionsBoundaryUsageCount");
  w.Int64(p.boundary_count);
  w.Key("IsAttachable");
  w.Bool(true);
  if ((view == View::kGot || view == View::kDetailed) && !p.description.empty()) {
    json::KV(w, "Description", p.description);
  }
  w.Key("CreateDate");
  json::WriteTimestamp(w, p.created_ms);
  w.Key("UpdateDate");
  json::WriteTimestamp(w, p.updated_ms);
  if (view == View::kGot || (view == View::kCreated && !p.tags.empty())) WriteTags(w, p.tags);
  if (view == View::kDetailed) {
    w.Key("PolicyVersionList");
    w.StartArray();
    for (auto it = p.versions.rbegin(); it != p.versions.rend(); ++it) {  // newest first
      w.StartObject();
      json::KV(w, "Document", UrlEncodeDocument(it->document));
      json::KV(w, "VersionId", it->version_id);
      w.Key("IsDefaultVersion");
      w.Bool(it->version_id == p.default_version);
      w.Key("CreateDate");
      json::WriteTimestamp(w, it->created_ms);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

storage::EntityQuota IamService::QuotaOf(const std::string& kind) const {
  // AWS's names of the quotas, as its LimitExceeded messages name them ("Cannot exceed quota
  // for RolesPerAccount: 1000", "... UsersPerAccount: 5000").
  if (kind == "user") return {quotas_.users, "UsersPerAccount"};
  if (kind == "group") return {quotas_.groups, "GroupsPerAccount"};
  if (kind == "role") return {quotas_.roles, "RolesPerAccount"};
  // AWS's default, not reported by GetAccountSummary: "LimitExceeded: Cannot exceed quota for
  // OpenIdConnectProvidersPerAccount: 100 status code: 409" (terraform's
  // aws_iam_openid_connect_provider, quoted in users' deployment notes).
  if (kind == storage::kOidcProviderKind) return {100, "OpenIdConnectProvidersPerAccount"};
  // The IAM quotas page: 100 SAML providers per account (the quota's name as IAM's others).
  if (kind == storage::kSamlProviderKind) return {100, "SAMLProvidersPerAccount"};
  // IAM's quotas: virtual MFA devices (assigned or not) per account are as many as users.
  if (kind == storage::kMfaDeviceKind) return {quotas_.users, "VirtualMFADevicesPerAccount"};
  if (kind == storage::kInstanceProfileKind) return {1000, "InstanceProfilesPerAccount"};
  return {quotas_.policies, "PoliciesPerAccount"};
}

namespace {

// roleDescriptionType's pattern, [\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]* (Unicode classes: RE2
// matches UTF-8): any printable text, no control characters.
bool RoleDescriptionText(std::string_view text) {
  static const auto kText =
      pattern::Compile("[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*", 64).pattern;
  return kText != nullptr && kText->FullMatch(text);
}

// IAM's own sentences for a name or access key id outside its pattern, whichever call names
// it: "The specified value for userName is invalid. It must contain only alphanumeric
// characters and/or the following: +=,.@_-", as AWS answered AttachUserPolicy and GetUser
// (app-sre/qontract-reconcile PR 2640, wallix/awless issue 277), CreateRole
// (openshift/rosa's notes) and DeleteGroupPolicy's policyName (AWS CLI transcripts); "The
// specified value for accessKeyId is invalid. It must contain only alphanumeric characters."
// as IAM emulators that copy AWS's text answer a key id.
ModelValidator::PatternSentences IamPatternSentences() {
  auto name = [](const std::string& member) {
    return "The specified value for " + member +
           " is invalid. It must contain only alphanumeric characters and/or the following: "
           "+=,.@_-";
  };
  ModelValidator::PatternSentences out;
  for (const char* shape : {"userNameType", "existingUserNameType", "groupNameType",
                            "roleNameType", "policyNameType", "instanceProfileNameType",
                            "serverCertificateNameType", "virtualMFADeviceName"}) {
    out.emplace_back(shape, name);
  }
  out.emplace_back("accessKeyIdType", [](const std::string& member) {
    return "The specified value for " + member +
           " is invalid. It must contain only alphanumeric characters.";
  });
  return out;
}

}  // namespace

IamService::IamService(storage::IdentityStore& store, const auth::IdentityResolver& resolver)
    : store_(store),
      resolver_(resolver),
      // IAM words these violations without the value ("Value at 'tags.1.member.value'
      // failed to satisfy constraint: Member must have length less than or equal to 256"), as
      // AWS answered TagUser (recorded in aws-sdk-go based emulators' tests),
      // UpdateAccountPasswordPolicy (LocalStack's validated password-policy snapshots) and
      // CreateOpenIDConnectProvider (its Url, client IDs and thumbprints: LocalStack's
      // validated test_iam_oidc.py). A list of strings is named as a whole, its element
      // violations folded into "Member must satisfy constraint: [<the element's
      // constraints>]" (kCoral), as AWS recorded for ClientIDList and ThumbprintList and as
      // IAM words UntagUser's TagKeys.
      //
      // Every member's pattern is checked before the call reaches a handler (a Get or Delete
      // of "bad name" is a ValidationError, not NoSuchEntity), where the validator can match
      // it exactly: the one-class patterns, and the description's Unicode classes.
      validator_("iam", ErrorCode::kValidation, ModelValidator::Patterns::kCharacterClasses, {},
                 ModelValidator::ListValues::kCoral,
                 {"tagKeyType", "tagValueType", "tagKeyListType", "minimumPasswordLengthType",
                  "passwordReusePreventionType", "maxPasswordAgeType",
                  "OpenIDConnectProviderUrlType", "clientIDListType", "thumbprintListType",
                  // "Value at 'pathPrefix' failed to satisfy constraint: Member must have length
                  // less than or equal to 512" (the words AWS answered an over-long PathPrefix
                  // of each List call, quoted in mulgadc/spinifex's IAM gateway tests), and
                  // so for Path and NewPath ("Value at 'path' ...", "Value at 'newPath' ...",
                  // as IAM emulators that copy AWS's text answer CreateUser and UpdateUser).
                  "pathPrefixType", "policyPathType", "pathType",
                  // IAM words a pattern violation without the value, as AWS recorded for
                  // ServiceSpecificCredentialId and AccountAlias (the ids and codes below are
                  // credentials' too).
                  "serviceSpecificCredentialId", "certificateIdType", "publicKeyIdType",
                  "authenticationCodeType", "serialNumberType", "SAMLProviderNameType",
                  "customSuffixType", "serviceNamespaceType", "roleDescriptionType",
                  "privateKeyIdType"},
                 {{"roleDescriptionType", RoleDescriptionText}}, {}, {}, IamPatternSentences()),
      query_("iam") {
  auto add = [this](const char* name, Handler h) {
    handlers_[name] = [this, h](const In& in, const CallContext& ctx) { return (this->*h)(in, ctx); };
  };
  auto add_kind = [this](const char* name, const char* kind,
                         Result<std::string> (IamService::*h)(const char*, const In&,
                                                              const CallContext&)) {
    handlers_[name] = [this, kind, h](const In& in, const CallContext& ctx) {
      return (this->*h)(kind, in, ctx);
    };
  };
  add("CreateUser", &IamService::CreateUser);
  add("GetUser", &IamService::GetUser);
  add("ListUsers", &IamService::ListUsers);
  add("DeleteUser", &IamService::DeleteUser);
  add("TagUser", &IamService::TagUser);
  add("UntagUser", &IamService::UntagUser);
  add("ListUserTags", &IamService::ListUserTags);
  add("CreateAccessKey", &IamService::CreateAccessKey);
  add("ListAccessKeys", &IamService::ListAccessKeys);
  add("UpdateAccessKey", &IamService::UpdateAccessKey);
  add("DeleteAccessKey", &IamService::DeleteAccessKey);
  add("GetAccessKeyLastUsed", &IamService::GetAccessKeyLastUsed);
  add("CreateGroup", &IamService::CreateGroup);
  add("DeleteGroup", &IamService::DeleteGroup);
  add("UpdateGroup", &IamService::UpdateGroup);
  add("AddUserToGroup", &IamService::AddUserToGroup);
  add("RemoveUserFromGroup", &IamService::RemoveUserFromGroup);
  add("ListGroupsForUser", &IamService::ListGroupsForUser);
  add("GetGroup", &IamService::GetGroup);
  add("ListGroups", &IamService::ListGroups);
  add("UpdateUser", &IamService::UpdateUser);
  add("CreateRole", &IamService::CreateRole);
  add("GetRole", &IamService::GetRole);
  add("ListRoles", &IamService::ListRoles);
  add("DeleteRole", &IamService::DeleteRole);
  add("TagRole", &IamService::TagRole);
  add("UntagRole", &IamService::UntagRole);
  add("ListRoleTags", &IamService::ListRoleTags);
  add("UpdateRole", &IamService::UpdateRole);
  add("UpdateRoleDescription", &IamService::UpdateRoleDescription);
  add("UpdateAssumeRolePolicy", &IamService::UpdateAssumeRolePolicy);
  add("ListInstanceProfilesForRole", &IamService::ListInstanceProfilesForRole);
  add("CreatePolicy", &IamService::CreatePolicy);
  add("GetPolicy", &IamService::GetPolicy);
  add("ListPolicies", &IamService::ListPolicies);
  add("DeletePolicy", &IamService::DeletePolicy);
  add("CreatePolicyVersion", &IamService::CreatePolicyVersion);
  add("GetPolicyVersion", &IamService::GetPolicyVersion);
  add("ListPolicyVersions", &IamService::ListPolicyVersions);
  add("DeletePolicyVersion", &IamService::DeletePolicyVersion);
  add("SetDefaultPolicyVersion", &IamService::SetDefaultPolicyVersion);
  add("TagPolicy", &IamService::TagPolicy);
  add("UntagPolicy", &IamService::UntagPolicy);
  add("ListPolicyTags", &IamService::ListPolicyTags);
  add("ListEntitiesForPolicy", &IamService::ListEntitiesForPolicy);
  add("GetAccountAuthorizationDetails", &IamService::GetAccountAuthorizationDetails);
  add("SimulateCustomPolicy", &IamService::SimulateCustomPolicy);
  add("SimulatePrincipalPolicy", &IamService::SimulatePrincipalPolicy);
  add("CreateAccountAlias", &IamService::CreateAccountAlias);
  add("DeleteAccountAlias", &IamService::DeleteAccountAlias);
  add("ListAccountAliases", &IamService::ListAccountAliases);
  add("GetAccountSummary", &IamService::GetAccountSummary);
  add("UpdateAccountPasswordPolicy", &IamService::UpdateAccountPasswordPolicy);
  add("GetAccountPasswordPolicy", &IamService::GetAccountPasswordPolicy);
  add("DeleteAccountPasswordPolicy", &IamService::DeleteAccountPasswordPolicy);
  add("EnableOutboundWebIdentityFederation", &IamService::EnableOutboundWebIdentityFederation);
  add("DisableOutboundWebIdentityFederation", &IamService::DisableOutboundWebIdentityFederation);
  add("GetOutboundWebIdentityFederationInfo", &IamService::GetOutboundWebIdentityFederationInfo);
  add("CreateOpenIDConnectProvider", &IamService::CreateOpenIDConnectProvider);
  add("GetOpenIDConnectProvider", &IamService::GetOpenIDConnectProvider);
  add("ListOpenIDConnectProviders", &IamService::ListOpenIDConnectProviders);
  add("DeleteOpenIDConnectProvider", &IamService::DeleteOpenIDConnectProvider);
  add("UpdateOpenIDConnectProviderThumbprint",
      &IamService::UpdateOpenIDConnectProviderThumbprint);
  add("AddClientIDToOpenIDConnectProvider", &IamService::AddClientIDToOpenIDConnectProvider);
  add("RemoveClientIDFromOpenIDConnectProvider",
      &IamService::RemoveClientIDFromOpenIDConnectProvider);
  add("TagOpenIDConnectProvider", &IamService::TagOpenIDConnectProvider);
  add("UntagOpenIDConnectProvider", &IamService::UntagOpenIDConnectProvider);
  add("ListOpenIDConnectProviderTags", &IamService::ListOpenIDConnectProviderTags);
  add("CreateSAMLProvider", &IamService::CreateSAMLProvider);
  add("GetSAMLProvider", &IamService::GetSAMLProvider);
  add("ListSAMLProviders", &IamService::ListSAMLProviders);
  add("UpdateSAMLProvider", &IamService::UpdateSAMLProvider);
  add("DeleteSAMLProvider", &IamService::DeleteSAMLProvider);
  add("TagSAMLProvider", &IamService::TagSAMLProvider);
  add("UntagSAMLProvider", &IamService::UntagSAMLProvider);
  add("ListSAMLProviderTags", &IamService::ListSAMLProviderTags);
  add("CreateServiceLinkedRole", &IamService::CreateServiceLinkedRole);
  add("DeleteServiceLinkedRole", &IamService::DeleteServiceLinkedRole);
  add("GetServiceLinkedRoleDeletionStatus", &IamService::GetServiceLinkedRoleDeletionStatus);
  add("SetSecurityTokenServicePreferences", &IamService::SetSecurityTokenServicePreferences);
  add("UploadSSHPublicKey", &IamService::UploadSSHPublicKey);
  add("GetSSHPublicKey", &IamService::GetSSHPublicKey);
  add("ListSSHPublicKeys", &IamService::ListSSHPublicKeys);
  add("UpdateSSHPublicKey", &IamService::UpdateSSHPublicKey);
  add("DeleteSSHPublicKey", &IamService::DeleteSSHPublicKey);
  add("UploadSigningCertificate", &IamService::UploadSigningCertificate);
  add("ListSigningCertificates", &IamService::ListSigningCertificates);
  add("UpdateSigningCertificate", &IamService::UpdateSigningCertificate);
  add("DeleteSigningCertificate", &IamService::DeleteSigningCertificate);
  add("UploadServerCertificate", &IamService::UploadServerCertificate);
  add("GetServerCertificate", &IamService::GetServerCertificate);
  add("ListServerCertificates", &IamService::ListServerCertificates);
  add("UpdateServerCertificate", &IamService::UpdateServerCertificate);
  add("DeleteServerCertificate", &IamService::DeleteServerCertificate);
  add("TagServerCertificate", &IamService::TagServerCertificate);
  add("UntagServerCertificate", &IamService::UntagServerCertificate);
  add("ListServerCertificateTags", &IamService::ListServerCertificateTags);
  add("CreateServiceSpecificCredential", &IamService::CreateServiceSpecificCredential);
  add("ListServiceSpecificCredentials", &IamService::ListServiceSpecificCredentials);
  add("ResetServiceSpecificCredential", &IamService::ResetServiceSpecificCredential);
  add("UpdateServiceSpecificCredential", &IamService::UpdateServiceSpecificCredential);
  add("DeleteServiceSpecificCredential", &IamService::DeleteServiceSpecificCredential);
  add("CreateLoginProfile", &IamService::CreateLoginProfile);
  add("GetLoginProfile", &IamService::GetLoginProfile);
  add("UpdateLoginProfile", &IamService::UpdateLoginProfile);
  add("DeleteLoginProfile", &IamService::DeleteLoginProfile);
  add("ChangePassword", &IamService::ChangePassword);
  add("CreateInstanceProfile", &IamService::CreateInstanceProfile);
  add("GetInstanceProfile", &IamService::GetInstanceProfile);
  add("DeleteInstanceProfile", &IamService::DeleteInstanceProfile);
  add("ListInstanceProfiles", &IamService::ListInstanceProfiles);
  add("AddRoleToInstanceProfile", &IamService::AddRoleToInstanceProfile);
  add("RemoveRoleFromInstanceProfile", &IamService::RemoveRoleFromInstanceProfile);
  add("TagInstanceProfile", &IamService::TagInstanceProfile);
  add("UntagInstanceProfile", &IamService::UntagInstanceProfile);
  add("ListInstanceProfileTags", &IamService::ListInstanceProfileTags);
  add("GetContextKeysForCustomPolicy", &IamService::GetContextKeysForCustomPolicy);
  add("GetContextKeysForPrincipalPolicy", &IamService::GetContextKeysForPrincipalPolicy);
  add("GenerateCredentialReport", &IamService::GenerateCredentialReport);
  add("GenerateServiceLastAccessedDetails", &IamService::GenerateServiceLastAccessedDetails);
  add("GetServiceLastAccessedDetails", &IamService::GetServiceLastAccessedDetails);
  add("GetServiceLastAccessedDetailsWithEntities",
      &IamService::GetServiceLastAccessedDetailsWithEntities);
  add("ListPoliciesGrantingServiceAccess", &IamService::ListPoliciesGrantingServiceAccess);
  add("GetCredentialReport", &IamService::GetCredentialReport);
  add("CreateVirtualMFADevice", &IamService::CreateVirtualMFADevice);
  add("DeleteVirtualMFADevice", &IamService::DeleteVirtualMFADevice);
  add("ListVirtualMFADevices", &IamService::ListVirtualMFADevices);
  add("EnableMFADevice", &IamService::EnableMFADevice);
  add("DeactivateMFADevice", &IamService::DeactivateMFADevice);
  add("ResyncMFADevice", &IamService::ResyncMFADevice);
  add("ListMFADevices", &IamService::ListMFADevices);
  add("GetMFADevice", &IamService::GetMFADevice);
  add("TagMFADevice", &IamService::TagMFADevice);
  add("UntagMFADevice", &IamService::UntagMFADevice);
  add("ListMFADeviceTags", &IamService::ListMFADeviceTags);
  for (const char* kind : {"User", "Group", "Role"}) {
    static const std::unordered_map<std::string, const char*> kKinds = {
        {"User", "user"}, {"Group", "group"}, {"Role", "role"}};
    const char* k = kKinds.at(kind);
    std::string K = kind;
    add_kind(("Attach" + K + "Policy").c_str(), k, &IamService::Attach);
    add_kind(("Detach" + K + "Policy").c_str(), k, &IamService::Detach);
    add_kind(("ListAttached" + K + "Policies").c_str(), k, &IamService::ListAttached);
    add_kind(("Put" + K + "Policy").c_str(), k, &IamService::PutInline);
    add_kind(("Get" + K + "Policy").c_str(), k, &IamService::GetInline);
    add_kind(("Delete" + K + "Policy").c_str(), k, &IamService::DeleteInline);
    add_kind(("List" + K + "Policies").c_str(), k, &IamService::ListInline);
    if (K != "Group") {
      add_kind(("Put" + K + "PermissionsBoundary").c_str(), k, &IamService::PutBoundary);
      add_kind(("Delete" + K + "PermissionsBoundary").c_str(), k, &IamService::DeleteBoundary);
    }
  }
}

// The resource an IAM call acts on, as its ARN with the entity's path (the request's Path
// for CreateUser/CreateRole/CreateGroup, the stored entity's otherwise, "/" for an entity
// that does not exist), a managed policy or an OIDC provider by its own ARN (a provider to be
// created by the ARN its Url names), or "*"; with the stored entity's tags and boundary.
Result<IamService::Target> IamService::TargetOf(std::string_view op, const json::Input& in,
                                                const CallContext& ctx) {
  const std::string& account = ctx.account;
  Target t;
  if (op == "GetAccessKeyLastUsed") {
    // Authorized on the user that owns the key. A key of no user of this account is refused
    // as AWS refuses it, whoever asks (the account root too), in AWS's words.
    const std::string id = in.Str("AccessKeyId").value_or("");
    ARCANA_ASSIGN_OR_RETURN(auto key, store_.GetUserAccessKey(id));
    if (!key || key->account != account) {
      const std::string& caller = ctx.principal ? ctx.principal->arn : ctx.principal_arn;
      return Status(ErrorCode::kAccessDenied,
                    "User: " + caller +
                        " is not authorized to perform iam:GetAccessKeyLastUsed on resource: "
                        "access key " + id);
    }
    std::string path = "/";
    ARCANA_ASSIGN_OR_RETURN(auto user, store_.GetEntity(account, "user", key->user_name));
    if (user) {
      ARCANA_ASSIGN_OR_RETURN(Identity found, storage::IdentityFromEntity(*user));
      if (!found.path.empty()) path = found.path;
      t.tags.insert(found.tags.begin(), found.tags.end());
    }
    t.arn = domain::iam::IdentityArn(account, "user", path, key->user_name);
    return t;
  }
  // Last accessed information: a report is generated on the user, group, role or managed
  // policy its Arn names, and the policies granting access are listed on the user, group or
  // role (their resource types in IAM's Service Authorization Reference); the Get calls read a
  // job, and act on "*".
  if (op == "GenerateServiceLastAccessedDetails" || op == "ListPoliciesGrantingServiceAccess") {
    t.arn = in.Str("Arn").value_or("*");
    return t;
  }
  // An instance profile's calls act on the profile (Add/RemoveRoleToInstanceProfile name a
  // role too: their resource type is instance-profile in IAM's Service Authorization
  // Reference); ListInstanceProfilesForRole acts on the role, below.
  if (auto profile = in.Str("InstanceProfileName")) {
    std::string path = in.Str("Path").value_or("/");
    if (op != "CreateInstanceProfile") {
      ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(account, storage::kInstanceProfileKind,
                                                       *profile));
      if (e) {
        ARCANA_ASSIGN_OR_RETURN(auto p, storage::InstanceProfileFromEntity(*e));
        path = p.path;
        t.tags.insert(p.tags.begin(), p.tags.end());
      }
    }
    domain::iam::InstanceProfile named;
    named.account = account;
    named.path = path;
    named.name = *profile;
    t.arn = named.Arn();
    return t;
  }
  // A server certificate's calls act on the certificate (resource type server-certificate in
  // IAM's Service Authorization Reference): its ARN with the request's Path for
  // UploadServerCertificate, the stored certificate's path and name otherwise ("/" when there
  // is none). UpdateServerCertificate is authorized on the new ARN too, by the call itself.
  if (auto cert = in.Str("ServerCertificateName")) {
    domain::iam::ServerCertificate named;
    named.account = account;
    named.path = in.Str("Path").value_or("/");
    named.name = *cert;
    if (op != "UploadServerCertificate") {
      named.path = "/";
      ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(account, storage::kServerCertificateKind,
                                                       *cert));
      if (e) {
        ARCANA_ASSIGN_OR_RETURN(auto c, storage::ServerCertificateFromEntity(*e));
        named.path = c.path;
        named.name = c.name;  // a name in another case names the same certificate
        t.tags.insert(c.tags.begin(), c.tags.end());
      }
    }
    t.arn = named.Arn();
    return t;
  }
  // The identity first: AttachUserPolicy acts on the user, not on the policy it names.
  // AddUserToGroup and RemoveUserFromGroup act on the group (their resource type in IAM's
  // Service Authorization Reference is group, as in AWS's example policy that lets a user
  // manage one group's membership): on the user, a Deny of the Admins group was evaded.
  const bool on_group = op == "AddUserToGroup" || op == "RemoveUserFromGroup";
  for (const auto& [member, kind] : {std::pair{"UserName", "user"}, std::pair{"RoleName", "role"},
                                     std::pair{"GroupName", "group"}}) {
    if (on_group && std::string_view(kind) != "group") continue;
    auto name = in.Str(member);
    if (!name) continue;
    std::string path = "/";
    std::string arn_name = *name;
    if (op.starts_with("Create") && in.Has("Path")) {
      path = in.Str("Path").value_or("/");
    } else {
      ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(account, kind, *name));
      if (e) {
        ARCANA_ASSIGN_OR_RETURN(Identity found, storage::IdentityFromEntity(*e));
        if (!found.path.empty()) path = found.path;
        // The entity's own ARN: a name is found whatever its case (IAM names are
        // case-insensitive), and a policy naming the ARN must not be evaded by writing
        // "alice" for the user Alice.
        arn_name = found.name;
        // A user or role about to be created has no tags yet (its request's are RequestTags).
        if (!op.starts_with("Create")) {
          t.tags.insert(found.tags.begin(), found.tags.end());
          t.boundary_arn = found.boundary_arn;
        }
      }
    }
    t.arn = domain::iam::IdentityArn(account, kind, path, arn_name);
    if (std::string_view(kind) != "group" && op != "CreateUser" && op != "CreateRole") {
      t.denial = std::string(kind) + " " + arn_name;
    }
    return t;
  }
  for (const char* member :
       {"PolicyArn", "PolicySourceArn", "OpenIDConnectProviderArn", "SAMLProviderArn"}) {
    auto arn = in.Str(member);
    if (!arn) continue;
    t.arn = *arn;
    if (std::string_view(member) == "PolicyArn") {
      auto parsed = domain::iam::ParsePolicyArn(*arn);
      if (parsed && parsed->first == account) {
        ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(account, "policy", parsed->second));
        if (e) {
          ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, storage::PolicyFromEntity(*e));
          if (p.Arn() == *arn) t.tags.insert(p.tags.begin(), p.tags.end());
        }
      }
    }
    return t;
  }
  if (op == "CreateOpenIDConnectProvider") {
    t.arn = OidcProviderArnOfUrl(account, in.Str("Url").value_or(""));
    return t;
  }
  // The role it would create (iam:AWSServiceName is the request's condition key).
  if (op == "CreateServiceLinkedRole") {
    t.arn = ServiceLinkedRoleArn(account, in.Str("AWSServiceName").value_or(""),
                                 in.Str("CustomSuffix").value_or(""));
    return t;
  }
  if (op == "CreateSAMLProvider") {
    t.arn = SamlProviderArnOfName(account, in.Str("Name").value_or(""));
    return t;
  }
  // A virtual MFA device's own calls act on the device (its resource type "mfa" in IAM's
  // Service Authorization Reference); those that name a user acted on the user above.
  if (op == "CreateVirtualMFADevice") {
    domain::iam::MfaDevice d;
    d.account = account;
    d.path = in.Str("Path").value_or("/");
    d.name = in.Str("VirtualMFADeviceName").value_or("");
    t.arn = d.SerialNumber();
    return t;
  }
  if (auto serial = in.Str("SerialNumber")) {
    t.arn = *serial;
    auto parsed = domain::iam::ParseMfaSerial(*serial);
    if (parsed && parsed->account == account) {
      ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(account, storage::kMfaDeviceKind,
                                                       parsed->name));
      if (e && e->id == *serial) {
        ARCANA_ASSIGN_OR_RETURN(auto d, storage::MfaDeviceFromEntity(*e));
        t.tags.insert(d.tags.begin(), d.tags.end());
      }
    }
    return t;
  }
  if (auto name = in.Str("PolicyName")) {
    t.arn = domain::iam::IdentityArn(account, "policy", in.Str("Path").value_or("/"), *name);
    if (op == "CreatePolicy") t.denial = "policy " + *name;
    return t;
  }
  // Without a UserName these act on the calling user itself.
  static constexpr std::string_view kSelf[] = {"GetUser", "CreateAccessKey", "ListAccessKeys",
                                               "UpdateAccessKey", "DeleteAccessKey",
                                               "ListMFADevices", "ChangePassword",
                                               "ListSSHPublicKeys", "UploadSigningCertificate",
                                               "ListSigningCertificates",
                                               "UpdateSigningCertificate",
                                               "DeleteSigningCertificate",
                                               "ListServiceSpecificCredentials",
                                               "ResetServiceSpecificCredential",
                                               "UpdateServiceSpecificCredential",
                                               "DeleteServiceSpecificCredential"};
  if (ctx.principal && !ctx.principal->user_name.empty() &&
      std::find(std::begin(kSelf), std::end(kSelf), op) != std::end(kSelf)) {
    t.arn = ctx.principal->arn;
    t.denial = "user " + ctx.principal->user_name;
    t.tags = ctx.principal->tags;
    return t;
  }
  t.arn = "*";
  return t;
}

void IamService::AddRequestKeys(std::string_view op, const json::Input& in, const Target& target,
                                auth::AccessRequest& req) {
  if (op.starts_with("Attach") || op.starts_with("Detach")) {
    if (auto arn = in.Str("PolicyArn")) req.keys.Set("iam:PolicyARN", *arn);
  }
  if (op.ends_with("PermissionsBoundary") || op == "CreateUser" || op == "CreateRole") {
    // The boundary set, or for Delete*PermissionsBoundary the one being removed.
    std::string boundary = in.Str("PermissionsBoundary").value_or(
        op.starts_with("Delete") ? target.boundary_arn : "");
    if (!boundary.empty()) req.keys.Set("iam:PermissionsBoundary", std::move(boundary));
  }
  if (op == "CreateServiceLinkedRole") {
    if (auto service = in.Str("AWSServiceName")) req.keys.Set("iam:AWSServiceName", *service);
  }
  std::vector<std::string> tag_keys;
  if (const auto* tags = in.Get("Tags"); tags != nullptr && tags->IsArray()) {
    for (const auto& tag : tags->GetArray()) {
      std::string key = json::StrField(tag, "Key");
      req.keys.Set("aws:RequestTag/" + key, json::StrField(tag, "Value"));
      tag_keys.push_back(std::move(key));
    }
  }
  if (op.starts_with("Untag")) tag_keys = in.StrList("TagKeys").value_or(tag_keys);
  if (!tag_keys.empty()) req.keys.SetList("aws:TagKeys", std::move(tag_keys));
}

Result<std::string> IamService::Call(std::string_view operation, const rapidjson::Value& input,
                                     const CallContext& ctx) {
  auto it = handlers_.find(std::string(operation));
  if (it == handlers_.end()) {
    return Status(ErrorCode::kUnknownOperation,
                  "Operation " + std::string(operation) + " is not supported by this server.");
  }
  In in(input);
  // A request-shape check, before the caller is authorized, as the model's constraints are.
  ARCANA_RETURN_IF_ERROR(CheckPathPrefix(operation, in));
  // Credentials from GetFederationToken, or from GetSessionToken without MFA, call no IAM
  // operation whatever their policies allow, as AWS documents.
  if (ctx.principal) {
    ARCANA_RETURN_IF_ERROR(auth::CheckTemporaryCredentialUse(*ctx.principal, "iam", operation));
  }
  ARCANA_ASSIGN_OR_RETURN(Target target, TargetOf(operation, in, ctx));
  // The audit record's resources: the entity the call acts on, and a managed policy it
  // attaches, detaches or sets as a boundary.
  if (const char* type = audit::IamResourceType(target.arn)) ctx.Touch(type, target.arn);
  for (const char* member : {"PolicyArn", "PermissionsBoundary"}) {
    const std::string arn = in.Str(member).value_or("");
    const char* type = audit::IamResourceType(arn);
    if (arn != target.arn && type != nullptr && std::string_view(type) == audit::kIamPolicyType) {
      ctx.Touch(audit::kIamPolicyType, arn);
    }
  }
  auth::AccessRequest req;
  req.action = "iam:" + std::string(operation);
  req.resource_arn = target.arn;
  req.denial_resource = target.denial;
  // aws:ResourceTag/* and iam:ResourceTag/*: the user's, role's or policy's tags.
  req.resource_tags = &target.tags;
  req.service_tag_prefix = "iam";
  AddRequestKeys(operation, in, target, req);
  ARCANA_ASSIGN_OR_RETURN(bool granted, GrantedByPasswordPolicy(operation, ctx));
  if (!granted) ARCANA_RETURN_IF_ERROR(auth::Check(ctx, req));
  // The tags of a create call, on the resource it creates, with the same request keys.
  if (const char* tag_action = TagActionOfCreate(operation); tag_action != nullptr) {
    if (const auto* tags = in.Get("Tags"); tags != nullptr && tags->IsArray() && !tags->Empty()) {
      req.action = tag_action;
      ARCANA_RETURN_IF_ERROR(auth::Check(ctx, req));
    }
  }
  ARCANA_RETURN_IF_ERROR(CheckModifiable(operation, target));
  return it->second(in, ctx);
}

// A service-linked role is changed only by its service: deleting it (but through
// DeleteServiceLinkedRole), its policies, trust policy or boundary is UnmodifiableEntity in
// AWS's words, as its answers to DetachRolePolicy, PutRolePolicy, DeleteRolePolicy and
// UpdateAssumeRolePolicy are quoted by users (cloud-nuke#880, aws-nuke#331). Its description
// and tags may be changed, as on AWS.
Status IamService::CheckModifiable(std::string_view operation, const Target& target) {
  static constexpr std::string_view kProtected[] = {
      "DeleteRole", "PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy",
      "UpdateAssumeRolePolicy", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary"};
  if (std::find(std::begin(kProtected), std::end(kProtected), operation) ==
          std::end(kProtected) ||
      !IsServiceLinkedRoleArn(target.arn)) {
    return Status::Ok();
  }
  const std::string name = target.arn.substr(target.arn.rfind('/') + 1);
  return Status(ErrorCode::kUnmodifiableEntity, "Cannot perform the operation on the protected role '" +
                                                    name + "' - this role is only modifiable by AWS");
}

// The API reference of UpdateAccountPasswordPolicy: AllowUsersToChangePassword "gives IAM
// users permissions to iam:ChangePassword for only their user and to the
// iam:GetAccountPasswordPolicy action", whatever their policies say.
Result<bool> IamService::GrantedByPasswordPolicy(std::string_view operation,
                                                 const CallContext& ctx) {
  if (operation != "ChangePassword" && operation != "GetAccountPasswordPolicy") return false;
  if (!ctx.principal || ctx.principal->type != auth::Principal::Type::kUser) return false;
  ARCANA_ASSIGN_OR_RETURN(auto policy, AccountPasswordPolicy(ctx));
  return policy && policy->allow_users_to_change;
}

Result<Identity> IamService::Load(const CallContext& ctx, const std::string& kind,
                                  const std::string& name) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, kind, name));
  if (!e) {
    return Status(ErrorCode::kResourceNotFound,
                  "The " + kind + " with name " + name + " cannot be found.");
  }
  return storage::IdentityFromEntity(*e);
}

Result<ManagedPolicy> IamService::LoadPolicy(const CallContext& ctx, const std::string& arn) {
  auto missing = Status(ErrorCode::kResourceNotFound,
                        "Policy " + arn + " does not exist or is not attachable.");
  auto parsed = domain::iam::ParsePolicyArn(arn);
  if (!parsed) {
    return Status(ErrorCode::kInvalidParameter, "ARN " + arn + " is not valid.");
  }
  if (domain::iam::IsAwsManagedPolicyArn(arn)) {
    const auto* aws = domain::iam::FindAwsManagedPolicy(arn);
    if (aws == nullptr) return missing;
    ARCANA_ASSIGN_OR_RETURN(Uses u, AwsPolicyUse(ctx, arn));
    return WithUses(*aws, {{arn, u}});
  }
  if (parsed->first != ctx.account) return missing;
  ARCANA_ASSIGN_OR_RETURN(auto e, store_.GetEntity(ctx.account, "policy", parsed->second));
  if (!e) return missing;
  ARCANA_ASSIGN_OR_RETURN(auto p, storage::PolicyFromEntity(*e));
  if (p.Arn() != arn) return missing;
  return p;
}

Result<std::map<std::string, IamService::Uses>> IamService::AwsPolicyUses(
    const CallContext& ctx) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::map<std::string, Uses> uses;
    bool counted = false;
    std::string after;
    while (true) {
      ARCANA_ASSIGN_OR_RETURN(auto rows, store_.ListEntities(ctx.account,
                                                             storage::kAwsPolicyUsesKind, "/",
                                                             after, 1000));
      for (const auto& e : rows) {
        ARCANA_ASSIGN_OR_RETURN(Uses u, storage::AwsPolicyUsesFromEntity(e));
        if (u.arn == storage::kAwsPolicyUsesCounted) {
          counted = true;
        } else {
          uses.emplace(u.arn, std::move(u));
        }
      }
      if (rows.size() < 1000) break;
      after = rows.back().name;
    }
    if (counted) return uses;
    ARCANA_RETURN_IF_ERROR(CountAwsPolicyUses(ctx));
  }
  return Status(ErrorCode::kInternalServiceError, "the AWS managed policy counts are missing");
}

Result<IamService::Uses> IamService::AwsPolicyUse(const CallContext& ctx,
                                                  const std::string& arn) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    ARCANA_ASSIGN_OR_RETURN(auto e,
                            store_.GetEntity(ctx.account, storage::kAwsPolicyUsesKind, arn));
    if (e) return storage::AwsPolicyUsesFromEntity(*e);
    // No row: a policy the account has not used since its counts exist, or no counts yet.
    ARCANA_ASSIGN_OR_RETURN(auto counted, store_.GetEntity(ctx.account, storage::kAwsPolicyUsesKind,
                                                           storage::kAwsPolicyUsesCounted));
    if (counted) {
      Uses none;
      none.account = ctx.account;
      none.arn = arn;
      return none;
    }
    ARCANA_RETURN_IF_ERROR(CountAwsPolicyUses(ctx));
  }
  return Status(ErrorCode::kInternalServiceError, "the AWS managed policy counts are missing");
}

Status IamService::CountAwsPolicyUses(const CallContext& ctx) {
  return RetryOnConflict([&]() -> Status {
    // The account's own policies first: their revisions guard the boundary counts below.
    std::map<std::string, ManagedPolicy> own;  // by ARN
    std::string after;
    while (true) {
      ARCANA_ASSIGN_OR_RETURN(auto rows,
                              store_.ListEntities(ctx.account, "policy", "/", after, 100));
      for (const auto& e : rows) {
        ARCANA_ASSIGN_OR_RETURN(ManagedPolicy p, storage::PolicyFromEntity(e));
        own.emplace(p.Arn(), std::move(p));
      }
      if (rows.size() < 100) break;
      after = rows.back().name;
    }
    std::map<std::string, Uses> uses;
    std::map<std::string, int64_t> own_bounding;
    for (const char* kind : {"user", "group", "role"}) {
      after.clear();
      while (true) {
        ARCANA_ASSIGN_OR_RETURN(auto rows, store_.ListEntities(ctx.account, kind, "/", after, 100));
        for (const auto& e : rows) {
          ARCANA_ASSIGN_OR_RETURN(Identity i, storage::IdentityFromEntity(e));
          for (const auto& arn : i.attached) {
            if (domain::iam::IsAwsManagedPolicyArn(arn)) ++uses[arn].attached;
          }
          if (domain::iam::IsAwsManagedPolicyArn(i.boundary_arn)) {
            ++uses[i.boundary_arn].bounding;
          } else if (!i.boundary_arn.empty()) {
            ++own_bounding[i.boundary_arn];
          }
        }
        if (rows.size() < 100) break;
        after = rows.back().name;
      }
    }
    Uses counted;
    counted.account = ctx.account;
    counted.arn = storage::kAwsPolicyUsesCounted;
    counted.created_ms = ctx.now_ms;
    std::vector<storage::EntityWrite> writes{
        {storage::EntityWrite::Op::kPut, storage::ToEntity(counted)}};
    for (auto& [arn, u] : uses) {
      u.account = ctx.account;
      u.arn = arn;
      u.created_ms = ctx.now_ms;
      writes.push_back({storage::EntityWrite::Op::kPut, storage::ToEntity(u)});
    }
    for (auto& [arn, p] : own) {
      auto it = own_bounding.find(arn);
      const int64_t bounding = it == own_bounding.end() ? 0 : it->second;
      if (p.boundary_count == bounding) continue;
      p.boundary_count = bounding;
      writes.push_back({storage::EntityWrite::Op::kPut, storage::ToEntity(p)});
    }
    Status st = WriteEntities(ctx, writes, "CountAwsManagedPolicyUses");
    // Another request counted them first (its marker exists): its counts hold.
    if (st.code() == ErrorCode::kResourceExists) return Status::Ok();
    return st;
  });
}

Status IamService::CountAwsPolicyUse(const CallContext& ctx, const std::string& arn,
                                     int attached, int bounding,
                                     std::vector<storage::EntityWrite>& writes) {
  auto move = [&](Uses& u) {
    u.attached = std::max<int64_t>(0, u.attached + attached);
    u.bounding = std::max<int64_t>(0, u.bounding + bounding);
  };
  for (auto& w : writes) {
    if (w.entity.kind == storage::kAwsPolicyUsesKind && w.entity.account == ctx.account &&
        w.entity.name == arn) {
      ARCANA_ASSIGN_OR_RETURN(Uses again, storage::AwsPolicyUsesFromEntity(w.entity));
      move(again);
      w.entity = storage::ToEntity(again);
      return Status::Ok();
    }
  }
  ARCANA_ASSIGN_OR_RETURN(Uses u, AwsPolicyUse(ctx, arn));
  if (u.revision == 0) {
    if (attached <= 0 && bounding <= 0) return Status::Ok();
    // The policy's first use since the counts exist: its row (zero) is made on its own, and
    // the attempt runs again on it (a concurrent first use may have made it first: fine).
    u.created_ms = ctx.now_ms;
    Status st = WriteEntities(ctx, {{storage::EntityWrite::Op::kPut, storage::ToEntity(u)}},
                              "CountAwsManagedPolicyUses");
    if (!st.ok() && st.code() != ErrorCode::kResourceExists) return st;
    return Status(ErrorCode::kWriteConflict, "aws-policy-uses " + arn + " was just created");
  }
  move(u);
  writes.push_back({storage::EntityWrite::Op::kPut, storage::ToEntity(u)});
  return Status::Ok();
}

Status IamService::GuardAwsPolicyUses(const CallContext& ctx, const Identity& renamed,
                                      std::vector<storage::EntityWrite>& writes) {
  const bool uses = domain::iam::IsAwsManagedPolicyArn(renamed.boundary_arn) ||
                    std::any_of(renamed.attached.begin(), renamed.attached.end(),
                                [](const std::string& arn) {
                                  return domain::iam::IsAwsManagedPolicyArn(arn);
                                });
  if (!uses) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(Uses counted, CountedUses(ctx));
  writes.push_back({storage::EntityWrite::Op::kPut, storage::ToEntity(counted)});
  return Status::Ok();
}

ManagedPolicy IamService::WithUses(const ManagedPolicy& p,
                                   const std::map<std::string, Uses>& uses) {
  ManagedPolicy out = p;
  if (auto it = uses.find(p.Arn()); it != uses.end()) {
    out.attachment_count = it->second.attached;
    out.boundary_count = it->second.bounding;
  }
  return out;
}

Status IamService::RefuseAwsManaged(const CallContext& ctx, const char* action,
                                    const std::string& arn) {
  if (domain::iam::FindAwsManagedPolicy(arn) == nullptr) return Status::Ok();
  const std::string& caller = ctx.principal ? ctx.principal->arn : ctx.principal_arn;
  return Status(ErrorCode::kAccessDenied, "User: " + caller +
                                              " is not authorized to perform: iam:" + action +
                                              " on resource: policy " + arn);
}

Status IamService::CheckBoundary(const CallContext& ctx, const std::string& arn) {
  auto p = LoadPolicy(ctx, arn);
  if (p.ok() || p.status().code() != ErrorCode::kResourceNotFound) return p.status();
  return Status(ErrorCode::kResourceNotFound,
                "Scope ARN: " + arn + " does not exist or is not attachable.");
}

Status IamService::CountBoundaryUse(const CallContext& ctx, const std::string& arn, int delta,
                                    std::vector<storage::EntityWrite>& writes) {
  auto p = LoadPolicy(ctx, arn);
  if (!p.ok()) {
    if (delta < 0 && p.status().code() == ErrorCode::kResourceNotFound) return Status::Ok();
    if (p.status().code() == ErrorCode::kResourceNotFound) return CheckBoundary(ctx, arn);
    return p.status();
  }
  // An AWS managed policy is not stored: the account's counts of it are rows of their own.
  if (domain::iam::IsAwsManagedPolicyArn(arn)) {
    return CountAwsPolicyUse(ctx, arn, 0, delta, writes);
  }
  // Several writes may name the same policy (a boundary replaced by itself is not counted).
  for (auto& w : writes) {
    if (w.entity.kind == "policy" && w.entity.name == p->name && w.entity.account == p->account) {
      ARCANA_ASSIGN_OR_RETURN(auto again, storage::PolicyFromEntity(w.entity));
      again.boundary_count = std::max<int64_t>(0, again.boundary_count + delta);
      w.entity = storage::ToEntity(again);
      return Status::Ok();
    }
  }
  p->boundary_count = std::max<int64_t>(0, p->boundary_count + delta);
  writes.push_back({storage::EntityWrite::Op::kPut, storage::ToEntity(*p)});
  return Status::Ok();
}

Status IamService::DeleteIdentity(const CallContext& ctx, const std::string& kind,
                                  const std::string& name, const char* op,
                                  const std::vector<storage::EntityWrite>& also) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity i, Load(ctx, kind, name));
    if (!i.attached.empty()) {
      return Status(ErrorCode::kConflict, "Cannot delete entity, must detach all policies first.");
    }
    if (!i.inline_policies.empty()) {
      return Status(ErrorCode::kConflict, "Cannot delete entity, must delete policies first.");
    }
    // A user's groups, a group's members: membership is recorded on both sides.
    if (!i.groups.empty()) {
      return Status(ErrorCode::kConflict,
                    "Cannot delete entity, must remove users from group first.");
    }
    // AWS's words (a Java SDK's DeleteConflict quoted in aws-k8s-tester; the same as
    // DeleteInstanceProfile's, recorded).
    if (!i.instance_profiles.empty()) {
      return Status(ErrorCode::kConflict,
                    "Cannot delete entity, must remove roles from instance profile first.");
    }
    // AWS's words (quoted from its answers in ansible/ansible#27247 and aws-nuke's issues).
    if (!i.mfa_devices.empty()) {
      return Status(ErrorCode::kConflict, "Cannot delete entity, must delete MFA device first.");
    }
    // AWS's words (real CLI and Terraform output quoted in public repositories).
    if (i.login) {
      return Status(ErrorCode::kConflict, "Cannot delete entity, must delete login profile first.");
    }
    // AWS's words for these two were not recorded: worded as its others.
    if (!i.ssh_keys.empty()) {
      return Status(ErrorCode::kConflict, "Cannot delete entity, must delete SSH public keys first.");
    }
    if (!i.certificates.empty()) {
      return Status(ErrorCode::kConflict,
                    "Cannot delete entity, must delete signing certificates first.");
    }
    // Recorded (LocalStack's AWS-validated test_delete_user_after_service_credential_created).
    if (kind == "user") {
      ARCANA_ASSIGN_OR_RETURN(bool has_credentials, HasServiceSpecificCredentials(i));
      if (has_credentials) {
        return Status(ErrorCode::kConflict,
                      "Cannot delete entity, must remove service specific credentials first.");
      }
    }
    std::vector<storage::EntityWrite> writes{
        {storage::EntityWrite::Op::kDelete, storage::ToEntity(i)}};
    writes.insert(writes.end(), also.begin(), also.end());
    // Its boundary policy no longer bounds it (AWS deletes a bounded user or role).
    if (!i.boundary_arn.empty()) {
      ARCANA_RETURN_IF_ERROR(CountBoundaryUse(ctx, i.boundary_arn, -1, writes));
    }
    return WriteEntities(ctx, writes, op);
  });
}

Status IamService::ForEachEntity(const CallContext& ctx, const char* kind,
                                 const std::function<Status(const storage::IamEntity&)>& each) {
  constexpr size_t kPage = 1000;
  std::string after;
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto rows, store_.ListEntities(ctx.account, kind, "/", after, kPage));
    for (const auto& e : rows) ARCANA_RETURN_IF_ERROR(each(e));
    if (rows.size() < kPage) return Status::Ok();
    after = rows.back().name;
  }
}

Status IamService::Update(const CallContext& ctx, const std::string& kind,
                          const std::string& name, const char* op,
                          const std::function<Status(Identity&)>& change) {
  return RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity i, Load(ctx, kind, name));
    ARCANA_RETURN_IF_ERROR(change(i));
    return WriteEntities(ctx, {{storage::EntityWrite::Op::kPut, storage::ToEntity(i)}}, op);
  });
}

}  // namespace arcana::services::iam

namespace arcana::services::iam {

namespace {

// One use of a managed policy by an identity, as its policy-use row holds it.
struct PolicyUse {
  std::string kind;  // kPolicyAttachedKind / kPolicyBoundsKind + the policy's ARN
  std::string name;  // PolicyUseName(identity kind, identity name)
  std::string id;
  std::string path;
  bool operator==(const PolicyUse&) const = default;
};

// Keyed as the store keys the rows: (kind, name_key).
using PolicyUses = std::map<std::pair<std::string, std::string>, PolicyUse>;

void AddUses(const domain::iam::Identity& i, PolicyUses& out) {
  auto add = [&](const char* family, const std::string& arn) {
    PolicyUse u{family + arn, storage::PolicyUseName(i.kind, i.name), i.id, i.path};
    out[{u.kind, storage::IamNameKey(u.name)}] = std::move(u);
  };
  for (const auto& arn : i.attached) add(storage::kPolicyAttachedKind, arn);
  if (!i.boundary_arn.empty()) add(storage::kPolicyBoundsKind, i.boundary_arn);
}

bool IsIdentityKind(const std::string& kind) {
  return kind == "user" || kind == "group" || kind == "role";
}

storage::IamEntity UseEntity(const std::string& account, const PolicyUse& u, int64_t now_ms) {
  return {account, u.kind, u.name, u.id, u.path, "{}", now_ms, 0};
}

}  // namespace

Status IamService::WriteEntities(const CallContext& ctx, std::vector<storage::EntityWrite> writes,
                                 const std::string& op) {
  ARCANA_RETURN_IF_ERROR(IndexPolicyUses(ctx, writes));
  return store_.WriteEntities(writes, op);
}

Status IamService::IndexPolicyUses(const CallContext& ctx,
                                   std::vector<storage::EntityWrite>& writes) {
  using Op = storage::EntityWrite::Op;
  // The rows' wanted state after the write, for the keys it changes (nullopt: no row).
  std::map<std::pair<std::string, std::string>, std::optional<PolicyUse>> changed;
  for (const auto& w : writes) {
    if (!IsIdentityKind(w.entity.kind)) continue;
    PolicyUses before, after;
    if (w.op == Op::kDelete || w.entity.revision != 0) {
      ARCANA_ASSIGN_OR_RETURN(auto stored,
                              store_.GetEntity(w.entity.account, w.entity.kind, w.entity.name));
      // The write would not apply: it conflicts in the store as well.
      if (!stored || stored->revision != w.entity.revision) {
        return Status(ErrorCode::kWriteConflict, w.entity.kind + " " + w.entity.name);
      }
      ARCANA_ASSIGN_OR_RETURN(domain::iam::Identity was, storage::IdentityFromEntity(*stored));
      AddUses(was, before);
    }
    if (w.op == Op::kPut) {
      ARCANA_ASSIGN_OR_RETURN(domain::iam::Identity will, storage::IdentityFromEntity(w.entity));
      AddUses(will, after);
    }
    for (const auto& [key, use] : before) {
      if (!after.contains(key)) changed[key] = std::nullopt;
    }
    for (const auto& [key, use] : after) {
      auto it = before.find(key);
      if (it == before.end() || !(it->second == use)) changed[key] = use;
    }
  }
  if (changed.empty()) return Status::Ok();
  ARCANA_RETURN_IF_ERROR(EnsurePolicyUses(ctx));
  for (const auto& [key, want] : changed) {
    ARCANA_ASSIGN_OR_RETURN(auto row, store_.GetEntity(ctx.account, key.first, key.second));
    if (!want) {
      if (row) writes.push_back({Op::kDelete, *row});
      continue;
    }
    storage::IamEntity e = UseEntity(ctx.account, *want, ctx.now_ms);
    if (row) {
      if (row->name == e.name && row->id == e.id && row->path == e.path) continue;
      e.revision = row->revision;
      e.created_ms = row->created_ms;
    }
    writes.push_back({Op::kPut, std::move(e)});
  }
  return Status::Ok();
}

Status IamService::EnsurePolicyUses(const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto marker,
                          store_.GetEntity(ctx.account, storage::kPolicyUsesIndexedKind,
                                           storage::kPolicyUsesIndexed));
  if (marker) return Status::Ok();
  // A row rewritten meanwhile (only when rows were left without the marker) conflicts: the
  // identities are read again. Reads (ListEntitiesForPolicy) retry too.
  return RetryOnConflict([&]() -> Status { return MakePolicyUses(ctx); });
}

Status IamService::MakePolicyUses(const CallContext& ctx) {
  using Op = storage::EntityWrite::Op;
  PolicyUses uses;
  for (const char* kind : {"user", "group", "role"}) {
    std::string after;
    while (true) {
      ARCANA_ASSIGN_OR_RETURN(auto rows, store_.ListEntities(ctx.account, kind, "/", after, 1000));
      for (const auto& e : rows) {
        ARCANA_ASSIGN_OR_RETURN(domain::iam::Identity i, storage::IdentityFromEntity(e));
        AddUses(i, uses);
      }
      if (rows.size() < 1000) break;
      after = rows.back().name;
    }
  }
  // Two passes: all creates first (the common case: no row exists); when one exists without
  // the marker (rows left by an interrupted store edit), each row is read and rewritten.
  for (bool read_rows : {false, true}) {
    std::vector<storage::EntityWrite> writes{
        {Op::kPut,
         {ctx.account, storage::kPolicyUsesIndexedKind, storage::kPolicyUsesIndexed, "", "/", "{}",
          ctx.now_ms, 0}}};
    for (const auto& [key, use] : uses) {
      storage::IamEntity e = UseEntity(ctx.account, use, ctx.now_ms);
      if (read_rows) {
        ARCANA_ASSIGN_OR_RETURN(auto row, store_.GetEntity(ctx.account, key.first, key.second));
        if (row) e.revision = row->revision;
      }
      writes.push_back({Op::kPut, std::move(e)});
    }
    Status st = store_.WriteEntities(writes, "IndexPolicyUses");
    if (st.code() != ErrorCode::kResourceExists) return st;
    // Another request made them first (its marker exists): its rows hold.
    ARCANA_ASSIGN_OR_RETURN(auto marker, store_.GetEntity(ctx.account,
                                                          storage::kPolicyUsesIndexedKind,
                                                          storage::kPolicyUsesIndexed));
    if (marker) return Status::Ok();
  }
  return Status(ErrorCode::kWriteConflict, "the policy-use rows changed while they were made");
}

}  // namespace arcana::services::iam
