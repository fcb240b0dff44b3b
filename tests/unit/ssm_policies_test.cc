#include <gtest/gtest.h>

#include "common/iso8601.h"
#include "domain/ssm/policies.h"
#include "domain/ssm/values.h"

namespace dssm = arcana::domain::ssm;
using arcana::ErrorCode;

namespace {
constexpr int64_t kNow = 1700000000000;  // 2023-11-14
}

TEST(SsmPolicies, Iso8601) {
  EXPECT_EQ(arcana::ParseIso8601Ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(arcana::ParseIso8601Ms("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_EQ(arcana::ParseIso8601Ms("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_FALSE(arcana::ParseIso8601Ms("2030-13-01T00:00:00Z"));
  EXPECT_FALSE(arcana::ParseIso8601Ms("tomorrow"));
}

TEST(SsmPolicies, ValidPoliciesParse) {
  auto r = dssm::ParsePolicies(
      R"([{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"}},
          {"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"15","Unit":"Days"}},
          {"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"20","Unit":"Hours"}}])",
      kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->policies.size(), 3u);
  EXPECT_EQ(r->policies[0].type, "Expiration");
  EXPECT_EQ(r->expires_ms, *arcana::ParseIso8601Ms("2030-01-01T00:00:00Z"));
}

TEST(SsmPolicies, Errors) {
  EXPECT_EQ(dssm::ParsePolicies("not json", kNow).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(dssm::ParsePolicies(R"([{"Type":"Bogus","Attributes":{}}])", kNow).status().code(),
            ErrorCode::kInvalidPolicyType);
  EXPECT_EQ(dssm::ParsePolicies(R"([{"Type":"Expiration","Attributes":{"Timestamp":"soon"}}])", kNow)
                .status().code(),
            ErrorCode::kInvalidPolicyAttribute);
  EXPECT_EQ(dssm::ParsePolicies(
                R"([{"Type":"Expiration","Attributes":{"Timestamp":"2001-01-01T00:00:00Z"}}])", kNow)
                .status().code(),
            ErrorCode::kInvalidPolicyAttribute);  // in the past
  EXPECT_EQ(dssm::ParsePolicies(
                R"([{"Type":"NoChangeNotification","Attributes":{"After":"x","Unit":"Days"}}])", kNow)
                .status().code(),
            ErrorCode::kInvalidPolicyAttribute);
  EXPECT_EQ(dssm::ParsePolicies(
                R"([{"Type":"NoChangeNotification","Attributes":{"After":"1","Unit":"Weeks"}}])", kNow)
                .status().code(),
            ErrorCode::kInvalidPolicyAttribute);
  EXPECT_EQ(dssm::ParsePolicies(
                R"([{"Type":"NoChangeNotification","Attributes":{"After":"1","Unit":"Days"}},
                    {"Type":"NoChangeNotification","Attributes":{"After":"2","Unit":"Days"}}])", kNow)
                .status().code(),
            ErrorCode::kIncompatiblePolicy);
  std::string many = "[";
  for (int i = 0; i < 11; ++i) many += std::string(i ? "," : "") + R"({"Type":"Expiration"})";
  many += "]";
  EXPECT_EQ(dssm::ParsePolicies(many, kNow).status().code(), ErrorCode::kPoliciesLimitExceeded);
}

TEST(SsmTiers, Resolution) {
  EXPECT_EQ(*dssm::ResolveTier("", "", 10, false), "Standard");
  EXPECT_EQ(*dssm::ResolveTier("", "Advanced", 10, false), "Advanced");
  EXPECT_EQ(*dssm::ResolveTier("Intelligent-Tiering", "", 10, false), "Standard");
  EXPECT_EQ(*dssm::ResolveTier("Intelligent-Tiering", "", 5000, false), "Advanced");
  EXPECT_EQ(*dssm::ResolveTier("Intelligent-Tiering", "", 10, true), "Advanced");
  EXPECT_EQ(*dssm::ResolveTier("Intelligent-Tiering", "Advanced", 10, false), "Advanced");
  EXPECT_EQ(dssm::ResolveTier("Standard", "Advanced", 10, false).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(dssm::ResolveTier("Standard", "", 4097, false).status().code(), ErrorCode::kValidation);
  EXPECT_TRUE(dssm::ResolveTier("Standard", "", 4096, false).ok());
  EXPECT_EQ(dssm::ResolveTier("Advanced", "", 8193, false).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(dssm::ResolveTier("Standard", "", 10, true).status().code(), ErrorCode::kValidation);
  // Standard parameters at their quota: Intelligent-Tiering creates an Advanced one; an
  // existing Standard parameter already has its place and stays Standard.
  EXPECT_EQ(*dssm::ResolveTier("Intelligent-Tiering", "", 10, false, true), "Advanced");
  EXPECT_EQ(*dssm::ResolveTier("Intelligent-Tiering", "Standard", 10, false, true), "Standard");
  EXPECT_EQ(*dssm::ResolveTier("", "", 10, false, true), "Standard");
}

TEST(SsmValues, NestedParameterReferencesRefused) {
  for (const char* v : {"{{}}", "{{x}}", "a{{ssm:other}}b", "{{resolve:ssm:p}}",
                        "{{range .X}}{{.Y}}{{end}}", "{{ a }}"}) {
    arcana::Status st = dssm::CheckValue(v);
    EXPECT_EQ(st.code(), ErrorCode::kValidation) << v;
    EXPECT_EQ(st.message(),
              "Parameter value can't nest another parameter. Do not use \"{{}}\" in the value.")
        << v;
  }
  for (const char* v : {"{{", "}}", "}}{{", "{x}", "{ {x} }", "{{x}", "{x}}", "${x}"}) {
    EXPECT_TRUE(dssm::CheckValue(v).ok()) << v;
  }
}

TEST(SsmValues, PatternAndDataType) {
  EXPECT_EQ(dssm::CompileAllowedPattern("([a-z").status().code(),
            ErrorCode::kInvalidAllowedPattern);
  auto digits = dssm::CompileAllowedPattern("^\\d+$").value();
  EXPECT_TRUE(dssm::CheckPatternMatch("123", digits).ok());
  EXPECT_EQ(dssm::CheckPatternMatch("12a", digits).code(), ErrorCode::kParameterPatternMismatch);
  EXPECT_TRUE(dssm::CheckDataType("text", "String").ok());
  EXPECT_TRUE(dssm::CheckDataType("aws:ec2:image", "String").ok());
  EXPECT_EQ(dssm::CheckDataType("aws:ec2:image", "SecureString").code(), ErrorCode::kValidation);
  EXPECT_EQ(dssm::CheckDataType("Text", "String").code(), ErrorCode::kValidation);
  // An AMI id's form is checked after the answer, as AWS does (PutParameter's DataType).
  EXPECT_TRUE(dssm::PassesAsyncValidation("aws:ec2:image", "ami-0123456789abcdef0"));
  EXPECT_TRUE(dssm::PassesAsyncValidation("aws:ec2:image", "ami-01234567"));
  EXPECT_FALSE(dssm::PassesAsyncValidation("aws:ec2:image", "ami-xyz"));
  EXPECT_TRUE(dssm::PassesAsyncValidation("text", "ami-xyz"));
  EXPECT_TRUE(dssm::CheckDataTypeChange("text", "text").ok());
  EXPECT_TRUE(dssm::CheckDataTypeChange("aws:ec2:image", "aws:ec2:image").ok());
  EXPECT_EQ(dssm::CheckDataTypeChange("text", "aws:ec2:image").code(), ErrorCode::kValidation);
  EXPECT_EQ(dssm::CheckDataTypeChange("aws:ec2:image", "text").code(), ErrorCode::kValidation);
  EXPECT_EQ(dssm::CheckDataTypeChange("aws:ssm:integration", "text").code(),
            ErrorCode::kValidation);
  EXPECT_EQ(dssm::CheckValue("").code(), ErrorCode::kValidation);
  // Value is sensitive: AWS never echoes it, and ends the constraint without a period.
  EXPECT_EQ(dssm::CheckValue("").message(),
            "1 validation error detected: Value at 'value' failed to satisfy constraint: Member "
            "must have length greater than or equal to 1");
}
