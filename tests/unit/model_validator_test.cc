// Request validation against the embedded botocore models.
#include <gtest/gtest.h>

#include <string>

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

TEST(ModelValidator, EnumListedInTheServicesOrder) {
  // SSM's ParameterType: the model lists String, StringList, SecureString; AWS's message
  // lists them as below. Other enums keep the model's order.
  ModelValidator v("ssm", ErrorCode::kValidation, ModelValidator::Patterns::kIgnored,
                   {{"ParameterType", {"SecureString", "StringList", "String"}}});
  Status st = Check(v, "PutParameter", R"({"Name":"n","Value":"v","Type":"str"})");
  EXPECT_EQ(st.code(), ErrorCode::kValidation);
  EXPECT_EQ(st.message(),
            "1 validation error detected: Value 'str' at 'type' failed to satisfy constraint: "
            "Member must satisfy enum value set: [SecureString, StringList, String]");
  EXPECT_TRUE(Check(v, "PutParameter", R"({"Name":"n","Value":"v","Type":"String"})").ok());
  Status tier = Check(v, "PutParameter", R"({"Name":"n","Value":"v","Tier":"Gold"})");
  EXPECT_NE(tier.message().find("[Standard, Advanced, Intelligent-Tiering]"), std::string::npos);
}

TEST(ModelValidator, ServiceCheckedEnumsAreLeftToTheService) {
  // Lambda answers an unknown Runtime itself (InvalidParameterValueException); the model's
  // other enums (PackageType) are still checked.
  ModelValidator v("lambda", ErrorCode::kValidation, ModelValidator::Patterns::kIgnored, {},
                   ModelValidator::ListValues::kPaths, {}, {}, {}, {"Runtime"});
  const char* base = R"({"FunctionName":"f","Role":"r","Code":{},)";
  EXPECT_TRUE(Check(v, "CreateFunction", (std::string(base) + R"("Runtime":"nope"})").c_str()).ok());
  Status package =
      Check(v, "CreateFunction", (std::string(base) + R"("PackageType":"Tarball"})").c_str());
  EXPECT_EQ(package.code(), ErrorCode::kValidation);
  ModelValidator plain("lambda", ErrorCode::kValidation);
  EXPECT_EQ(Check(plain, "CreateFunction", (std::string(base) + R"("Runtime":"nope"})").c_str())
                .code(),
            ErrorCode::kValidation);
}

TEST(ModelValidator, CoralListsQuoteStringsAndFoldElementViolations) {
  ModelValidator v("ssm", ErrorCode::kValidation, ModelValidator::Patterns::kIgnored, {},
                   ModelValidator::ListValues::kCoral);
  Status names = Check(v, "GetParameters",
                       R"({"Names":["a","b","c","d","e","f","g","h","i","j","k"]})");
  EXPECT_EQ(names.message(),
            "1 validation error detected: Value '[a, b, c, d, e, f, g, h, i, j, k]' at 'names' "
            "failed to satisfy constraint: Member must have length less than or equal to 10");
  std::string long_label(101, 'a');
  std::string body = R"({"Name":"n","Labels":["ok",")" + long_label + R"("]})";
  Status labels = Check(v, "LabelParameterVersion", body.c_str());
  EXPECT_EQ(labels.message(),
            "1 validation error detected: Value '[ok, " + long_label +
                "]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: "
                "[Member must have length less than or equal to 100, Member must have length "
                "greater than or equal to 1]");
  // A list whose size and elements both fail: two violations.
  std::string twelve = R"({"Name":"n","Labels":[)";
  for (int i = 0; i < 11; ++i) twelve += R"("l",)";
  twelve += R"(""]})";
  EXPECT_EQ(Check(v, "LabelParameterVersion", twelve.c_str())
                .message()
                .rfind("2 validation errors detected: ", 0),
            0u);
  // The default names each element by its path.
  ModelValidator paths("ssm", ErrorCode::kValidation);
  EXPECT_NE(Check(paths, "LabelParameterVersion", body.c_str())
                .message()
                .find("at 'labels.2.member'"),
            std::string::npos);
}

