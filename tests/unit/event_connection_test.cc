// EventBridge connections and API destinations as values (domain/events/connection.h): what
// DescribeConnection may answer of a connection's AuthParameters, how UpdateConnection merges
// them, and the requests an API destination delivery and an OAuth token fetch make.
#include "domain/events/connection.h"

#include <gtest/gtest.h>

#include <string>

#include "common/json.h"
#include "crypto/base64.h"

namespace arcana::domain::events {
namespace {

rapidjson::Document ParseConnectionJson(const std::string& text) {
  rapidjson::Document d;
  EXPECT_TRUE(json::ParseBounded(text, &d).ok()) << text;
  return d;
}

std::string HeaderOf(const OutgoingRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

TEST(EventConnection, PublicAuthParametersDropEverySecret) {
  const std::string full = R"({"BasicAuthParameters":{"Username":"u","Password":"p"},)"
                           R"("InvocationHttpParameters":{"HeaderParameters":[)"
                           R"({"Key":"a","Value":"hidden","IsValueSecret":true},)"
                           R"({"Key":"b","Value":"shown","IsValueSecret":false}]}})";
  EXPECT_EQ(PublicAuthParameters(full),
            R"({"BasicAuthParameters":{"Username":"u"},"InvocationHttpParameters":)"
            R"({"HeaderParameters":[{"Key":"a","IsValueSecret":true},)"
            R"({"Key":"b","Value":"shown","IsValueSecret":false}]}})");
  EXPECT_EQ(PublicAuthParameters(R"({"ApiKeyAuthParameters":{"ApiKeyName":"k","ApiKeyValue":"v"}})"),
            R"({"ApiKeyAuthParameters":{"ApiKeyName":"k"}})");
  EXPECT_EQ(PublicAuthParameters(
                R"({"OAuthParameters":{"AuthorizationEndpoint":"https://a/t","HttpMethod":"POST",)"
                R"("ClientParameters":{"ClientID":"i","ClientSecret":"s"}}})"),
            R"({"OAuthParameters":{"AuthorizationEndpoint":"https://a/t","HttpMethod":"POST",)"
            R"("ClientParameters":{"ClientID":"i"}}})");
  EXPECT_EQ(PublicAuthParameters("not json"), "{}");
}

TEST(EventConnection, ManagedSecretValueIsEventBridgesShapeOfTheCredentials) {
  const std::string invocation =
      R"({"HeaderParameters":[{"Key":"X-A","Value":"v","IsValueSecret":true}]})";
  auto basic = ManagedSecretValue(
      "BASIC", R"({"BasicAuthParameters":{"Username":"u","Password":"p"},"InvocationHttpParameters":)" +
                   invocation + "}");
  ASSERT_TRUE(basic.ok());
  EXPECT_EQ(*basic, R"({"username":"u","password":"p","invocation_http_parameters":)" +
                        invocation + "}");
  auto key = ManagedSecretValue("API_KEY",
                                R"({"ApiKeyAuthParameters":{"ApiKeyName":"k","ApiKeyValue":"v"}})");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, R"({"api_key_name":"k","api_key_value":"v"})");
  auto oauth = ManagedSecretValue(
      "OAUTH_CLIENT_CREDENTIALS",
      R"({"OAuthParameters":{"AuthorizationEndpoint":"https://t/x","HttpMethod":"POST",)"
      R"("ClientParameters":{"ClientID":"id","ClientSecret":"s"},)"
      R"("OAuthHttpParameters":{"BodyParameters":[{"Key":"a","Value":"b"}]}}})");
  ASSERT_TRUE(oauth.ok());
  EXPECT_EQ(*oauth,
            R"({"client_id":"id","client_secret":"s","authorization_endpoint":"https://t/x",)"
            R"("http_method":"POST","oauth_http_parameters":{"BodyParameters":[{"Key":"a","Value":"b"}]}})");
  // Members of another type are not carried over; what is absent is left out.
  auto mismatched = ManagedSecretValue("API_KEY", R"({"BasicAuthParameters":{"Username":"u"}})");
  ASSERT_TRUE(mismatched.ok());
  EXPECT_EQ(*mismatched, "{}");
  EXPECT_FALSE(ManagedSecretValue("BASIC", "not json").ok());
}

TEST(EventConnection, AuthParametersMustMatchTheAuthorizationType) {
  auto basic = ParseConnectionJson(R"({"BasicAuthParameters":{"Username":"u","Password":"p"}})");
  EXPECT_TRUE(CheckAuthParameters("BASIC", basic).ok());
  EXPECT_EQ(CheckAuthParameters("API_KEY", basic).code(), ErrorCode::kValidation);
  auto both = ParseConnectionJson(
      R"({"BasicAuthParameters":{},"ApiKeyAuthParameters":{"ApiKeyName":"k","ApiKeyValue":"v"}})");
  EXPECT_EQ(CheckAuthParameters("API_KEY", both).code(), ErrorCode::kValidation);
  auto http_token = ParseConnectionJson(
      R"({"OAuthParameters":{"AuthorizationEndpoint":"http://a/t","HttpMethod":"POST",)"
      R"("ClientParameters":{"ClientID":"i","ClientSecret":"s"}}})");
  EXPECT_EQ(CheckAuthParameters("OAUTH_CLIENT_CREDENTIALS", http_token).code(),
            ErrorCode::kValidation);
}

TEST(EventConnection, UpdateMergesMemberByMemberAndReplacesParameterLists) {
  auto update = ParseConnectionJson(
      R"({"BasicAuthParameters":{"Username":"new"},"InvocationHttpParameters":{}})");
  auto merged = MergeAuthParameters(
      R"({"BasicAuthParameters":{"Username":"old","Password":"p"},)"
      R"("InvocationHttpParameters":{"HeaderParameters":[{"Key":"a","Value":"b"}]}})",
      "BASIC", "BASIC", update);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(*merged, R"({"BasicAuthParameters":{"Username":"new","Password":"p"},)"
                     R"("InvocationHttpParameters":{}})");
  // Another type starts from the update alone: no old credential is carried over.
  auto key = ParseConnectionJson(R"({"ApiKeyAuthParameters":{"ApiKeyName":"k","ApiKeyValue":"v"}})");
  auto switched = MergeAuthParameters(R"({"BasicAuthParameters":{"Username":"u","Password":"p"}})",
                                      "API_KEY", "BASIC", key);
  ASSERT_TRUE(switched.ok());
  EXPECT_EQ(*switched, R"({"ApiKeyAuthParameters":{"ApiKeyName":"k","ApiKeyValue":"v"}})");
}

TEST(EventConnection, ApiDestinationRequestCarriesParametersAndAuthorization) {
  TargetHttpParameters target;
  target.path_values = {"4 2", "x"};
  target.headers = {{"X-Target", "t"}};
  target.query = {{"tq", "a&b"}};
  auto req = BuildApiDestinationRequest(
      "https://h.example/orders/*/items/*?fixed=1", "PUT", "BASIC",
      R"({"BasicAuthParameters":{"Username":"u","Password":"p"},"InvocationHttpParameters":{)"
      R"("HeaderParameters":[{"Key":"X-Conn","Value":"c"}],)"
      R"("QueryStringParameters":[{"Key":"cq","Value":"v"}]}})",
      target, "", "{\"a\":1}");
  ASSERT_TRUE(req.ok()) << req.status().message();
  EXPECT_EQ(req->method, "PUT");
  EXPECT_EQ(req->url, "https://h.example/orders/4%202/items/x?fixed=1&cq=v&tq=a%26b");
  EXPECT_EQ(HeaderOf(*req, "Authorization"), "Basic " + crypto::Base64Encode("u:p"));
  EXPECT_EQ(HeaderOf(*req, "X-Conn"), "c");
  EXPECT_EQ(HeaderOf(*req, "X-Target"), "t");
  EXPECT_EQ(req->body, "{\"a\":1}");

  auto key = BuildApiDestinationRequest(
      "https://h.example/*", "POST", "API_KEY",
      R"({"ApiKeyAuthParameters":{"ApiKeyName":"X-Api-Key","ApiKeyValue":"v"}})", {}, "", "");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->url, "https://h.example/*");  // no path value: the '*' stays
  EXPECT_EQ(HeaderOf(*key, "X-Api-Key"), "v");
  EXPECT_EQ(HeaderOf(*key, "Authorization"), "<absent>");

