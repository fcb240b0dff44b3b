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
    // Retries of an optimistic-concurrency conflict ran out: the caller may retry, as after
    // throttling (services/common/write_retry.h).
    case ErrorCode::kWriteConflict: return {"ThrottlingException", 400};
    case ErrorCode::kWouldBlock: return {"InternalFailure", 500};  // never meant to leave
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
    // --- KMS --- Every client error answers 400, as recorded AWS responses show, even
    // where the Smithy model carries another httpError trait (NotFound 404, Disabled /
    // KMSInvalidState / AlreadyExists / Conflict 409, DryRunOperation 412).
    case ErrorCode::kKmsNotFound: return {"NotFoundException", 400};
    case ErrorCode::kDisabled: return {"DisabledException", 400};
    case ErrorCode::kKmsInvalidState: return {"KMSInvalidStateException", 400};
    case ErrorCode::kAlreadyExists: return {"AlreadyExistsException", 400};
    case ErrorCode::kInvalidCiphertext: return {"InvalidCiphertextException", 400};
    case ErrorCode::kIncorrectKey: return {"IncorrectKeyException", 400};
    case ErrorCode::kInvalidKeyUsage: return {"InvalidKeyUsageException", 400};
    case ErrorCode::kKmsInvalidSignature: return {"KMSInvalidSignatureException", 400};
    case ErrorCode::kKmsInvalidMac: return {"KMSInvalidMacException", 400};
    case ErrorCode::kInvalidAliasName: return {"InvalidAliasNameException", 400};
    case ErrorCode::kInvalidArn: return {"InvalidArnException", 400};
    case ErrorCode::kInvalidGrantToken: return {"InvalidGrantTokenException", 400};
    case ErrorCode::kInvalidGrantId: return {"InvalidGrantIdException", 400};
    case ErrorCode::kTag: return {"TagException", 400};
    case ErrorCode::kUnsupportedOperation: return {"UnsupportedOperationException", 400};
    case ErrorCode::kInvalidMarker: return {"InvalidMarkerException", 400};
    case ErrorCode::kKmsLimitExceeded: return {"LimitExceededException", 400};
    case ErrorCode::kKmsMalformedPolicyDocument: return {"MalformedPolicyDocumentException", 400};
    case ErrorCode::kKmsInternal: return {"KMSInternalException", 500};
    case ErrorCode::kKeyUnavailable: return {"KeyUnavailableException", 500};
    case ErrorCode::kDependencyTimeout: return {"DependencyTimeoutException", 503};
    case ErrorCode::kConflict: return {"ConflictException", 400};
    case ErrorCode::kDryRunOperation: return {"DryRunOperationException", 400};
    case ErrorCode::kCustomKeyStoreNotFound: return {"CustomKeyStoreNotFoundException", 400};
    case ErrorCode::kIncorrectKeyMaterial: return {"IncorrectKeyMaterialException", 400};
    case ErrorCode::kInvalidImportToken: return {"InvalidImportTokenException", 400};
    case ErrorCode::kExpiredImportToken: return {"ExpiredImportTokenException", 400};
    // --- SSM ---
    case ErrorCode::kParameterNotFound: return {"ParameterNotFound", 400};
    case ErrorCode::kParameterAlreadyExists: return {"ParameterAlreadyExists", 400};
    case ErrorCode::kParameterVersionNotFound: return {"ParameterVersionNotFound", 400};
    case ErrorCode::kParameterMaxVersionLimitExceeded:
      return {"ParameterMaxVersionLimitExceeded", 400};
    case ErrorCode::kParameterLimitExceeded: return {"ParameterLimitExceeded", 400};
    case ErrorCode::kParameterPatternMismatch: return {"ParameterPatternMismatchException", 400};
    case ErrorCode::kParameterVersionLabelLimitExceeded:
      return {"ParameterVersionLabelLimitExceeded", 400};
    case ErrorCode::kInvalidAllowedPattern: return {"InvalidAllowedPatternException", 400};
    case ErrorCode::kHierarchyLevelLimitExceeded:
      return {"HierarchyLevelLimitExceededException", 400};
    case ErrorCode::kHierarchyTypeMismatch: return {"HierarchyTypeMismatchException", 400};
    case ErrorCode::kUnsupportedParameterType: return {"UnsupportedParameterType", 400};
    case ErrorCode::kInvalidKeyId: return {"InvalidKeyId", 400};
    case ErrorCode::kPoliciesLimitExceeded: return {"PoliciesLimitExceededException", 400};
    case ErrorCode::kInvalidPolicyType: return {"InvalidPolicyTypeException", 400};
    case ErrorCode::kInvalidPolicyAttribute: return {"InvalidPolicyAttributeException", 400};
    case ErrorCode::kIncompatiblePolicy: return {"IncompatiblePolicyException", 400};
    case ErrorCode::kInvalidFilterKey: return {"InvalidFilterKey", 400};
    case ErrorCode::kInvalidFilterOption: return {"InvalidFilterOption", 400};
    case ErrorCode::kInvalidFilterValue: return {"InvalidFilterValue", 400};
    case ErrorCode::kSsmInvalidNextToken: return {"InvalidNextToken", 400};
    case ErrorCode::kInvalidResourceType: return {"InvalidResourceType", 400};
    case ErrorCode::kInvalidResourceId: return {"InvalidResourceId", 400};
    case ErrorCode::kTooManyTagsError: return {"TooManyTagsError", 400};
    case ErrorCode::kTooManyUpdates: return {"TooManyUpdates", 400};
    case ErrorCode::kSsmInternalServerError: return {"InternalServerError", 500};
    case ErrorCode::kServiceSettingNotFound: return {"ServiceSettingNotFound", 400};
    case ErrorCode::kResourcePolicyInvalidParameter:
      return {"ResourcePolicyInvalidParameterException", 400};
    case ErrorCode::kResourcePolicyLimitExceeded:
      return {"ResourcePolicyLimitExceededException", 400};
    case ErrorCode::kResourcePolicyConflict: return {"ResourcePolicyConflictException", 400};
    case ErrorCode::kResourcePolicyNotFound: return {"ResourcePolicyNotFoundException", 400};
    case ErrorCode::kMalformedResourcePolicyDocument:
      return {"MalformedResourcePolicyDocumentException", 400};
    // --- end SSM ---
    case ErrorCode::kEventsResourceNotFound: return {"ResourceNotFoundException", 400};
    case ErrorCode::kEventsLimitExceeded: return {"LimitExceededException", 400};
    case ErrorCode::kEventsResourceAlreadyExists: return {"ResourceAlreadyExistsException", 400};
    case ErrorCode::kPolicyLengthExceeded: return {"PolicyLengthExceededException", 400};
    case ErrorCode::kInvalidEventPattern: return {"InvalidEventPatternException", 400};
    case ErrorCode::kIllegalStatus: return {"IllegalStatusException", 400};
    case ErrorCode::kInvalidParameterValue: return {"InvalidParameterValue", 400};
    case ErrorCode::kInvalidTimeRange: return {"InvalidTimeRangeException", 400};
    case ErrorCode::kInvalidLookupAttributes: return {"InvalidLookupAttributesException", 400};
    case ErrorCode::kInvalidIdentityToken: return {"InvalidIdentityToken", 400};
    case ErrorCode::kWebIdentityTokenExpired: return {"ExpiredTokenException", 400};
    case ErrorCode::kIdpRejectedClaim: return {"IDPRejectedClaim", 403};
    case ErrorCode::kInvalidAuthenticationCode: return {"InvalidAuthenticationCode", 403};
    case ErrorCode::kReportNotPresent: return {"ReportNotPresent", 410};
    case ErrorCode::kReportExpired: return {"ReportExpired", 410};
    case ErrorCode::kReportInProgress: return {"ReportInProgress", 404};
    case ErrorCode::kPasswordPolicyViolation: return {"PasswordPolicyViolation", 400};
    case ErrorCode::kInvalidUserType: return {"InvalidUserType", 400};
    case ErrorCode::kDuplicateSshPublicKey: return {"DuplicateSSHPublicKey", 400};
    case ErrorCode::kInvalidPublicKey: return {"InvalidPublicKey", 400};
    case ErrorCode::kUnrecognizedPublicKeyEncoding: return {"UnrecognizedPublicKeyEncoding", 400};
    case ErrorCode::kMalformedCertificate: return {"MalformedCertificate", 400};
    case ErrorCode::kDuplicateCertificate: return {"DuplicateCertificate", 409};
    case ErrorCode::kKeyPairMismatch: return {"KeyPairMismatch", 400};
    case ErrorCode::kUnmodifiableEntity: return {"UnmodifiableEntity", 400};
    case ErrorCode::kInvalidAuthorizationMessage:
      return {"InvalidAuthorizationMessageException", 400};
    case ErrorCode::kFeatureEnabled: return {"FeatureEnabled", 409};
    case ErrorCode::kFeatureDisabled: return {"FeatureDisabled", 404};
    case ErrorCode::kOutboundFederationDisabled:
      return {"OutboundWebIdentityFederationDisabledException", 403};
    case ErrorCode::kSessionDurationEscalation: return {"SessionDurationEscalationException", 403};
    case ErrorCode::kJwtPayloadSizeExceeded: return {"JWTPayloadSizeExceededException", 400};
  }
  return {"InternalFailure", 500};
}

