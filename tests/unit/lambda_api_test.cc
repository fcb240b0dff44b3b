// The Lambda API's hostile-input edges: deployment packages (rotation/function_package.h:
// bounds, traversal, symlinks, zip bombs, lazy per-node unpacking) and the REST-JSON protocol
// (services/common/rest_json_protocol.h: routing, decoding, encoding, errors).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/base64.h"
#include "crypto/hash.h"
#include "rotation/function_package.h"
#include "services/common/rest_json_protocol.h"

namespace arcana {
namespace {

namespace fs = std::filesystem;

std::string Zip(const std::string& name) {
  std::ifstream in(std::string(ARCANA_TESTDATA_DIR) + "/lambda/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(LambdaPackage, AcceptsAPlainPackage) {
  auto info = rotation::CheckPackage(Zip("ok.zip"));
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->entries, 2);
}

TEST(LambdaPackage, RefusesHostileArchives) {
  for (const char* name : {"traversal.zip", "absolute.zip", "backslash.zip", "symlink.zip",
                           "many.zip", "bomb.zip"}) {
    auto info = rotation::CheckPackage(Zip(name));
    ASSERT_FALSE(info.ok()) << name;
    EXPECT_EQ(info.status().code(), ErrorCode::kInvalidParameter) << name;
  }
  EXPECT_EQ(rotation::CheckPackage("PK\x03\x04 not really").status().code(),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(rotation::CheckPackage("").status().code(), ErrorCode::kInvalidParameter);
  std::string big(rotation::kMaxPackageBytes + 1, 'x');
  EXPECT_NE(rotation::CheckPackage(big).status().message().find("KiB limit"), std::string::npos);
}

TEST(LambdaPackage, UnpacksOnceAndChecksTheDigest) {
  fs::path root = fs::temp_directory_path() / ("arcana-pkg-" + std::to_string(::getpid()));
  fs::remove_all(root);
  const std::string zip = Zip("ok.zip");
  const std::string digest = crypto::Sha256Hex(zip);
  auto dir = rotation::MaterialisePackage(root.string(), digest, zip);
  ASSERT_TRUE(dir.ok()) << dir.status().message();
  EXPECT_EQ(*dir, (root / digest).string());
  EXPECT_TRUE(fs::exists(root / digest / "lambda_function.py"));
  EXPECT_TRUE(fs::exists(root / digest / "pkg" / "util.py"));
  // Reused: a second call does not unpack again (even with other bytes).
  EXPECT_TRUE(rotation::MaterialisePackage(root.string(), digest, "").ok());
  // A package that does not match its digest is never unpacked.
  EXPECT_FALSE(rotation::MaterialisePackage(root.string(), std::string(64, 'a'), zip).ok());
  // A hostile one leaves nothing behind, inside or outside the root.
  const std::string evil = Zip("traversal.zip");
  EXPECT_FALSE(rotation::MaterialisePackage(root.string(), crypto::Sha256Hex(evil), evil).ok());
  EXPECT_FALSE(fs::exists(root / "escape.py"));
  size_t entries = 0;
  for (auto& e : fs::directory_iterator(root)) entries += e.path().filename() != digest;
  EXPECT_EQ(entries, 0u);
  fs::remove_all(root);
}

class RestJson : public ::testing::Test {
 protected:
  services::RestJsonProtocol rest_{"lambda", {"CreateFunction", "GetFunction", "DeleteFunction",
                                              "ListFunctions", "Invoke"}};
};

TEST_F(RestJson, RoutesByMethodAndPath) {
  auto m = rest_.Match("GET", "/2015-03-31/functions/");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->operation, "ListFunctions");
  EXPECT_EQ(rest_.Match("GET", "/2015-03-31/functions")->operation, "ListFunctions");
  EXPECT_EQ(rest_.Match("POST", "/2015-03-31/functions")->operation, "CreateFunction");
  m = rest_.Match("GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->operation, "GetFunction");
  EXPECT_EQ(m->labels["FunctionName"], "arn:aws:lambda:us-east-1:1:function:f");
  EXPECT_EQ(rest_.Match("DELETE", "/2015-03-31/functions/f")->operation, "DeleteFunction");
  EXPECT_EQ(rest_.Match("POST", "/2015-03-31/functions/f/invocations")->operation, "Invoke");
  // Operations the service does not handle are routed too (after the served ones), so the
  // service can answer them as themselves (UnknownOperationException naming them).
  EXPECT_EQ(rest_.Match("GET", "/2015-03-31/functions/f/configuration")->operation,
            "GetFunctionConfiguration");
  // ListLayers, not GetLayerVersionByArn (same path, told apart by a fixed query): routes with
  // a fixed query are left out.
  EXPECT_EQ(rest_.Match("GET", "/2018-10-31/layers")->operation, "ListLayers");
  EXPECT_FALSE(rest_.Match("PUT", "/2015-03-31/functions/f"));
  EXPECT_FALSE(rest_.Match("GET", "/2015-03-31/functions//invocations"));
  EXPECT_FALSE(rest_.Match("GET", "/"));
}

TEST_F(RestJson, DecodesLabelsQueryHeadersAndARawPayload) {
  auto route = rest_.Match("POST", "/2015-03-31/functions/f/invocations");
  services::RestRequest req;
  req.method = "POST";
  req.query = {{"Qualifier", "$LATEST"}};
  req.header = [](std::string_view h) -> std::string_view {
    return h == "X-Amz-Invocation-Type" ? "Event" : "";
  };
  req.body = "{\"a\":1}";
  rapidjson::Document doc;
  ASSERT_TRUE(rest_.Decode(*route, req, &doc).ok());
  EXPECT_STREQ(doc["FunctionName"].GetString(), "f");
  EXPECT_STREQ(doc["Qualifier"].GetString(), "$LATEST");
  EXPECT_STREQ(doc["InvocationType"].GetString(), "Event");
  EXPECT_EQ(crypto::Base64Decode(doc["Payload"].GetString()).value(), "{\"a\":1}");

  // Typed query members; a body member never overrides the path.
  auto list = rest_.Match("GET", "/2015-03-31/functions/");
  req.header = [](std::string_view) -> std::string_view { return ""; };
  req.body = "";
  req.query = {{"MaxItems", "5"}};
  ASSERT_TRUE(rest_.Decode(*list, req, &doc).ok());
  EXPECT_EQ(doc["MaxItems"].GetInt64(), 5);
  req.query = {{"MaxItems", "5x"}};
  EXPECT_EQ(rest_.Decode(*list, req, &doc).code(), ErrorCode::kSerialization);
  req.query.assign(services::RestJsonProtocol::kMaxQueryParams + 1, {"Marker", "m"});
  EXPECT_EQ(rest_.Decode(*list, req, &doc).code(), ErrorCode::kSerialization);

  auto create = rest_.Match("POST", "/2015-03-31/functions");
  req.query.clear();
  req.body = "[1]";
  EXPECT_EQ(rest_.Decode(*create, req, &doc).code(), ErrorCode::kSerialization);
  auto get = rest_.Match("GET", "/2015-03-31/functions/real");
  req.body = "{\"FunctionName\":\"other\"}";
  ASSERT_TRUE(rest_.Decode(*get, req, &doc).ok());
  EXPECT_STREQ(doc["FunctionName"].GetString(), "real");
}

TEST_F(RestJson, EncodesStatusHeadersAndPayload) {
  services::RestResponse out;
  std::string answer = R"({"StatusCode":200,"FunctionError":"Unhandled","ExecutedVersion":"$LATEST","Payload":")" +
                       crypto::Base64Encode("{\"errorMessage\":\"x\"}") + "\"}";
  ASSERT_TRUE(rest_.EncodeResponse("Invoke", answer, &out).ok());
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body, "{\"errorMessage\":\"x\"}");
  ASSERT_EQ(out.headers.size(), 2u);
  EXPECT_EQ(out.headers[0], (std::pair<std::string, std::string>{"X-Amz-Function-Error", "Unhandled"}));
  EXPECT_EQ(out.headers[1].first, "X-Amz-Executed-Version");

