// `arcana migrate`'s pure parts: format detection, the per-format rewrites, names and the diff.
#include <gtest/gtest.h>

#include <set>

#include "migrate/rewrite.h"
#include "migrate/unified_diff.h"
#include "scan/finding.h"

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

// A secret used as a key: stored, never rewritten (a reference is no key; a re-run nested
// references inside it).
TEST(MigrateRewrite, ASecretUsedAsAKeyIsNotRewritten) {
  const std::string stripe = "sk" "_live_" "4vQ9xZ2mLk7pTr8sYb3nWc6d";
  const std::string gitlab = "gl" "pat-" "Mq8Xv2Lm4Np6Rt9Wy1Ab";
  std::string c = "api_keys:\n  " + stripe + ": billing\n  \"" + gitlab + "\": ci\n";
  auto f1 = At(c, stripe, 2), f2 = At(c, gitlab, 3);
  for (const char* path : {"gateway.yaml", "gateway.env", "main.tf"}) {
    auto plan = PlanFile(path, c, {{&f1, "app/stripe-key"}, {&f2, "app/gitlab-token"}}, "");
    EXPECT_EQ(plan.new_content, c) << path;
    ASSERT_EQ(plan.items.size(), 2u) << path;
    EXPECT_EQ(plan.items[0].value, stripe);
    ASSERT_EQ(plan.notes.size(), 2u) << path;
    EXPECT_NE(plan.notes[0].find("a key"), std::string::npos) << plan.notes[0];
  }
  EXPECT_TRUE(SecretIsKey(c, c.find(stripe), stripe.size()));
  EXPECT_TRUE(SecretIsKey(c, c.find(gitlab), gitlab.size()));
  std::string v = "token: " + gitlab + "\nurl: postgres://u:" + stripe + "@h:5432/db\n";
  EXPECT_FALSE(SecretIsKey(v, v.find(gitlab), gitlab.size()));
  EXPECT_FALSE(SecretIsKey(v, v.find(stripe), stripe.size()));
}

// A name past the 512-character limit: "-n" on the key was cut off again, and the loop
// looking for a free variant never ended.
TEST(MigrateRewrite, NumberedNamesStayDistinctAtTheLengthLimit) {
  std::string long_path(600, 'd');
  std::string base = SecretName("{repo}/{path}/{key}", "r", long_path, "GITLAB_TOKEN", "x");
  ASSERT_EQ(base.size(), 512u);
  EXPECT_EQ(SecretName("{repo}/{path}/{key}", "r", long_path, "GITLAB_TOKEN-2", "x"), base);
  std::set<std::string> names = {base};
  for (size_t n = 2; n < 12; ++n) {
    std::string v = NumberedName(base, n);
    EXPECT_LE(v.size(), 512u);
    EXPECT_TRUE(names.insert(v).second) << n;
  }
}

// YAML: a secret inside a plain scalar makes the whole scalar one quoted string (quotes around
// the reference alone became part of the value), a flow item gets quotes of its own (bare, its
// braces opened a mapping), literal text in a block scalar is replaced as it is, and what the
// line reader does not know is left alone with a note.
TEST(MigrateRewrite, YamlValuesStayValid) {
  std::string c =
      "services:\n  app:\n    environment:\n"
      "      DATABASE_URL: postgres://app:Pg7Lk2vQ9xZ4wR8@db:5432/app  # main db\n"
      "    command: [--token, glpat-Mq8Xv2Lm4Np6Rt9Wy1Ab]\n"
      "    configs:\n      - content: |\n          token: Tk4mQ9vLx2Zp7Rw3\n"
      "    labels:\n      a: !Sub Xk9mP2vL7qR4Wt8Z\n";
  auto f1 = At(c, "Pg7Lk2vQ9xZ4wR8", 4), f2 = At(c, "glpat-Mq8Xv2Lm4Np6Rt9Wy1Ab", 5),
       f3 = At(c, "Tk4mQ9vLx2Zp7Rw3", 8), f4 = At(c, "Xk9mP2vL7qR4Wt8Z", 10);
  auto plan = PlanFile("docker-compose.yml", c,
                       {{&f1, "a/db"}, {&f2, "a/tok"}, {&f3, "a/cfg"}, {&f4, "a/sub"}}, "");
  EXPECT_NE(plan.new_content.find(
                "DATABASE_URL: 'postgres://app:{{resolve:secretsmanager:a/db}}@db:5432/app'  # main db\n"),
            std::string::npos) << plan.new_content;
  EXPECT_NE(plan.new_content.find("command: [--token, '{{resolve:secretsmanager:a/tok}}']\n"),
            std::string::npos) << plan.new_content;
  EXPECT_NE(plan.new_content.find("          token: {{resolve:secretsmanager:a/cfg}}\n"),
            std::string::npos) << plan.new_content;
  EXPECT_NE(plan.new_content.find("a: !Sub Xk9mP2vL7qR4Wt8Z\n"), std::string::npos);
  EXPECT_EQ(plan.items.size(), 3u);  // not the one left alone
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_NE(plan.notes[0].find("line 10: not edited"), std::string::npos) << plan.notes[0];
}