namespace {

// Which message member(s) AWS sends for a code. Secrets Manager's modelled exceptions carry
// `Message` (its model's member name; recorded AWS bodies are {"__type","Message"}); the
// front end's ValidationException carries `message`. Other codes keep both keys.
enum class MessageKeys { kUpper, kLower, kBoth };

MessageKeys MessageKeysOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kResourceNotFound:
    case ErrorCode::kInvalidParameter:
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kResourceExists:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kDecryptionFailure:
    case ErrorCode::kEncryptionFailure:
    case ErrorCode::kMalformedPolicyDocument:
    case ErrorCode::kPublicPolicy:
    case ErrorCode::kPreconditionNotMet:
    case ErrorCode::kInvalidNextToken:
    case ErrorCode::kInternalServiceError:
      return MessageKeys::kUpper;
    case ErrorCode::kValidation:
    case ErrorCode::kEventsResourceNotFound:
    case ErrorCode::kEventsLimitExceeded:
    case ErrorCode::kEventsResourceAlreadyExists:
    case ErrorCode::kPolicyLengthExceeded:
    case ErrorCode::kInvalidEventPattern:
    case ErrorCode::kIllegalStatus:
      return MessageKeys::kLower;
    default:
      return MessageKeys::kBoth;
  }
}

}  // namespace

std::string ErrorBody(const Status& status) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "__type", LookupError(status.code()).type);
  // Errors AWS sends without a message (InvalidCiphertextException,
  // KMSInvalidSignatureException, KMSInvalidMacException) carry no message member at
  // all, not an empty one.
  if (!status.message().empty()) {
    const MessageKeys keys = MessageKeysOf(status.code());
    if (keys != MessageKeys::kUpper) json::KV(w, "message", status.message());
    if (keys != MessageKeys::kLower) json::KV(w, "Message", status.message());
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace arcana::services