  services::RestResponse del;
  ASSERT_TRUE(rest_.EncodeResponse("DeleteFunction", "{}", &del).ok());
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(del.body, "");
  services::RestResponse created;
  ASSERT_TRUE(rest_.EncodeResponse("CreateFunction", R"({"FunctionName":"f"})", &created).ok());
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, R"({"FunctionName":"f"})");

  // The message member as the model's error shape names it (as AWS answers): Message for
  // ResourceNotFoundException, message for InvalidParameterValueException, both for an error
  // the model does not declare.
  auto err = rest_.EncodeError({"ResourceNotFoundException", 404, true}, "Function not found: x");
  EXPECT_EQ(err.status, 404);
  EXPECT_EQ(err.headers[0].second, "ResourceNotFoundException");
  EXPECT_EQ(err.body, R"({"Type":"User","Message":"Function not found: x"})");
  auto bad = rest_.EncodeError({"InvalidParameterValueException", 400, true}, "bad");
  EXPECT_EQ(bad.body, R"({"Type":"User","message":"bad"})");
  auto unmodelled = rest_.EncodeError({"ValidationException", 400, true}, "v");
  EXPECT_EQ(unmodelled.body, R"({"Type":"User","Message":"v","message":"v"})");
}

}  // namespace
}  // namespace arcana
