#include "services/common/aws_error.h"

#include "common/json.h"

namespace arcana::services {

AwsErrorInfo LookupError(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return {"", 200};
    case ErrorCode::kSerialization: return {"SerializationException", 400};
    case ErrorCode::kUnknownOperation: return {"UnknownOperationException", 400};
    case ErrorCode::kMissingAuthToken: return {"MissingAuthenticationTokenException", 403};
    case ErrorCode::kIncompleteSignature: return {"IncompleteSignatureException", 400};
    case ErrorCode::kInvalidSignature: return {"InvalidSignatureException", 400};
    case ErrorCode::kUnrecognizedClient: return {"UnrecognizedClientException", 400};
    case ErrorCode::kExpiredToken: return {"ExpiredTokenException", 400};
    case ErrorCode::kAccessDenied: return {"AccessDeniedException", 400};
    case ErrorCode::kValidation: return {"ValidationException", 400};
    case ErrorCode::kThrottling: return {"ThrottlingException", 400};
    case ErrorCode::kRequestEntityTooLarge: return {"RequestEntityTooLargeException", 413};
    case ErrorCode::kServiceUnavailable: return {"ServiceUnavailableException", 503};
    case ErrorCode::kInternalFailure: return {"InternalFailure", 500};
    case ErrorCode::kResourceNotFound: return {"ResourceNotFoundException", 400};
    case ErrorCode::kInvalidParameter: return {"InvalidParameterException", 400};
    case ErrorCode::kInvalidRequest: return {"InvalidRequestException", 400};
    case ErrorCode::kResourceExists: return {"ResourceExistsException", 400};
    case ErrorCode::kLimitExceeded: return {"LimitExceededException", 400};
    case ErrorCode::kDecryptionFailure: return {"DecryptionFailure", 400};
    case ErrorCode::kEncryptionFailure: return {"EncryptionFailure", 400};
    case ErrorCode::kMalformedPolicyDocument: return {"MalformedPolicyDocumentException", 400};
    case ErrorCode::kPublicPolicy: return {"PublicPolicyException", 400};
    case ErrorCode::kPreconditionNotMet: return {"PreconditionNotMetException", 400};
    case ErrorCode::kInvalidNextToken: return {"InvalidNextTokenException", 400};
    case ErrorCode::kInternalServiceError: return {"InternalServiceError", 500};
  }
  return {"InternalFailure", 500};
}

std::string ErrorBody(const Status& status) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "__type", LookupError(status.code()).type);
  json::KV(w, "message", status.message());
  json::KV(w, "Message", status.message());
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace arcana::services
