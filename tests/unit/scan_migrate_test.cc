// `arcana migrate`'s pure parts: format detection, the per-format rewrites, names and the diff.
#include <gtest/gtest.h>

#include <set>

#include "migrate/rewrite.h"
#include "migrate/unified_diff.h"
#include "scan/engine.h"
#include "scan/finding.h"
#include "scan/rule_set.h"
#include "scan_corpus.h"

namespace arcana::migrate {
namespace {

// A finding of `secret` in content; a generic assignment's unless rule says otherwise (a
// generic finding must be its whole value to be rewritten; a token or URL password may be part).
scan::Finding At(std::string_view content, std::string_view secret, size_t line = 1,
                 std::string rule = "generic-secret-assignment") {
  scan::Finding f;
  f.rule_id = std::move(rule);
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
  auto f = At(c, "Xk9mP2vL7qR", 2, "connection-string-password");
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
  auto f1 = At(c, "Pg7Lk2vQ9xZ4wR8", 4, "connection-string-password"),
       f2 = At(c, "glpat-Mq8Xv2Lm4Np6Rt9Wy1Ab", 5, "gitlab-token"),
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

// ---- whole values (review: migrate stored the start of a quoted value, still escaped) -----

const scan::Engine& Builtin() {
  static const auto engine = [] {
    auto e = scan::Engine::Create(scan::BuiltinRuleSet());
    if (!e.ok()) std::abort();
    return std::move(*e);
  }();
  return *engine;
}

std::vector<std::pair<std::string, std::string>> Found(std::string_view text, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : scan::testing::ScanText(Builtin(), text, path)) out.emplace_back(f.rule_id, f.secret);
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// A quoted value runs to its closing quote: the finding is the whole value as written.
TEST(ScanValues, AQuotedAssignmentIsReportedWhole) {
  const std::string g = "generic-secret-assignment";
  EXPECT_EQ(Found("API_PASSWORD=\"Xk29vLqpR7\\\"mzQ\"\n", ".env"),
            (Pairs{{g, "Xk29vLqpR7\\\"mzQ"}}));
  EXPECT_EQ(Found("{\"MasterUserPassword\": \"Kx8\\/vLq2\\\\Rz9m\"}\n", "t.json"),
            (Pairs{{g, "Kx8\\/vLq2\\\\Rz9m"}}));
  EXPECT_EQ(Found("db_password: 'Xk29;vLq,pR7(m'\n", "c.yaml"), (Pairs{{g, "Xk29;vLq,pR7(m"}}));
  EXPECT_EQ(Found("password = \"Xk29vLq pR7mzQ\"\n", "a.py"), (Pairs{{g, "Xk29vLq pR7mzQ"}}));
  // Unquoted values still end where a token cannot go on; prose in quotes is no secret.
  EXPECT_EQ(Found("API_PASSWORD=Xk29vLqpR7;mzQ\n", ".env"), (Pairs{{g, "Xk29vLqpR7"}}));
  EXPECT_EQ(Found("token: \"paste the token you were given here\"\n", "c.yaml"), Pairs{});
  EXPECT_EQ(Found("password = \"${DB_PASSWORD}\"\n", "a.tf"), Pairs{});
}

// A list of URLs: each password is a finding (the host part ran on into the next URL, and the
// second password was printed in full), and an empty user is a user.
TEST(ScanValues, EveryUrlOfAListIsAFindingAndTheUserMayBeEmpty) {
  const std::string c = "connection-string-password";
  EXPECT_EQ(Found("CELERY_BROKER_URL=amqp://celery:Hq83nZx1pL@rabbit1:5672//;"
                  "amqp://celery:Qz7Yt3Rm8W@rabbit2:5672//\n", ".env"),
            (Pairs{{c, "Hq83nZx1pL"}, {c, "Qz7Yt3Rm8W"}}));
  EXPECT_EQ(Found("urls: mongodb://a:Mq4vLx8Rz2@h1:27017/db,mongodb://b:Tp9wKc3Nd7@h2:27017/db\n",
                  "c.yaml"),
            (Pairs{{c, "Mq4vLx8Rz2"}, {c, "Tp9wKc3Nd7"}}));
  EXPECT_EQ(Found("mongodb://u:Mq4vLx8Rz2@h1:27017,h2:27017,h3:27017/db?replicaSet=rs0\n", "x"),
            (Pairs{{c, "Mq4vLx8Rz2"}}));
  EXPECT_EQ(Found("REDIS_URL=redis://:Rz8vLq2Xk9@cache:6379/0\n", ".env"), (Pairs{{c, "Rz8vLq2Xk9"}}));
}

// Migrate rewrites a value only when the finding is all of it (a token or URL password: whole
// characters of it), and stores it decoded as the format reads it; anything else is left, with
// a note, and not stored.
TEST(MigrateRewrite, ValuesAreStoredWholeAndDecodedOrLeftAlone) {
  struct Case {
    std::string path, content, secret;
    std::string stored;  // "" = refused
    std::string rewritten = "";
    std::string rule = "generic-secret-assignment";
  };
  const std::string ref = "{{resolve:secretsmanager:a/x}}";
  std::vector<Case> cases = {
      {".env", "API_PASSWORD=\"Xk29vLqpR7\\\"mzQ\"\n", "Xk29vLqpR7\\\"mzQ", "Xk29vLqpR7\"mzQ",
       "API_PASSWORD=\"" + ref + "\"\n"},
      {".env", "API_PASSWORD=\"Xk29vLqpR7\\\"mzQ\"\n", "Xk29vLqpR7\\", ""},  // the old finding
      {".env", "export API_PASSWORD='Xk29\\vLq' # prod\n", "Xk29\\vLq", "Xk29\\vLq",
       "export API_PASSWORD='" + ref + "' # prod\n"},
      {".env", "API_PASSWORD=Xk29vLqpR7;mzQ\n", "Xk29vLqpR7", ""},
      {".env", "API_PASSWORD=Xk29vLq,pR7 # c\n", "Xk29vLq", ""},
      {".env", "# API_PASSWORD=Xk29vLqpR7mzQ\n", "Xk29vLqpR7mzQ", ""},
      {".env", "URL=\"https://x/?t=glpat-Mq8Xv2Lm4Np6Rt9Wy1Ab\\\"\"\n", "glpat-Mq8Xv2Lm4Np6Rt9Wy1Ab",
       "glpat-Mq8Xv2Lm4Np6Rt9Wy1Ab", "URL=\"https://x/?t=" + ref + "\\\"\"\n", "gitlab-token"},
      {"t.json", "{\"Type\": \"AWS::RDS::DBInstance\", \"P\": \"Xk29vLqpR7mzQ\\\"x\"}\n", "Xk29vLqpR7mzQ\\\"x",
       "Xk29vLqpR7mzQ\"x", "{\"Type\": \"AWS::RDS::DBInstance\", \"P\": \"" + ref + "\"}\n"},
      {"t.json", "{\"Type\": \"AWS::RDS::DBInstance\", \"P\": \"Kx8\\/vLq2\\\\Rz9m\"}\n", "Kx8\\/vLq2\\\\Rz9m",
       "Kx8/vLq2\\Rz9m"},
      {"t.json", "{\"Type\": \"AWS::RDS::DBInstance\", \"P\": \"Xk29vLqpR7mzQ\\\"x\"}\n", "Xk29vLqpR7mzQ\\", ""},
      {"t.json", "{\"Type\": \"AWS::RDS::DBInstance\", \"P\": \"Xk29\\u00e9vLq\"}\n", "Xk29\\u00e9vLq", "Xk29\xc3\xa9vLq"},
      {"a.properties", "db.password=Xk29vLqpR7\\\n    mzQ\n", "Xk29vLqpR7\\", ""},
      {"a.properties", "db.password = Xk29\\:vLq\\u0041\n", "Xk29\\:vLq\\u0041", "Xk29:vLqA",
       "db.password = " + ref + "\n"},
      {"a.properties", "db.password=Xk29vLqpR7 \n", "Xk29vLqpR7", ""},  // trailing blank: value
      {"a.properties", "db.password=\"Xk29vLqpR7\"\n", "Xk29vLqpR7", ""},  // quotes are value
      {"c.yaml", "db:\n  password: Xk29vLqpR7;mzQ\n", "Xk29vLqpR7", ""},
      {"c.yaml", "db:\n  password: \"Xk29vLq pR7\"\n", "Xk29vLq pR7", "Xk29vLq pR7",
       "db:\n  password: \"" + ref + "\"\n"},
      {"main.tf", "locals {\n  password = \"Xk29vLqpR7;mzQ\"\n}\n", "Xk29vLqpR7", ""},
      {"main.tf", "locals {\n  password = \"Xk29vLq\\\"pR7\"\n}\n", "Xk29vLq\\\"pR7", ""},
  };
  for (const auto& k : cases) {
    auto f = At(k.content, k.secret, k.content.find('\n') < k.content.find(k.secret) ? 2 : 1, k.rule);
    ASSERT_NE(f.offset, std::string::npos) << k.content;
    auto plan = PlanFile(k.path, k.content, {{&f, "a/x"}}, "");
    SCOPED_TRACE(k.path + ": " + k.content);
    if (k.stored.empty()) {
      EXPECT_EQ(plan.new_content, k.content);
      EXPECT_TRUE(plan.items.empty());
      ASSERT_EQ(plan.notes.size(), 1u);
      EXPECT_NE(plan.notes[0].find("not stored"), std::string::npos) << plan.notes[0];
      continue;
    }
    ASSERT_EQ(plan.items.size(), 1u) << (plan.notes.empty() ? "" : plan.notes[0]);
    EXPECT_EQ(plan.items[0].value, k.stored);
    if (!k.rewritten.empty()) {
      EXPECT_EQ(plan.new_content, k.rewritten);
    }
  }
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
