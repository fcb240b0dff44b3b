#include "audit/redaction.h"

#include <array>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include "audit/utf8_text.h"
#include "common/json.h"

namespace arcana::audit {
namespace {

constexpr size_t kMaxString = 1024;
constexpr size_t kMaxItems = 100;

// Member names whose scalar values are metadata in every operation of the services served
// (Lambda's: function names, ARNs, runtime, handler, role, sizes; never Payload, ZipFile,
// LogResult or environment values; EventBridge connections' and API destinations': ARNs,
// states, authorization types, times, never Password, ApiKeyValue, ClientSecret, a
// parameter's Key or Value, or an endpoint URL, which may carry credentials; archives' and
// replays' names, ARNs, times, counts and sizes).
// Sorted (binary search). Adding a name here is a security decision: check that no
// operation of any modelled service uses it for a value, plaintext or password.
constexpr std::array<std::string_view, 191> kSafe = {
    "ARN", "AccessKeyId", "AliasArn", "AliasName", "AllowedPattern", "ApiDestinationArn",
    "ApiDestinationState", "ArchiveArn", "ArchiveName", "Arn", "AssignmentStatus", "Audience",
    "AuthorizationType", "AutomaticallyAfterDays", "BypassPolicyLockoutSafetyCheck",
    "ClientRequestToken", "CodeSha256", "CodeSize", "ConnectionArn", "ConnectionState",
    "Constraints", "CreatedDate", "CreationDate", "CreationTime", "CurrentKeyMaterialId",
    "CustomKeyStoreId", "CustomerMasterKeySpec", "DataKeyPairSpec", "DataKeySpec", "DataType",
    "DeletedDate", "DeletionDate", "Description", "DestinationEncryptionAlgorithm",
    "DestinationKeyId", "DryRun", "Duration", "EnableDate", "Enabled", "EncryptionAlgorithm",
    "EventBusName", "EventCount", "EventEndTime", "EventLastReplayedTime", "EventSourceArn",
    "EventStartTime", "ExcludeCharacters", "ExcludeLowercase", "ExcludeNumbers",
    "ExcludePunctuation", "ExcludeUppercase", "ExecutedVersion", "FilterArns",
    "ForceDeleteWithoutRecovery", "ForceOverwriteReplicaSecret", "FunctionArn", "FunctionError",
    "FunctionName", "GrantId", "GrantName", "GranteePrincipal", "GroupName", "Handler",
    "HttpMethod", "IncludeDeprecated", "IncludePlannedDeletion", "IncludeSpace",
    "InvocationRateLimitPerSecond", "InvocationType", "Issuer", "KeyArn", "KeyId", "KeyManager",
    "KeyMaterialId", "KeySpec", "KeyState", "KeyUsage", "KmsKeyId", "Label", "Labels",
    "LastAccessedDate", "LastAuthorizedTime", "LastChangedDate", "LastModified",
    "LastModifiedDate", "LastModifiedTime", "LastModifiedUser", "LastRotatedDate",
    "LastRotationDate", "LastUpdatedDate", "Limit", "LogType", "MacAlgorithm", "Marker",
    "MaxItems", "MaxResults", "MemorySize", "MessageType", "MultiRegion", "Name", "NamePrefix",
    "NameQualifier", "Names", "NewServerCertificateName", "NextMarker", "NextRotationDate",
    "NextToken", "NumberOfBytes", "Operations", "Origin", "OwningService", "PackageType",
    "ParameterVersion", "PasswordLength", "Path", "PendingDeletionWindowInDays",
    "PendingWindowInDays", "Policies", "Policy", "PolicyArn", "PolicyName", "PolicyStatus",
    "PolicyText", "PolicyType", "PrimaryRegion", "PrincipalArn", "Qualifier",
    "RecoveryWindowInDays", "Recursive", "Region", "ReplayArn", "ReplayEndTime", "ReplayName",
    "ReplayStartTime", "RequireEachIncludedType", "ResourceId", "ResourcePolicy", "ResourceType",
    "RetentionDays", "RetiringPrincipal", "Role", "RoleArn", "RoleName", "RoleSessionName",
    "RotateImmediately", "RotationEnabled", "RotationLambdaARN", "RotationPeriodInDays",
    "RotationRules", "RotationType", "Runtime", "SAMLProviderArn", "ScheduleExpression",
    "SecretId", "SecretIdList", "SecretIds", "Selector", "SerialNumber", "ServerCertificateName",
    "ServiceName", "ServiceSpecificCredentialId", "ServiceUserName", "SettingId", "SettingValue",
    "SigningAlgorithm", "SizeBytes", "SortBy", "SortOrder", "SourceEncryptionAlgorithm",
    "SourceKeyId", "State", "StateReason", "Status", "StatusCode", "StatusMessage", "Subject",
    "SubjectType", "TagKeys", "TargetKeyId", "Tier", "Timeout", "Type", "UserName", "ValidTo",
    "Version", "VersionId", "VersionIdsToStages", "VersionStage", "VersionStages",
    "VirtualMFADeviceName", "WithDecryption",
};

// Subtrees copied whole: metadata by AWS's definition.
constexpr std::array<std::string_view, 5> kSafeSubtree = {
    "EncryptionContext", "Filters", "ParameterFilters", "TagList", "Tags",
};

// Maps whose keys are the caller's own names, not members: every value under them is hidden,
// whatever its key (Lambda's Environment.Variables: a variable named "Name", "Description" or
// "Role" would otherwise pass the allow-list with its value; EventBridge HTTP targets'
// HttpParameters headers and query strings, which carry API keys and tokens).
constexpr std::array<std::string_view, 3> kHiddenSubtree = {
    "HeaderParameters", "QueryStringParameters", "Variables"};

// Map-typed members of the served operations' shapes: their keys are the caller's (an
// encryption context's, a version id's, a variable's name), written as given, where every
// structure member's name is written as CloudTrail writes it (CloudTrailName). Lambda's Tags
// is a map; every other service's Tags is a list, whose items are structures.
constexpr std::array<std::string_view, 13> kMapMembers = {
    "AdditionalVersionWeights", "DestinationEncryptionContext", "EncryptionContext",
    "EncryptionContextEquals", "EncryptionContextSubset", "HeaderParameters", "InputPathsMap",
    "QueryStringParameters", "SecretVersionsToStages", "SourceEncryptionContext", "Tags",
    "Variables", "VersionIdsToStages"};

static_assert(std::is_sorted(kSafe.begin(), kSafe.end()), "kSafe must stay sorted");

bool InSorted(std::string_view name) {
  return std::binary_search(kSafe.begin(), kSafe.end(), name);
}

// Whether CloudTrail writes this member name with a lower-case first letter: Java's
// decapitalizing, which leaves a name that begins with two capitals as it is ("KeyId" ->
// "keyId", "AWSAccountId" and "ARN" unchanged; AWS KMS's CloudTrail CreateKey example).
bool Decapitalized(std::string_view name) {
  return !name.empty() && name[0] >= 'A' && name[0] <= 'Z' &&
         !(name.size() > 1 && name[1] >= 'A' && name[1] <= 'Z');
}

// Timestamp members of the served operations' answers (epoch seconds on the wire), which
// CloudTrail writes as dates ("creationDate": "Aug 10, 2022, 10:38:27 PM", AWS KMS's CloudTrail
// CreateKey example). Sorted.
constexpr std::array<std::string_view, 12> kTimestampMembers = {
    "CreatedDate",      "CreationDate",     "DeletedDate",     "DeletionDate",
    "LastAccessedDate", "LastChangedDate",  "LastModifiedDate", "LastRotatedDate",
    "LastRotationDate", "LastUpdatedDate",  "NextRotationDate", "ValidTo"};
static_assert(std::is_sorted(kTimestampMembers.begin(), kTimestampMembers.end()));

bool IsTimestampMember(std::string_view name) {
  return std::binary_search(kTimestampMembers.begin(), kTimestampMembers.end(), name);
}

// "Aug 10, 2022, 10:38:27 PM" (UTC), as CloudTrail writes a timestamp in responseElements.
std::string CloudTrailDate(double epoch_seconds) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (!(epoch_seconds > -1e12 && epoch_seconds < 1e12)) return "";
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  const int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %d, %d, %d:%02d:%02d %s", kMonths[tm.tm_mon], tm.tm_mday,
                tm.tm_year + 1900, hour12, tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
  return buf;
}

void WriteString(json::Writer& w, std::string_view s) {
  s = CutUtf8(s, kMaxString);  // never inside a character: the record stays UTF-8
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Writes v, keeping a scalar only when copy_all (inside a safe subtree) or its member name
// is safe, and never when hide_all (inside a hidden subtree); containers keep their shape,
// bounded in depth and items. An object's member names are written as CloudTrail writes
// them, a map's keys (kMapMembers) as given.
void Walk(json::Writer& w, std::string_view member, const rapidjson::Value& v, int depth,
          bool copy_all, bool hide_all = false, bool list_item = false) {
  if (v.IsObject()) {
    const bool map = !list_item && std::find(kMapMembers.begin(), kMapMembers.end(), member) !=
                                       kMapMembers.end();
    w.StartObject();
    if (depth < 16) {
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        std::string_view name(it->name.GetString(), it->name.GetStringLength());
        WriteString(w, map ? name : std::string_view(CloudTrailName(name)));
        const bool subtree =
            std::find(kSafeSubtree.begin(), kSafeSubtree.end(), name) != kSafeSubtree.end();
        const bool hidden =
            std::find(kHiddenSubtree.begin(), kHiddenSubtree.end(), name) != kHiddenSubtree.end();
        Walk(w, name, it->value, depth + 1, copy_all || subtree, hide_all || hidden);
      }
    }
    w.EndObject();
    return;
  }
  if (v.IsArray()) {
    w.StartArray();
    size_t n = 0;
    for (const auto& item : v.GetArray()) {
      if (++n > kMaxItems || depth >= 16) break;
      Walk(w, member, item, depth + 1, copy_all, hide_all, true);  // items take the list's name
    }
    w.EndArray();
    return;
  }
  if (v.IsNull()) {
    w.Null();
    return;
  }
  if (hide_all || (!copy_all && !IsSafeMember(member))) {
    w.String(kHidden);
    return;
  }
  if (v.IsString()) return WriteString(w, {v.GetString(), v.GetStringLength()});
  if (v.IsNumber() && IsTimestampMember(member)) {
    return WriteString(w, CloudTrailDate(v.GetDouble()));
  }
  v.Accept(w);  // number, bool
}

// The strings Walk would write as kHidden, by the same rules (safe and hidden subtrees,
// the allow-list), bounded as Walk is in depth and items.
void CollectHidden(std::string_view member, const rapidjson::Value& v, int depth, bool copy_all,
                   bool hide_all, std::vector<std::string_view>& out) {
  if (depth > 16) return;
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      std::string_view name(it->name.GetString(), it->name.GetStringLength());
      const bool subtree =
          std::find(kSafeSubtree.begin(), kSafeSubtree.end(), name) != kSafeSubtree.end();
      const bool hidden =
          std::find(kHiddenSubtree.begin(), kHiddenSubtree.end(), name) != kHiddenSubtree.end();
      CollectHidden(name, it->value, depth + 1, copy_all || subtree, hide_all || hidden, out);
    }
  } else if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      CollectHidden(member, item, depth + 1, copy_all, hide_all, out);
    }
  } else if (v.IsString() && v.GetStringLength() > 0 &&
             (hide_all || (!copy_all && !IsSafeMember(member)))) {
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
}

