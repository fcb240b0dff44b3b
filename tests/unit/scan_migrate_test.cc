// `arcana migrate`'s pure parts: format detection, the per-format rewrites, names and the diff.
#include <gtest/gtest.h>

#include "migrate/rewrite.h"
#include "migrate/unified_diff.h"

namespace arcana::migrate {
namespace {

scan::Finding At(std::string_view content, std::string_view secret, size_t line = 1) {
  scan::Finding f;
  f.rule_id = "generic-secret-assignment";
  f.secret = std::string(secret);
  f.offset = content.find(secret);
  f.line = line;
  return f;
}

TEST(MigrateRewrite, DetectsFormats) {
  EXPECT_EQ(DetectKind("infra/main.tf", ""), FileKind::kTerraform);
  EXPECT_EQ(DetectKind(".env", ""), FileKind::kEnv);
  EXPECT_EQ(DetectKind("conf/app.properties", ""), FileKind::kEnv);
  EXPECT_EQ(DetectKind("t.json", "{\"Resources\": {\"A\": {\"Type\": \"AWS::S3::Bucket\"}}}"),
            FileKind::kCloudFormation);
  EXPECT_EQ(DetectKind("s.yaml", "apiVersion: v1\nkind: Secret\n"), FileKind::kKubernetes);
  EXPECT_EQ(DetectKind("docker-compose.yml", "services:\n  web: {}\n"), FileKind::kCompose);
  EXPECT_EQ(DetectKind("app.py", "x = 1"), FileKind::kCode);
}

TEST(MigrateRewrite, ComposeValueGetsQuotedReference) {
  std::string c = "services:\n  db:\n    environment:\n      DB_PASSWORD: Xk9#mP2vL7qR\n";
  auto f = At(c, "Xk9#mP2vL7qR", 4);
  auto plan = PlanFile("docker-compose.yml", c, {{&f, "app/db"}}, "http://h:1");
  EXPECT_EQ(plan.new_content,
            "services:\n  db:\n    environment:\n      DB_PASSWORD: '{{resolve:secretsmanager:app/db}}'\n");
  ASSERT_EQ(plan.items.size(), 1u);
  EXPECT_EQ(plan.items[0].value, "Xk9#mP2vL7qR");
}

TEST(MigrateRewrite, TerraformInterpolatesInsideLongerStrings) {
  std::string c = "locals {\n  url = \"postgres://u:Xk9mP2vL7qR@h/db\"\n}\n";
  auto f = At(c, "Xk9mP2vL7qR", 2);
  auto plan = PlanFile("main.tf", c, {{&f, "app/url"}}, "");
  EXPECT_NE(plan.new_content.find(
                "postgres://u:${data.aws_secretsmanager_secret_version.arcana_app_url.secret_string}@h/db"),
            std::string::npos);
  EXPECT_NE(plan.new_content.find("secret_id = \"app/url\""), std::string::npos);
  // Once: a re-plan over the result adds no second data source.
  auto again = PlanFile("main.tf", plan.new_content, {}, "");
  EXPECT_EQ(again.new_content, plan.new_content);
}

TEST(MigrateRewrite, KubernetesDataIsDecodedAndOtherDocumentsKept) {
  std::string c =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n---\n"
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  TOKEN: WGs5I21QMnZMN3FS\n";
  auto f = At(c, "WGs5I21QMnZMN3FS", 11);
  auto plan = PlanFile("k.yaml", c, {{&f, "app/token"}}, "");
  EXPECT_EQ(plan.new_content.find("kind: ConfigMap"), 15u);
  EXPECT_NE(plan.new_content.find("kind: ExternalSecret"), std::string::npos);
  EXPECT_EQ(plan.new_content.find("WGs5I21QMnZMN3FS"), std::string::npos);
  ASSERT_EQ(plan.items.size(), 1u);
  EXPECT_EQ(plan.items[0].value, "Xk9#mP2vL7qR");  // base64-decoded
}

TEST(MigrateRewrite, CodeIsNotEditedAndSnippetsHoldNoValue) {
  std::string c = "import os\nAPI_KEY = \"Zr9!mQ4vKp2xL7wQ\"\n";
  auto f = At(c, "Zr9!mQ4vKp2xL7wQ", 2);
  auto plan = PlanFile("app.py", c, {{&f, "app/api"}}, "http://h:1");
  EXPECT_EQ(plan.new_content, c);
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_EQ(plan.notes[0].find("Zr9!mQ4vKp2xL7wQ"), std::string::npos);
  EXPECT_NE(plan.notes[0].find("get_secret_value(SecretId=\"app/api\")"), std::string::npos);
}

TEST(MigrateRewrite, NamesAndKeys) {
  EXPECT_EQ(SecretName("{repo}/{path}/{key}", "shop", "config/app env.yaml", "db pass", "r"),
            "shop/config/app-env.yaml/db-pass");
  EXPECT_EQ(SecretName("{repo}//{key}/", "a", "", "k", "r"), "a/k");
  std::string c = "x: 1\n  export DB_PASSWORD=abc\n";
  EXPECT_EQ(AssignmentKey(c, c.find("abc")), "DB_PASSWORD");
  EXPECT_EQ(AssignmentKey("just text", 3), "");
}

TEST(MigrateDiff, UnifiedHunks) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "f"), "");
  EXPECT_EQ(UnifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nX\n6\n7\n8\n", "f"),
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n");
}

}  // namespace
}  // namespace arcana::migrate