  auto bearer = BuildApiDestinationRequest("https://h.example/", "POST",
                                           "OAUTH_CLIENT_CREDENTIALS", "{}", {}, "tok", "");
  ASSERT_TRUE(bearer.ok());
  EXPECT_EQ(HeaderOf(*bearer, "Authorization"), "Bearer tok");

  TargetHttpParameters injected;
  injected.headers = {{"X-Evil", "a\r\nHost: b"}};
  EXPECT_EQ(BuildApiDestinationRequest("https://h.example/", "POST", "BASIC", "{}", injected, "",
                                       "")
                .status()
                .code(),
            ErrorCode::kValidation);
}

TEST(EventConnection, OAuthTokenRequestAndAnswer) {
  auto req = BuildOAuthTokenRequest(
      R"({"OAuthParameters":{"AuthorizationEndpoint":"https://a/token","HttpMethod":"POST",)"
      R"("ClientParameters":{"ClientID":"id","ClientSecret":"s e"},"OAuthHttpParameters":{)"
      R"("BodyParameters":[{"Key":"scope","Value":"a b"}],)"
      R"("QueryStringParameters":[{"Key":"aud","Value":"x"}]}}})");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->method, "POST");
  EXPECT_EQ(req->url, "https://a/token?aud=x");
  EXPECT_EQ(HeaderOf(*req, "Authorization"), "Basic " + crypto::Base64Encode("id:s e"));
  EXPECT_EQ(req->body, "grant_type=client_credentials&scope=a%20b");
  EXPECT_EQ(req->content_type, "application/x-www-form-urlencoded");

