// Errors are values. A Status is either OK or a (code, message) pair; Result<T> holds
// either a T or a non-OK Status. The code is a closed set of AWS error codes (the
// `__type` strings), so mapping to the wire is a table lookup in net/aws_error.cc.
// Thread-safety: plain values, copyable, no shared state.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace arcana {

// Every error code a handler may raise. Stored nowhere, so the order may change.
enum class ErrorCode {
  kOk = 0,
  // Protocol / common
  kSerialization,            // SerializationException
  kUnknownOperation,         // UnknownOperationException
  kMissingAuthToken,         // MissingAuthenticationTokenException
  kIncompleteSignature,      // IncompleteSignatureException
  kInvalidSignature,         // InvalidSignatureException
  kUnrecognizedClient,       // UnrecognizedClientException
  kExpiredToken,             // ExpiredTokenException
  kAccessDenied,             // AccessDeniedException
  kValidation,               // ValidationException
  kThrottling,               // ThrottlingException
  kRequestEntityTooLarge,    // RequestEntityTooLargeException (body over the limit)
  kServiceUnavailable,       // ServiceUnavailable (sealed, shutting down)
  kInternalFailure,          // InternalFailure
  // A store write lost an optimistic-concurrency race (storage/store_types.h). Internal: the
  // service re-reads and retries; if retries run out it reaches the wire as ThrottlingException.
  kWriteConflict,
  // A store call refused because the calling thread may not wait for the database
  // (storage/no_wait.h). Internal: the pipeline runs the call again on a worker. Should one
  // ever escape, it reaches the wire as InternalFailure.
  kWouldBlock,
  // Secrets Manager
  kResourceNotFound,         // ResourceNotFoundException
  kInvalidParameter,         // InvalidParameterException
  kInvalidRequest,           // InvalidRequestException
  kResourceExists,           // ResourceExistsException
  kLimitExceeded,            // LimitExceededException
  kDecryptionFailure,        // DecryptionFailure
  kEncryptionFailure,        // EncryptionFailure
  kMalformedPolicyDocument,  // MalformedPolicyDocumentException
  kPublicPolicy,             // PublicPolicyException
  kPreconditionNotMet,       // PreconditionNotMetException
  kInvalidNextToken,         // InvalidNextTokenException
  kInternalServiceError,     // InternalServiceError
  // --- KMS ---
  kKmsNotFound,              // NotFoundException (400 on the wire, like every KMS client error)
  kDisabled,                 // DisabledException
  kKmsInvalidState,          // KMSInvalidStateException
  kAlreadyExists,            // AlreadyExistsException
  kInvalidCiphertext,        // InvalidCiphertextException
  kIncorrectKey,             // IncorrectKeyException
  kInvalidKeyUsage,          // InvalidKeyUsageException
  kKmsInvalidSignature,      // KMSInvalidSignatureException
  kKmsInvalidMac,            // KMSInvalidMacException
  kInvalidAliasName,         // InvalidAliasNameException
  kInvalidArn,               // InvalidArnException
  kInvalidGrantToken,        // InvalidGrantTokenException
  kInvalidGrantId,           // InvalidGrantIdException
  kTag,                      // TagException
  kUnsupportedOperation,     // UnsupportedOperationException
  kInvalidMarker,            // InvalidMarkerException
  kKmsLimitExceeded,         // LimitExceededException (KMS)
  kKmsMalformedPolicyDocument,  // MalformedPolicyDocumentException (KMS)
  kKmsInternal,              // KMSInternalException (500)
  kKeyUnavailable,           // KeyUnavailableException (500)
  kDependencyTimeout,        // DependencyTimeoutException (503)
  kConflict,                 // ConflictException
  kDryRunOperation,          // DryRunOperationException
  kIncorrectKeyMaterial,     // IncorrectKeyMaterialException
  kInvalidImportToken,       // InvalidImportTokenException
  kExpiredImportToken,       // ExpiredImportTokenException
  kCustomKeyStoreNotFound,   // CustomKeyStoreNotFoundException
  // --- SSM ---
  kParameterNotFound,                // ParameterNotFound
  kParameterAlreadyExists,           // ParameterAlreadyExists
  kParameterVersionNotFound,         // ParameterVersionNotFound
  kParameterMaxVersionLimitExceeded, // ParameterMaxVersionLimitExceeded
  kParameterLimitExceeded,           // ParameterLimitExceeded
  kParameterPatternMismatch,         // ParameterPatternMismatchException
  kParameterVersionLabelLimitExceeded,  // ParameterVersionLabelLimitExceeded
  kInvalidAllowedPattern,            // InvalidAllowedPatternException
  kHierarchyLevelLimitExceeded,      // HierarchyLevelLimitExceededException
  kHierarchyTypeMismatch,            // HierarchyTypeMismatchException
  kUnsupportedParameterType,         // UnsupportedParameterType
  kInvalidKeyId,                     // InvalidKeyId
  kPoliciesLimitExceeded,            // PoliciesLimitExceededException
  kInvalidPolicyType,                // InvalidPolicyTypeException
  kInvalidPolicyAttribute,           // InvalidPolicyAttributeException
  kIncompatiblePolicy,               // IncompatiblePolicyException
  kInvalidFilterKey,                 // InvalidFilterKey
  kInvalidFilterOption,              // InvalidFilterOption
  kInvalidFilterValue,               // InvalidFilterValue
  kSsmInvalidNextToken,              // InvalidNextToken (SSM's spelling)
  kInvalidResourceType,              // InvalidResourceType
  kInvalidResourceId,                // InvalidResourceId
  kTooManyTagsError,                 // TooManyTagsError
  kTooManyUpdates,                   // TooManyUpdates
  kSsmInternalServerError,           // InternalServerError (SSM's spelling)
  kServiceSettingNotFound,           // ServiceSettingNotFound
  kResourcePolicyInvalidParameter,   // ResourcePolicyInvalidParameterException
  kResourcePolicyLimitExceeded,      // ResourcePolicyLimitExceededException
  kResourcePolicyConflict,           // ResourcePolicyConflictException
  kResourcePolicyNotFound,           // ResourcePolicyNotFoundException
  kMalformedResourcePolicyDocument,  // MalformedResourcePolicyDocumentException
  // --- end SSM ---
  // --- EventBridge (services/events) --- its exceptions carry `message` only.
  kEventsResourceNotFound,           // ResourceNotFoundException
  kEventsLimitExceeded,              // LimitExceededException
  kEventsResourceAlreadyExists,      // ResourceAlreadyExistsException
  kPolicyLengthExceeded,             // PolicyLengthExceededException
  kInvalidEventPattern,              // InvalidEventPatternException
  kIllegalStatus,                    // IllegalStatusException (a replay's state)
  // --- STS (services/sts) ---
  kInvalidParameterValue,            // InvalidParameterValue (session tags; Query protocol)
  kInvalidIdentityToken,             // InvalidIdentityToken (AssumeRoleWithWebIdentity)
  kWebIdentityTokenExpired,          // ExpiredTokenException (a web identity token or SAML assertion expired)
  kIdpRejectedClaim,                 // IDPRejectedClaim (403)
  // --- IAM (services/iam) ---
  kInvalidAuthenticationCode,        // InvalidAuthenticationCode (403): MFA codes refused
  kReportNotPresent,                 // ReportNotPresent (410): no credential report
  kReportExpired,                    // ReportExpired (410): the credential report is too old
  kReportInProgress,                 // ReportInProgress (404): being generated
  kPasswordPolicyViolation,          // PasswordPolicyViolation (400)
  kInvalidUserType,                  // InvalidUserType (400): ChangePassword by no IAM user
  kDuplicateSshPublicKey,            // DuplicateSSHPublicKey (400)
  kInvalidPublicKey,                 // InvalidPublicKey (400)
  kUnrecognizedPublicKeyEncoding,    // UnrecognizedPublicKeyEncoding (400)
  kMalformedCertificate,             // MalformedCertificate (400)
  kDuplicateCertificate,             // DuplicateCertificate (409)
  kKeyPairMismatch,                  // KeyPairMismatch (400): a server certificate's key
  kUnmodifiableEntity,               // UnmodifiableEntity (400): a service-linked role
  kInvalidAuthorizationMessage,      // InvalidAuthorizationMessageException (STS, 400)
  // Outbound identity federation (IAM's switch, STS GetWebIdentityToken).
  kFeatureEnabled,                   // FeatureEnabled (IAM, 409): enabled already
  kFeatureDisabled,                  // FeatureDisabled (IAM, 404): not enabled
  kOutboundFederationDisabled,       // OutboundWebIdentityFederationDisabledException (STS, 403)
  kSessionDurationEscalation,        // SessionDurationEscalationException (STS, 403)
  kJwtPayloadSizeExceeded,           // JWTPayloadSizeExceededException (STS, 400)
  // --- CloudTrail (services/cloudtrail) ---
  kInvalidTimeRange,                 // InvalidTimeRangeException
  kInvalidLookupAttributes,          // InvalidLookupAttributesException
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Result<T>: a value or an error, shaped like absl::StatusOr.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  // By value, not T&&: `for (auto& x : Store().List().value())` must not iterate a
  // temporary that is already gone (range-for keeps only the outermost temporary alive).
  T value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace arcana

// Early return on error: `ARCANA_RETURN_IF_ERROR(store.Put(x));`
#define ARCANA_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::arcana::Status _st = (expr);            \
    if (!_st.ok()) return _st;                \
  } while (0)

#define ARCANA_CONCAT_INNER(a, b) a##b
#define ARCANA_CONCAT(a, b) ARCANA_CONCAT_INNER(a, b)
// `ARCANA_ASSIGN_OR_RETURN(auto x, MakeX());`
#define ARCANA_ASSIGN_OR_RETURN(lhs, expr) \
  ARCANA_ASSIGN_OR_RETURN_IMPL(ARCANA_CONCAT(_res_, __LINE__), lhs, expr)
#define ARCANA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
