// The Query protocol codec (services/common/query_protocol.h) against the embedded IAM and
// STS models: form decoding (member.N lists, nested structures, typed scalars), XML answers
// and errors as botocore's query parser reads them.
#include "services/common/query_protocol.h"

#include <gtest/gtest.h>

#include "common/json.h"

namespace arcana::services {
namespace {

const QueryProtocol& Iam() {
  static const QueryProtocol q("iam");
  return q;
}
const QueryProtocol& Sts() {
  static const QueryProtocol q("sts");
  return q;
}

rapidjson::Document DecodeOk(const QueryProtocol& q, const char* op, std::string_view body) {
  auto form = QueryProtocol::ParseForm(body);
  EXPECT_TRUE(form.ok()) << form.status().message();
  rapidjson::Document d;
  Status st = q.Decode(op, *form, &d);
  EXPECT_TRUE(st.ok()) << st.message();
  return d;
}

TEST(QueryProtocol, ParseFormUnescapesAndRejectsBadEscapes) {
  auto form = QueryProtocol::ParseForm("Action=CreateUser&UserName=a%2Bb+c&Empty=&Flag");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->at("UserName"), "a+b c");
  EXPECT_EQ(form->at("Empty"), "");
  EXPECT_EQ(form->at("Flag"), "");
  EXPECT_EQ(QueryProtocol::ParseForm("A=%zz").status().code(), ErrorCode::kSerialization);
  EXPECT_EQ(QueryProtocol::ParseForm("A=%4").status().code(), ErrorCode::kSerialization);
  std::string many;
  for (size_t i = 0; i <= QueryProtocol::kMaxParams; ++i) many += "k" + std::to_string(i) + "=v&";
  EXPECT_EQ(QueryProtocol::ParseForm(many).status().code(), ErrorCode::kSerialization);
}

TEST(QueryProtocol, DecodesListsOfStructuresAndScalars) {
  auto d = DecodeOk(Iam(), "CreateUser",
                    "Action=CreateUser&UserName=bob&Path=%2Fx%2F&Tags.member.1.Key=team&"
                    "Tags.member.1.Value=blue&Tags.member.2.Key=env&Tags.member.2.Value=");
  EXPECT_STREQ(d["UserName"].GetString(), "bob");
  EXPECT_STREQ(d["Path"].GetString(), "/x/");
  ASSERT_TRUE(d["Tags"].IsArray());
  ASSERT_EQ(d["Tags"].Size(), 2u);
  EXPECT_STREQ(d["Tags"][1]["Key"].GetString(), "env");
  EXPECT_STREQ(d["Tags"][1]["Value"].GetString(), "");
  EXPECT_FALSE(d.HasMember("Action"));  // not a member of the input shape

  auto r = DecodeOk(Sts(), "AssumeRole",
                    "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=s&"
                    "DurationSeconds=900&TransitiveTagKeys.member.1=team&"
                    "PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A1%3Apolicy%2Fp");
  EXPECT_EQ(r["DurationSeconds"].GetInt64(), 900);
  EXPECT_STREQ(r["TransitiveTagKeys"][0].GetString(), "team");
  EXPECT_STREQ(r["PolicyArns"][0]["arn"].GetString(), "arn:aws:iam::1:policy/p");

  auto b = DecodeOk(Iam(), "CreatePolicyVersion", "PolicyArn=a&PolicyDocument=d&SetAsDefault=true");
  EXPECT_TRUE(b["SetAsDefault"].GetBool());
  // A list stops at the first gap; an empty list is the bare name.
  auto u = DecodeOk(Iam(), "UntagUser", "UserName=u&TagKeys.member.1=a&TagKeys.member.3=c");
  EXPECT_EQ(u["TagKeys"].Size(), 1u);
  auto e = DecodeOk(Iam(), "UntagUser", "UserName=u&TagKeys=");
  EXPECT_EQ(e["TagKeys"].Size(), 0u);
}

TEST(QueryProtocol, BadScalarsAreSerializationErrors) {
  auto form = QueryProtocol::ParseForm("RoleArn=a&RoleSessionName=s&DurationSeconds=12x");
  rapidjson::Document d;
  EXPECT_EQ(Sts().Decode("AssumeRole", *form, &d).code(), ErrorCode::kSerialization);
  form = QueryProtocol::ParseForm("PolicyArn=a&PolicyDocument=d&SetAsDefault=yes");
  EXPECT_EQ(Iam().Decode("CreatePolicyVersion", *form, &d).code(), ErrorCode::kSerialization);
  EXPECT_EQ(Iam().Decode("NoSuchAction", *form, &d).code(), ErrorCode::kUnknownOperation);
}

TEST(QueryProtocol, EncodesResultWrapperMembersListsAndTimestamps) {
  auto xml = Iam().EncodeResponse(
      "ListUsers",
      R"({"Users":[{"UserName":"a<b","Path":"/","UserId":"AIDA1","Arn":"arn","CreateDate":0,
          "Tags":[{"Key":"k","Value":"v"}]}],"IsTruncated":false})",
      "req-1");
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(*xml,
            "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
            "<ListUsersResult><Users><member><Path>/</Path><UserName>a&lt;b</UserName>"
            "<UserId>AIDA1</UserId><Arn>arn</Arn><CreateDate>1970-01-01T00:00:00Z</CreateDate>"
            "<Tags><member><Key>k</Key><Value>v</Value></member></Tags></member></Users>"
            "<IsTruncated>false</IsTruncated></ListUsersResult>"
            "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
            "</ListUsersResponse>");
  auto none = Iam().EncodeResponse("DeleteUser", "{}", "r");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none,
            "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>");
}

TEST(QueryProtocol, ErrorsCarryTheQuerySpellingAndStatus) {
  EXPECT_EQ(Iam().EncodeError(Status(ErrorCode::kResourceNotFound, "no <user>"), "r"),
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
            "<Message>no &lt;user&gt;</Message></Error><RequestId>r</RequestId></ErrorResponse>");
  EXPECT_EQ(QueryProtocol::ErrorOf(ErrorCode::kResourceNotFound).http_status, 404);
  EXPECT_EQ(QueryProtocol::ErrorOf(ErrorCode::kResourceExists).code, "EntityAlreadyExists");
  EXPECT_EQ(QueryProtocol::ErrorOf(ErrorCode::kConflict).http_status, 409);
  EXPECT_EQ(QueryProtocol::ErrorOf(ErrorCode::kLimitExceeded).http_status, 409);
  EXPECT_EQ(QueryProtocol::ErrorOf(ErrorCode::kExpiredToken).code, "ExpiredToken");
  EXPECT_EQ(QueryProtocol::ErrorOf(ErrorCode::kUnrecognizedClient).code, "InvalidClientTokenId");
  auto internal = QueryProtocol::ErrorOf(ErrorCode::kInternalFailure);
  EXPECT_FALSE(internal.sender);
  EXPECT_EQ(internal.http_status, 500);
}

}  // namespace
}  // namespace arcana::services
