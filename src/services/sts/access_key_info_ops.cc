// STS GetAccessKeyInfo: the account that owns an access key id - an IAM user's or the account
// root's long-term key, or the temporary key of a session this STS issued - whoever's account
// it is (as in AWS, the caller may ask about any key, its own account's or not).
// In order: the id's model pattern ([\w]*; its length, 16 to 128, is the validator's); the
// caller's permission: sts:GetAccessKeyInfo on "*" (the action has no resource type), which
// AWS requires, unlike GetCallerIdentity's, so an explicit Deny refuses it; then the lookup
// (auth/access_key_owner.h). As AWS documents, the answer says nothing of the key's state.
// A key Arcana does not hold is NoSuchEntity (404) in IAM's words for a missing access key:
// AWS reads the account out of the id itself, which Arcana cannot do for a key it never
// issued (its ids are random), and AWS documents that a deleted key "might return an error
// that the key doesn't exist" - an error, never a guessed account.
#include <cctype>

#include "auth/access_key_owner.h"
#include "auth/authorizer.h"
#include "services/sts/sts_service.h"

namespace arcana::services::sts {
namespace {

// accessKeyIdType's pattern, [\w]*: letters, digits and '_', worded as the validator words a
// pattern violation (the STS validator checks lengths only; patterns are checked per
// operation, as CheckSessionName does for session names).
Status CheckAccessKeyIdPattern(const std::string& id) {
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '_') continue;
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value '" + id +
                      "' at 'accessKeyId' failed to satisfy constraint: Member must satisfy "
                      "regular expression pattern: [\\w]*");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> StsService::GetAccessKeyInfo(const json::Input& in, const CallContext& ctx) {
  const std::string id = *in.Str("AccessKeyId");
  ARCANA_RETURN_IF_ERROR(CheckAccessKeyIdPattern(id));
  auth::AccessRequest access;
  access.action = "sts:GetAccessKeyInfo";
  access.resource_arn = "*";
  ARCANA_RETURN_IF_ERROR(auth::Check(ctx, access));
  ARCANA_ASSIGN_OR_RETURN(auto account, auth::AccountOfAccessKey(root_keys_, store_, id));
  if (!account) {
    return Status(ErrorCode::kResourceNotFound,
                  "The Access Key with id " + id + " cannot be found.");
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Account", *account);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::sts