// Terraform takes only a literal as a variable's default; and two names that differ only in
// characters an identifier cannot hold got one data source, read for both.
TEST(MigrateRewrite, TerraformDefaultsAreLeftAndDataSourceIdsAreUnique) {
  std::string c = "variable \"token\" {\n  default = \"Ab3dEf6hIj9kLm2n\"\n}\n"
                  "locals {\n  a = \"Qr5tUv8wXy1zAb4c\"\n  b = \"Gh7jKl0mNp3qRs6t\"\n}\n";
  auto f1 = At(c, "Ab3dEf6hIj9kLm2n", 2), f2 = At(c, "Qr5tUv8wXy1zAb4c", 5),
       f3 = At(c, "Gh7jKl0mNp3qRs6t", 6);
  auto plan = PlanFile("main.tf", c, {{&f1, "app/default"}, {&f2, "app/gitlab-token"},
                                      {&f3, "app/gitlab_token"}}, "");
  EXPECT_NE(plan.new_content.find("default = \"Ab3dEf6hIj9kLm2n\""), std::string::npos);
  ASSERT_EQ(plan.notes.size(), 1u);
  EXPECT_NE(plan.notes[0].find("variable"), std::string::npos);
  ASSERT_EQ(plan.items.size(), 2u);
  size_t a = plan.new_content.find("  a = data.aws_secretsmanager_secret_version.");
  size_t b = plan.new_content.find("  b = data.aws_secretsmanager_secret_version.");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  auto id_at = [&](size_t pos) {
    pos = plan.new_content.find("version.", pos) + 8;
    return plan.new_content.substr(pos, plan.new_content.find('.', pos) - pos);
  };
  std::string ia = id_at(a), ib = id_at(b);
  EXPECT_NE(ia, ib);
  EXPECT_NE(plan.new_content.find("\"" + ia + "\" {\n  secret_id = \"app/gitlab-token\""), std::string::npos);
  EXPECT_NE(plan.new_content.find("\"" + ib + "\" {\n  secret_id = \"app/gitlab_token\""), std::string::npos);
  // A re-plan over the result finds its own data sources: nothing added.
  EXPECT_EQ(PlanFile("main.tf", plan.new_content, {}, "").new_content, plan.new_content);
}

// .env: a double-quoted value's escapes are the loader's: the value stored is the one the
// application read.
TEST(MigrateRewrite, DotenvEscapesAreDecodedBeforeStoring) {
  std::string c = "DB_PASSWORD=\"Zr9\\$mQ4v\\\"Kp2xL7\"\nPLAIN=Yq3\\$wE5r\n";
  auto f1 = At(c, "Zr9\\$mQ4v\\\"Kp2xL7", 1), f2 = At(c, "Yq3\\$wE5r", 2);
  auto plan = PlanFile(".env", c, {{&f1, "a/db"}, {&f2, "a/plain"}}, "");
  ASSERT_EQ(plan.items.size(), 2u);
  EXPECT_EQ(plan.items[0].value, "Zr9$mQ4v\"Kp2xL7");
  EXPECT_EQ(plan.items[1].value, "Yq3\\$wE5r");  // unquoted: as written
}

std::string K8sSecret(const std::string& body) {
  return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  labels:\n    team: pay\n"
         "  annotations:\n    reloader.stakater.com/match: \"true\"\ntype: kubernetes.io/tls\n" + body;
}

