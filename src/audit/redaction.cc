#include "audit/redaction.h"

#include <array>
#include <algorithm>

#include "audit/utf8_text.h"
#include "common/json.h"

namespace arcana::audit {
namespace {

constexpr size_t kMaxString = 1024;
constexpr size_t kMaxItems = 100;

// Member names whose scalar values are metadata in every operation of the services served
// (Lambda's: function names, ARNs, runtime, handler, role, sizes; never Payload, ZipFile,
// LogResult or environment values).
// Sorted (binary search). Adding a name here is a security decision: check that no
// operation of any modelled service uses it for a value, plaintext or password.
constexpr std::array<std::string_view, 148> kSafe = {
    "ARN", "AccessKeyId", "AliasArn", "AliasName", "AllowedPattern", "Arn",
    "AutomaticallyAfterDays", "BypassPolicyLockoutSafetyCheck", "ClientRequestToken",
    "CodeSha256", "CodeSize", "Constraints", "CreatedDate", "CreationDate",
    "CurrentKeyMaterialId", "CustomKeyStoreId", "CustomerMasterKeySpec", "DataKeyPairSpec",
    "DataKeySpec", "DataType", "DeletedDate", "DeletionDate", "Description",
    "DestinationEncryptionAlgorithm", "DestinationKeyId", "DryRun", "Duration", "Enabled",
    "EncryptionAlgorithm", "ExcludeCharacters", "ExcludeLowercase", "ExcludeNumbers",
    "ExcludePunctuation", "ExcludeUppercase", "ExecutedVersion", "ForceDeleteWithoutRecovery",
    "ForceOverwriteReplicaSecret", "FunctionArn", "FunctionError", "FunctionName", "GrantId",
    "GrantName", "GranteePrincipal", "GroupName", "Handler", "IncludeDeprecated",
    "IncludePlannedDeletion", "IncludeSpace", "InvocationType", "KeyArn", "KeyId", "KeyManager",
    "KeyMaterialId", "KeySpec", "KeyState", "KeyUsage", "KmsKeyId", "Label", "Labels",
    "LastAccessedDate", "LastChangedDate", "LastModified", "LastModifiedDate",
    "LastModifiedUser", "LastRotatedDate", "LastRotationDate", "LastUpdatedDate", "Limit",
    "LogType", "MacAlgorithm", "Marker", "MaxItems", "MaxResults", "MemorySize", "MessageType",
    "MultiRegion", "Name", "Names", "NextMarker", "NextRotationDate", "NextToken",
    "NumberOfBytes", "Operations", "Origin", "OwningService", "PackageType", "ParameterVersion",
    "PasswordLength", "Path", "PendingDeletionWindowInDays", "PendingWindowInDays", "Policies",
    "Policy", "PolicyArn", "PolicyName", "PolicyStatus", "PolicyText", "PolicyType",
    "PrimaryRegion", "Qualifier", "RecoveryWindowInDays", "Recursive", "Region",
    "RequireEachIncludedType", "ResourceId", "ResourcePolicy", "ResourceType",
    "RetiringPrincipal", "Role", "RoleArn", "RoleName", "RoleSessionName", "RotateImmediately",
    "RotationEnabled", "RotationLambdaARN", "RotationPeriodInDays", "RotationRules",
    "RotationType", "Runtime", "ScheduleExpression", "SecretId", "SecretIdList", "SecretIds",
    "Selector", "SettingId", "SettingValue", "SigningAlgorithm", "SortBy", "SortOrder",
    "SourceEncryptionAlgorithm", "SourceKeyId", "State", "Status", "StatusCode",
    "StatusMessage", "TagKeys", "TargetKeyId", "Tier", "Timeout", "Type", "UserName", "ValidTo",
    "Version", "VersionId", "VersionIdsToStages", "VersionStage", "VersionStages",
    "WithDecryption",
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

static_assert(std::is_sorted(kSafe.begin(), kSafe.end()), "kSafe must stay sorted");

bool InSorted(std::string_view name) {
  return std::binary_search(kSafe.begin(), kSafe.end(), name);
}

void WriteString(json::Writer& w, std::string_view s) {
  s = CutUtf8(s, kMaxString);  // never inside a character: the record stays UTF-8
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Writes v, keeping a scalar only when copy_all (inside a safe subtree) or its member name
// is safe, and never when hide_all (inside a hidden subtree); containers keep their shape,
// bounded in depth and items.
void Walk(json::Writer& w, std::string_view member, const rapidjson::Value& v, int depth,
          bool copy_all, bool hide_all = false) {
  if (v.IsObject()) {
    w.StartObject();
    if (depth < 16) {
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        std::string_view name(it->name.GetString(), it->name.GetStringLength());
        WriteString(w, name);
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
      Walk(w, member, item, depth + 1, copy_all, hide_all);  // items take the list's name
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
  v.Accept(w);  // number, bool
}

}  // namespace

bool IsSafeMember(std::string_view name) { return InSorted(name); }

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
  for (std::string_view o : {"Encrypt", "Decrypt", "ReEncrypt", "Sign", "Verify", "VerifyMac",
                             "GenerateMac", "GenerateRandom", "GenerateDataKey",
                             "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
                             "GenerateDataKeyPairWithoutPlaintext", "DeriveSharedSecret"}) {
    if (op == o) return true;
  }
  return false;
}

}  // namespace arcana::audit