  auto token = ParseOAuthToken(R"({"access_token":"t","expires_in":120})");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->access_token, "t");
  EXPECT_EQ(token->expires_in_s, 120);
  EXPECT_EQ(ParseOAuthToken(R"({"access_token":"t"})")->expires_in_s, 3600);
  EXPECT_FALSE(ParseOAuthToken(R"({"error":"invalid_client"})").ok());
}

TEST(EventConnection, ArnsAndEndpoints) {
  auto ref = ParseEventsResourceArn(
      "arn:aws:events:us-east-1:123456789012:api-destination/d/0f6a-11", "api-destination");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->region, "us-east-1");
  EXPECT_EQ(ref->account, "123456789012");
  EXPECT_EQ(ref->name, "d");
  EXPECT_FALSE(ParseEventsResourceArn(
                   "arn:aws:events:us-east-1:123456789012:connection/c/u", "api-destination")
                   .has_value());
  EXPECT_FALSE(ParseEventsResourceArn("arn:aws:events:us-east-1:123456789012:connection/c",
                                      "connection")
                   .has_value());
  EXPECT_TRUE(IsApiDestinationArn("arn:aws:events:us-east-1:123456789012:api-destination/d/u"));
  EXPECT_FALSE(IsApiDestinationArn("arn:aws:events:us-east-1:123456789012:event-bus/b"));
  EXPECT_TRUE(IsHttpsEndpoint("https://example.com/api"));
  EXPECT_FALSE(IsHttpsEndpoint("http://example.com/api"));
  EXPECT_FALSE(IsHttpsEndpoint("https://"));
  EXPECT_FALSE(IsHttpsEndpoint("https://exa mple.com"));
}

}  // namespace
}  // namespace arcana::domain::events
