// KMS domain rules checked against AWS's recorded answers: key identifiers (malformed
// key ids, key ARNs of another region), alias prefixes, tags, and the algorithm / key
// spec messages of the data plane.
#include <gtest/gtest.h>

#include "domain/kms/rules.h"
#include "domain/kms/specs.h"

namespace arcana::domain::kms {
namespace {

constexpr const char* kUuid = "1234abcd-12ab-34cd-56ef-1234567890ab";

TEST(KmsKeyRef, WellFormedKeyIds) {
  EXPECT_TRUE(IsWellFormedKeyId(kUuid));
  EXPECT_TRUE(IsWellFormedKeyId("1234ABCD-12AB-34CD-56EF-1234567890AB"));
  EXPECT_TRUE(IsWellFormedKeyId("mrk-d3b95762d3b95762d3b95762d3b95762"));
  EXPECT_FALSE(IsWellFormedKeyId("fake-key-id"));
  EXPECT_FALSE(IsWellFormedKeyId("134f2428cec14b25a1ae9048164dba47"));  // UUID without dashes
  EXPECT_FALSE(IsWellFormedKeyId("mrk-fake-key-id"));
  EXPECT_FALSE(IsWellFormedKeyId("1234abcd-12ab-34cd-56ef-1234567890ag"));
  EXPECT_FALSE(IsWellFormedKeyId(""));
}

TEST(KmsKeyRef, MalformedKeyIdIsNotFoundInAwsWords) {
  for (const char* id : {"fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id"}) {
    auto r = ParseRequestKeyRef(id, "us-east-1", true);
    ASSERT_FALSE(r.ok()) << id;
    EXPECT_EQ(r.status().code(), ErrorCode::kKmsNotFound);
    EXPECT_EQ(r.status().message(), std::string("Invalid keyId '") + id + "'");
  }
  // Inside a key ARN the key id is checked the same way.
  auto arn = ParseRequestKeyRef("arn:aws:kms:us-east-1:123456789012:key/nope", "us-east-1", true);
  ASSERT_FALSE(arn.ok());
  EXPECT_EQ(arn.status().message(), "Invalid keyId 'nope'");
  EXPECT_TRUE(ParseRequestKeyRef(kUuid, "us-east-1", true).ok());
  EXPECT_TRUE(ParseRequestKeyRef("alias/app", "us-east-1", true).ok());
}

TEST(KmsKeyRef, AliasWhereOnlyKeyIdsAreAccepted) {
  for (const char* alias : {"alias/app", "arn:aws:kms:us-east-1:123456789012:alias/app"}) {
    auto r = ParseRequestKeyRef(alias, "us-east-1", /*allow_alias=*/false);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArn);
    EXPECT_EQ(r.status().message(), "Key Aliases are not supported for this operation.");
  }
}

TEST(KmsKeyRef, KeyArnOfAnotherRegionNamesThatRegion) {
  std::string arn = std::string("arn:aws:kms:ap-southeast-1:123456789012:key/") + kUuid;
  auto r = ParseRequestKeyRef(arn, "us-east-1", true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kKmsNotFound);
  EXPECT_EQ(r.status().message(), "Invalid arn ap-southeast-1");
  auto same = ParseRequestKeyRef(arn, "ap-southeast-1", true);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->value, kUuid);
  // A malformed ARN stays InvalidArnException.
  EXPECT_EQ(ParseRequestKeyRef("arn:aws:kms:us-east-1", "us-east-1", true).status().code(),
            ErrorCode::kInvalidArn);
}

