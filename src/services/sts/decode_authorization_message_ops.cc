// STS DecodeAuthorizationMessage: the decoded form of an encoded authorization-failure message.
// AWS encodes such messages in some services' AccessDenied answers (EC2's
// "Encoded authorization failure message: ..."); none of the services Arcana serves does (their
// denials say who was refused what, as AWS's Secrets Manager, KMS, SSM and IAM do), so no
// message Arcana could have issued exists and every message given is refused as AWS refuses
// one it did not issue: InvalidAuthorizationMessageException 400 (the model's error shape;
// AWS's code as its integration tests assert it; its message text was not found).
// The caller must be allowed sts:DecodeAuthorizationMessage on "*" first, as on AWS.
#include "auth/authorizer.h"
#include "services/sts/sts_service.h"

namespace arcana::services::sts {

Result<std::string> StsService::DecodeAuthorizationMessage(const json::Input&,
                                                           const CallContext& ctx) {
  auth::AccessRequest access;
  access.action = "sts:DecodeAuthorizationMessage";
  access.resource_arn = "*";
  ARCANA_RETURN_IF_ERROR(auth::Check(ctx, access));
  return Status(ErrorCode::kInvalidAuthorizationMessage,
                "The authorization message is invalid: it was not encoded by this service.");
}

}  // namespace arcana::services::sts
