// Request validation against the embedded botocore models.
#include <gtest/gtest.h>

#include "services/common/model_validator.h"

namespace arcana::services {
namespace {

Status Check(const ModelValidator& v, const char* op, const char* body) {
  rapidjson::Document d;
  d.Parse(body);
  return v.Validate(op, d);
}

TEST(ModelValidator, TypesRequiredLengthsRangesEnums) {
  ModelValidator v("secretsmanager", ErrorCode::kInvalidParameter);
  EXPECT_TRUE(v.HasOperation("GetSecretValue"));
  EXPECT_FALSE(v.HasOperation("Nope"));
  EXPECT_TRUE(Check(v, "GetSecretValue", R"({"SecretId":"a"})").ok());
  EXPECT_TRUE(Check(v, "GetSecretValue", R"({"SecretId":"a","Unknown":1})").ok());
  EXPECT_EQ(Check(v, "GetSecretValue", R"({"SecretId":5})").code(), ErrorCode::kSerialization);
  EXPECT_EQ(Check(v, "GetSecretValue", R"([])").code(), ErrorCode::kSerialization);
  Status missing = Check(v, "GetSecretValue", R"({})");
  EXPECT_EQ(missing.code(), ErrorCode::kInvalidParameter);
  EXPECT_NE(missing.message().find("secretId"), std::string::npos);
  EXPECT_EQ(Check(v, "GetSecretValue", R"({"SecretId":"a","VersionId":"short"})").code(),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(Check(v, "DeleteSecret", R"({"SecretId":"a","RecoveryWindowInDays":"7"})").code(),
            ErrorCode::kSerialization);
  EXPECT_EQ(Check(v, "ListSecrets", R"({"MaxResults":101})").code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(Check(v, "ListSecrets", R"({"SortOrder":"sideways"})").code(),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(Check(v, "CreateSecret", R"({"Name":"a","SecretBinary":"!!"})").code(),
            ErrorCode::kSerialization);
  EXPECT_EQ(Check(v, "CreateSecret", R"({"Name":"a","Tags":[{"Key":1}]})").code(),
            ErrorCode::kSerialization);
}

TEST(ModelValidator, SensitiveValuesNeverInMessages) {
  ModelValidator v("secretsmanager", ErrorCode::kInvalidParameter);
  std::string big(70000, 'S');
  std::string body = R"({"Name":"a","SecretString":")" + big + "\"}";
  Status st = Check(v, "CreateSecret", body.c_str());
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message().find("SSSS"), std::string::npos);
}

TEST(ModelValidator, OtherServicesUseValidationException) {
  ModelValidator v("kms", ErrorCode::kValidation);
  EXPECT_EQ(Check(v, "Encrypt", R"({"KeyId":"k"})").code(), ErrorCode::kValidation);
}

}  // namespace
}  // namespace arcana::services