// Kubernetes: values as YAML reads them (block scalars keep their indentation, a comment is
// no part of a value, a value on the next line is the value, double-quoted escapes decoded),
// labels and annotations carried over, CRLF Secrets rewritten with CRLF.
TEST(MigrateRewrite, KubernetesSecretsAreReadExactly) {
  const std::string gitlab = "gl" "pat-" "Mq8Xv2Lm4Np6Rt9Wy1Ab";
  std::string c = K8sSecret(
      "data:\n  tls.crt:\n    TFMwdExTMUNSVWRKVGlC\n  tls.key: V1hnNWIyMVFNblpNTjNGUw==  # pem\n"
      "stringData:\n  config.yaml: |\n    server:\n      port: 8080\n\n    token: " + gitlab +
      "\n  GITLAB_TOKEN: " + gitlab + " # rotate yearly\n  note: \"caf\\u00e9 \\x41\\t!\"\n"
      "  folded: >-\n    one\n    two\n\n    three\n");
  auto f1 = At(c, gitlab, 15);
  scan::Finding f2 = f1;
  f2.offset = c.rfind(gitlab);
  f2.line = 16;
  auto plan = PlanFile("s.yaml", c, {{&f1, "app/config"}, {&f2, "app/token"}}, "");
  ASSERT_EQ(plan.items.size(), 2u) << (plan.notes.empty() ? "" : plan.notes[0]);
  EXPECT_EQ(plan.items[0].value, "server:\n  port: 8080\n\ntoken: " + gitlab + "\n");
  EXPECT_EQ(plan.items[1].value, gitlab);
  const std::string& out = plan.new_content;
  EXPECT_EQ(out.find(gitlab), std::string::npos);
  EXPECT_NE(out.find("tls.crt: \"{{ \\\"TFMwdExTMUNSVWRKVGlC\\\" | b64dec }}\""), std::string::npos) << out;
  EXPECT_NE(out.find("tls.key: \"{{ \\\"V1hnNWIyMVFNblpNTjNGUw==\\\" | b64dec }}\""), std::string::npos) << out;
  EXPECT_NE(out.find("note: \"caf\xc3\xa9 A\\t!\""), std::string::npos) << out;
  EXPECT_NE(out.find("folded: \"one two\\nthree\""), std::string::npos) << out;
  EXPECT_NE(out.find("      metadata:\n        labels:\n          team: \"pay\"\n        annotations:\n"
                     "          reloader.stakater.com/match: \"true\"\n"), std::string::npos) << out;
  EXPECT_NE(out.find("      type: kubernetes.io/tls\n"), std::string::npos);
  EXPECT_NE(out.find("    - secretKey: config.yaml\n      remoteRef:\n        key: app/config\n"),
            std::string::npos);

  std::string crlf;
  for (char ch : std::string("apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n"
                             "  GITLAB_TOKEN: " + gitlab + "\n")) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  auto f3 = At(crlf, gitlab, 6);
  auto p3 = PlanFile("s.yaml", crlf, {{&f3, "app/t"}}, "");
  ASSERT_EQ(p3.items.size(), 1u) << (p3.notes.empty() ? "" : p3.notes[0]);
  EXPECT_EQ(p3.items[0].value, gitlab);
  EXPECT_NE(p3.new_content.find("kind: ExternalSecret\r\n"), std::string::npos);
  EXPECT_EQ(p3.new_content.find(gitlab), std::string::npos);
}

// What the reader does not know exactly is left alone, with a note, and nothing is stored.
TEST(MigrateRewrite, KubernetesSecretsNotReadExactlyAreLeftAlone) {
  const std::string gitlab = "gl" "pat-" "Mq8Xv2Lm4Np6Rt9Wy1Ab";
  for (std::string body : {"stringData: {GITLAB_TOKEN: " + gitlab + "}\n",
                           "stringData:\n  GITLAB_TOKEN: &t " + gitlab + "\n",
                           "stringData:\n  GITLAB_TOKEN: \"" + gitlab + "\\q\"\n",
                           "immutable: true\nstringData:\n  GITLAB_TOKEN: " + gitlab + "\n",
                           "stringData:\n  GITLAB_TOKEN: " + gitlab + "\n  \tX: y\n"}) {
    std::string c = K8sSecret(body);
    auto f = At(c, gitlab, 11);
    auto plan = PlanFile("s.yaml", c, {{&f, "app/t"}}, "");
    EXPECT_EQ(plan.new_content, c) << body;
    EXPECT_TRUE(plan.items.empty()) << body;
    ASSERT_EQ(plan.notes.size(), 1u) << body;
    EXPECT_NE(plan.notes[0].find("Secret not edited"), std::string::npos) << plan.notes[0];
  }
}

// Many values in one file are redacted in one pass (once per value was quadratic), and
// overlapping ones are masked together.
TEST(MigrateRewrite, RedactorMasksEveryValueAndOverlaps) {
  scan::Redactor r({"Abcdefgh12", "gh12345678xyz", "short"});
  EXPECT_EQ(r("x=Abcdefgh12 y=gh12345678xyz"), "x=A*****2 y=g*****z");
  EXPECT_EQ(r("Abcdefgh12345678xyz"), "A*****z");  // neither shows any of its middle
  EXPECT_EQ(r("a short one"), "a ***** one");
  EXPECT_EQ(r("nothing here"), "nothing here");
}

TEST(MigrateDiff, UnifiedHunks) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "f"), "");
  EXPECT_EQ(UnifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nX\n6\n7\n8\n", "f"),
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n");
}

}  // namespace
}  // namespace arcana::migrate