TEST(KmsAliasName, MissingPrefixIsValidationException) {
  Status s = ValidateAliasName("noprefix", false);
  EXPECT_EQ(s.code(), ErrorCode::kValidation);
  EXPECT_EQ(s.message(),
            "Alias must start with the prefix \"alias/\". Please see "
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  EXPECT_EQ(ValidateAliasName("alias/aws/mine", false).code(), ErrorCode::kInvalidAliasName);
  EXPECT_TRUE(ValidateAliasName("alias/mine", false).ok());
}

TEST(KmsAliasName, ColonInANewAliasIsInvalidCharacters) {
  // The pattern ^[a-zA-Z0-9:/_-]+$ lets ':' through, but AWS refuses it in CreateAlias.
  Status s = ValidateNewAliasName("alias/Service:Test");
  EXPECT_EQ(s.code(), ErrorCode::kValidation);
  EXPECT_EQ(s.message(), "alias/Service:Test contains invalid characters for an alias");
  EXPECT_TRUE(ValidateNewAliasName("alias/my_alias-/").ok());
  EXPECT_EQ(ValidateNewAliasName("noprefix").code(), ErrorCode::kValidation);
}

TEST(KmsAliasName, TargetMustBeAKeyNotAnAlias) {
  for (const char* target : {"alias/x", "arn:aws:kms:us-east-1:123456789012:alias/x"}) {
    Status s = CheckAliasTargetIsKey(target);
    EXPECT_EQ(s.code(), ErrorCode::kValidation) << target;
    EXPECT_EQ(s.message(), "Aliases must refer to keys. Not aliases");
  }
  EXPECT_TRUE(CheckAliasTargetIsKey("1234abcd-12ab-34cd-56ef-1234567890ab").ok());
  EXPECT_TRUE(
      CheckAliasTargetIsKey("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
          .ok());
}

TEST(KmsTags, FiftyIsTheMostAndMoreIsTagException) {
  std::map<std::string, std::string> tags;
  for (int i = 0; i < 50; ++i) tags["k" + std::to_string(i)] = "v";
  EXPECT_TRUE(ValidateTags(tags).ok());
  tags["one-more"] = "v";
  Status s = ValidateTags(tags);
  EXPECT_EQ(s.code(), ErrorCode::kTag);
  EXPECT_EQ(s.message(), "Too many tags");
}

TEST(KmsTags, AwsPrefixIsReservedInEveryCase) {
  for (const char* k : {"aws:x", "AWS:x", "Aws:x", "aWs:x"}) {
    Status s = ValidateTags({{k, "v"}});
    EXPECT_EQ(s.code(), ErrorCode::kTag) << k;
    EXPECT_EQ(s.message(), "Tags beginning with aws: are reserved");
    EXPECT_TRUE(IsReservedTagKey(k));
  }
  EXPECT_FALSE(IsReservedTagKey("awsx"));
  EXPECT_FALSE(IsReservedTagKey("my-aws:x"));
  EXPECT_TRUE(ValidateTags({{"awsome", "v"}}).ok());
}

TEST(KmsTags, DuplicateKeysInOneRequest) {
  EXPECT_TRUE(CheckNoDuplicateTagKeys({"a", "b"}).ok());
  Status s = CheckNoDuplicateTagKeys({"a", "b", "a"});
  EXPECT_EQ(s.code(), ErrorCode::kTag);
  EXPECT_EQ(s.message(), "Duplicate tag keys");
  EXPECT_TRUE(CheckNoDuplicateTagKeys({"a", "A"}).ok());  // KMS tag keys are case-sensitive
}

TEST(KmsAlgorithms, IncompatibleAlgorithmNamesAlgorithmAndSpec) {
  Status s = IncompatibleAlgorithm("HMAC_SHA_256", "HMAC_224");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidKeyUsage);
  EXPECT_EQ(s.message(), "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.");
}

TEST(KmsAlgorithms, RsaPlaintextLimitsPerSpecAndAlgorithm) {
  struct Case {
    const char* spec;
    const char* alg;
    size_t max;
  };
  for (const Case& c : {Case{"RSA_2048", "RSAES_OAEP_SHA_1", 214},
                        Case{"RSA_2048", "RSAES_OAEP_SHA_256", 190},
                        Case{"RSA_3072", "RSAES_OAEP_SHA_1", 342},
                        Case{"RSA_3072", "RSAES_OAEP_SHA_256", 318},
                        Case{"RSA_4096", "RSAES_OAEP_SHA_1", 470},
                        Case{"RSA_4096", "RSAES_OAEP_SHA_256", 446}}) {
    EXPECT_TRUE(CheckRsaPlaintextSize(c.spec, c.alg, c.max).ok()) << c.spec << " " << c.alg;
    Status s = CheckRsaPlaintextSize(c.spec, c.alg, c.max + 1);
    EXPECT_EQ(s.code(), ErrorCode::kValidation);
    EXPECT_EQ(s.message(), std::string("Algorithm ") + c.alg + " and key spec " + c.spec +
                               " cannot encrypt data larger than " + std::to_string(c.max) +
                               " bytes.");
  }
  EXPECT_TRUE(CheckRsaPlaintextSize("SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT", 4096).ok());
}

TEST(KmsAlgorithms, DigestLengthPerSigningAlgorithm) {
  EXPECT_TRUE(CheckDigestLength("ECDSA_SHA_256", 32).ok());
  EXPECT_TRUE(CheckDigestLength("RSASSA_PSS_SHA_384", 48).ok());
  EXPECT_TRUE(CheckDigestLength("RSASSA_PKCS1_V1_5_SHA_512", 64).ok());
  Status s = CheckDigestLength("ECDSA_SHA_256", 31);
  EXPECT_EQ(s.code(), ErrorCode::kValidation);
  EXPECT_EQ(s.message(), "Digest is invalid length for algorithm ECDSA_SHA_256.");
  EXPECT_EQ(CheckDigestLength("RSASSA_PSS_SHA_512", 32).message(),
            "Digest is invalid length for algorithm RSASSA_PSS_SHA_512.");
}

}  // namespace
}  // namespace arcana::domain::kms
