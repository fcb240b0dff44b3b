// The ErrorCode -> wire table: client errors are HTTP 400 in every service (KMS too),
// and an error without a message carries no message member.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "services/common/aws_error.h"

namespace arcana::services {
namespace {

TEST(AwsError, EveryKmsClientErrorIs400) {
  for (ErrorCode c :
       {ErrorCode::kKmsNotFound, ErrorCode::kDisabled, ErrorCode::kKmsInvalidState,
        ErrorCode::kAlreadyExists, ErrorCode::kInvalidCiphertext, ErrorCode::kIncorrectKey,
        ErrorCode::kInvalidKeyUsage, ErrorCode::kKmsInvalidSignature, ErrorCode::kKmsInvalidMac,
        ErrorCode::kInvalidAliasName, ErrorCode::kInvalidArn, ErrorCode::kInvalidGrantToken,
        ErrorCode::kInvalidGrantId, ErrorCode::kTag, ErrorCode::kUnsupportedOperation,
        ErrorCode::kInvalidMarker, ErrorCode::kKmsLimitExceeded,
        ErrorCode::kKmsMalformedPolicyDocument, ErrorCode::kConflict,
        ErrorCode::kDryRunOperation, ErrorCode::kIncorrectKeyMaterial,
        ErrorCode::kInvalidImportToken, ErrorCode::kExpiredImportToken}) {
    EXPECT_EQ(LookupError(c).http_status, 400) << LookupError(c).type;
  }
  EXPECT_EQ(LookupError(ErrorCode::kIncorrectKeyMaterial).type, "IncorrectKeyMaterialException");
  EXPECT_EQ(LookupError(ErrorCode::kInvalidImportToken).type, "InvalidImportTokenException");
  EXPECT_EQ(LookupError(ErrorCode::kExpiredImportToken).type, "ExpiredImportTokenException");
  EXPECT_EQ(LookupError(ErrorCode::kKmsInternal).http_status, 500);
  EXPECT_EQ(LookupError(ErrorCode::kKeyUnavailable).http_status, 500);
  EXPECT_EQ(LookupError(ErrorCode::kDependencyTimeout).http_status, 503);
}

TEST(AwsError, SecretsManagerAndSsmClientErrorsAre400) {
  for (ErrorCode c : {ErrorCode::kResourceNotFound, ErrorCode::kInvalidParameter,
                      ErrorCode::kInvalidRequest, ErrorCode::kResourceExists,
                      ErrorCode::kLimitExceeded, ErrorCode::kDecryptionFailure,
                      ErrorCode::kParameterNotFound, ErrorCode::kParameterAlreadyExists,
                      ErrorCode::kParameterVersionNotFound, ErrorCode::kInvalidKeyId,
                      ErrorCode::kTooManyUpdates, ErrorCode::kValidation}) {
    EXPECT_EQ(LookupError(c).http_status, 400) << LookupError(c).type;
  }
}

TEST(AwsError, EmptyMessageIsLeftOut) {
  rapidjson::Document d;
  std::string body = ErrorBody(Status(ErrorCode::kInvalidCiphertext, ""));
  d.Parse(body.c_str());
  ASSERT_TRUE(d.IsObject()) << body;
  EXPECT_STREQ(d["__type"].GetString(), "InvalidCiphertextException");
  EXPECT_FALSE(d.HasMember("message")) << body;
  EXPECT_FALSE(d.HasMember("Message")) << body;

  body = ErrorBody(Status(ErrorCode::kKmsNotFound, "Invalid keyId 'x'"));
  d.Parse(body.c_str());
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["message"].GetString(), "Invalid keyId 'x'");
}

// Recorded AWS bodies: Secrets Manager's modelled exceptions carry only `Message`,
// ValidationException only `message`.
TEST(AwsError, MessageMemberAsAwsSendsIt) {
  rapidjson::Document d;
  std::string body = ErrorBody(Status(ErrorCode::kResourceNotFound, "gone"));
  d.Parse(body.c_str());
  ASSERT_TRUE(d.IsObject()) << body;
  EXPECT_EQ(d.MemberCount(), 2u) << body;
  EXPECT_STREQ(d["Message"].GetString(), "gone");
  body = ErrorBody(Status(ErrorCode::kValidation, "bad"));
  d.Parse(body.c_str());
  ASSERT_TRUE(d.IsObject()) << body;
  EXPECT_EQ(d.MemberCount(), 2u) << body;
  EXPECT_STREQ(d["message"].GetString(), "bad");
}

}  // namespace
}  // namespace arcana::services