void ReplaceAll(std::string& s, std::string_view what, std::string_view with) {
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

}  // namespace

bool IsSafeMember(std::string_view name) { return InSorted(name); }

std::string RedactedMessage(std::string_view message, const rapidjson::Value& input) {
  std::string out(message);
  if (out.empty() || !input.IsObject()) return out;
  std::vector<std::string_view> hidden;
  CollectHidden("", input, 0, false, false, hidden);
  // Longest first: a value that contains another is replaced whole.
  std::sort(hidden.begin(), hidden.end(),
            [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  for (std::string_view value : hidden) {
    if (value.size() >= 4) {
      ReplaceAll(out, value, kHidden);
    } else {
      ReplaceAll(out, "'" + std::string(value) + "'", std::string("'") + kHidden + "'");
    }
  }
  return out;
}

std::string CloudTrailName(std::string_view member) {
  std::string out(member);
  if (Decapitalized(out)) out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string RedactedJson(const rapidjson::Value& v) {
  if (!v.IsObject()) return "";
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  Walk(w, "", v, 0, false);
  return std::string(buf.GetString(), buf.GetSize());
}

bool IsReadOnlyOperation(std::string_view op) {
  for (std::string_view p : {"Get", "List", "Describe", "BatchGet", "Lookup", "Validate"}) {
    if (op.substr(0, p.size()) == p) return true;
  }
  // STS's AssumeRole* change nothing stored: CloudTrail records them readOnly true (a recorded
  // AssumeRole event, LookupEvents ReadOnly "true", eventVersion 1.11), as it does
  // GetSessionToken and GetFederationToken (Get* above).
  for (std::string_view o : {"Encrypt", "Decrypt", "ReEncrypt", "Sign", "Verify", "VerifyMac",
                             "GenerateMac", "GenerateRandom", "GenerateDataKey",
                             "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
                             "GenerateDataKeyPairWithoutPlaintext", "DeriveSharedSecret",
                             "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}) {
    if (op == o) return true;
  }
  return false;
}

bool RecordsResponseElements(std::string_view op) {
  for (std::string_view o : {"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML",
                             "GetSessionToken", "GetFederationToken"}) {
    if (op == o) return true;
  }
  return false;
}

}  // namespace arcana::audit