TEST(ModelValidator, CharacterClassPatternsOnlyWhenAsked) {
  // events: RuleName and TargetId are [\.\-_A-Za-z0-9]+ (AWS's wording, after the length
  // violation of the same member); EventBusName's pattern is not a single class: unchecked.
  ModelValidator checked("events", ErrorCode::kValidation,
                         ModelValidator::Patterns::kCharacterClasses);
  EXPECT_TRUE(Check(checked, "DescribeRule", R"({"Name":"ok.name-1_x"})").ok());
  Status st = Check(checked, "DescribeRule", R"({"Name":"bad name"})");
  EXPECT_EQ(st.code(), ErrorCode::kValidation);
  EXPECT_EQ(st.message(),
            "1 validation error detected: Value 'bad name' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
  std::string long_bad = std::string(65, '!');
  st = Check(checked, "DescribeRule", ("{\"Name\":\"" + long_bad + "\"}").c_str());
  EXPECT_EQ(st.message(),
            "2 validation errors detected: Value '" + long_bad + "' at 'name' failed to satisfy "
            "constraint: Member must have length less than or equal to 64; Value '" + long_bad +
            "' at 'name' failed to satisfy constraint: Member must satisfy regular expression "
            "pattern: [\\.\\-_A-Za-z0-9]+");
  st = Check(checked, "PutTargets",
             R"({"Rule":"r","Targets":[{"Id":"ok","Arn":"a"},{"Id":"n\u00e9","Arn":"a"}]})");
  EXPECT_NE(st.message().find("at 'targets.2.member.id'"), std::string::npos) << st.message();
  EXPECT_TRUE(Check(checked, "DescribeRule", R"({"Name":"r","EventBusName":"a b"})").ok());

  ModelValidator unchecked("events", ErrorCode::kValidation);
  EXPECT_TRUE(Check(unchecked, "DescribeRule", R"({"Name":"bad name"})").ok());
}

TEST(ModelValidator, PatternSentencesAnswerWhenNoModelViolation) {
  // IAM words a name outside [\w+=,.@-]+ in its own sentence; a model violation of the same
  // request (a too long name) is answered first, in the model wording.
  ModelValidator v("iam", ErrorCode::kValidation, ModelValidator::Patterns::kCharacterClasses,
                   {}, ModelValidator::ListValues::kPaths, {}, {}, {}, {},
                   {{"existingUserNameType", [](const std::string& path) {
                      return "bad " + path;
                    }}});
  EXPECT_TRUE(Check(v, "GetUser", R"({"UserName":"a.b@c"})").ok());
  Status st = Check(v, "GetUser", R"({"UserName":"a b"})");
  EXPECT_EQ(st.code(), ErrorCode::kValidation);
  EXPECT_EQ(st.message(), "bad userName");
  std::string long_bad(129, ' ');
  st = Check(v, "GetUser", ("{\"UserName\":\"" + long_bad + "\"}").c_str());
  EXPECT_EQ(st.message(),
            "1 validation error detected: Value '" + long_bad + "' at 'userName' failed to "
            "satisfy constraint: Member must have length less than or equal to 128");
  // Shapes without a sentence keep the model wording (CreateUser's userNameType).
  st = Check(v, "CreateUser", R"({"UserName":"a b"})");
  EXPECT_EQ(st.message(),
            "1 validation error detected: Value 'a b' at 'userName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
}

TEST(ModelValidator, MapBoundsCountEntries) {
  // EventBridge's InputPathsMap (TransformerPaths): 100 entries at most.
  ModelValidator v("events", ErrorCode::kValidation);
  std::string paths;
  for (int i = 0; i < 101; ++i) paths += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":\"$.x\"");
  auto body = [&](const std::string& map) {
    return R"({"Rule":"r","Targets":[{"Id":"t","Arn":"http://h","InputTransformer":{"InputTemplate":"x","InputPathsMap":{)" +
           map + "}}}]}";
  };
  Status over = Check(v, "PutTargets", body(paths).c_str());
  EXPECT_EQ(over.code(), ErrorCode::kValidation);
  EXPECT_EQ(over.message(),
            "1 validation error detected: Value at 'targets.1.member.inputTransformer.inputPathsMap' "
            "failed to satisfy constraint: Member must have length less than or equal to 100");
  EXPECT_TRUE(Check(v, "PutTargets", body(R"("k":"$.x")").c_str()).ok());
}

}  // namespace
}  // namespace arcana::services
