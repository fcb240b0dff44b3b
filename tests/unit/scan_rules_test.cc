// gitleaks-format rule files, allowlists, baselines and the report formats of `arcana scan`.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "scan/engine.h"
#include "scan/report.h"
#include "scan/rule_set.h"
#include "scan/scanner.h"
#include "scan_corpus.h"

namespace arcana::scan {
namespace {

namespace fs = std::filesystem;

// The shape of gitleaks' own config/gitleaks.toml (v8): a global allowlist, rules with
// keywords, entropy, secretGroup, a path-only rule, the old [rules.allowlist] table and the
// newer [[rules.allowlists]] array with an AND condition. Two rules are gitleaks' own text.
constexpr const char* kGitleaksToml = R"TOML(
title = "gitleaks config"

[extend]
useDefault = false

[allowlist]
description = "global allow list"
paths = [
  '''gitleaks\.toml''',
  '''(?i)\.(?:bmp|gif|jpe?g|png|svg|tiff?)$''',
  '''(?:^|/)vendor/''',
]
regexes = ['''219-09-9999''']
stopwords = ["abcdefg"]

[[rules]]
id = "adafruit-api-key"
description = "Identified a potential Adafruit API Key, which could lead to unauthorized access to Adafruit services and sensitive data exposure."
regex = '''(?i)[\w.-]{0,50}?(?:adafruit)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([a-z0-9_-]{32})(?:[\x60'"\s;]|\\[nr]|$)'''
keywords = ["adafruit"]

[[rules]]
id = "generic-api-key"
description = "Detected a Generic API Key, potentially exposing access to various services and sensitive operations."
regex = '''(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)'''
entropy = 3.5
keywords = ["access", "api", "auth", "key", "credential", "creds", "passwd", "password", "secret", "token"]
tags = ["generic"]
[rules.allowlist]
regexes = ['''^[a-zA-Z_.-]+$''']
stopwords = ["client", "endpoint"]

[[rules]]
id = "pkcs12-file"
description = "Found a PKCS #12 file, which commonly contain bundled private keys."
path = '''(?i)(?:^|\/)[^\/]+\.p(?:12|fx)$'''

[[rules]]
id = "internal-ticket-token"
description = "Ticketing system token"
regex = '''\b(tkt_[0-9a-f]{24})\b'''
secretGroup = 1
keywords = ["tkt_"]
[[rules.allowlists]]
condition = "AND"
paths = ['''fixtures/''']
regexes = ['''^tkt_0000''']
)TOML";

std::vector<Finding> Scan(const Engine& e, std::string_view text, const std::string& path) {
  return testing::ScanText(e, text, path);
}

std::set<std::string> Rules(const std::vector<Finding>& fs) {
  std::set<std::string> out;
  for (const auto& f : fs) out.insert(f.rule_id);
  return out;
}

std::unique_ptr<Engine> GitleaksEngine() {
  auto set = ParseGitleaksToml(kGitleaksToml, "gitleaks.toml");
  EXPECT_TRUE(set.ok()) << set.status().message();
  auto e = Engine::Create(std::move(*set));
  EXPECT_TRUE(e.ok());
  return std::move(*e);
}

TEST(ScanGitleaksRules, RealFileShapeLoadsAndApplies) {
  auto e = GitleaksEngine();
  ASSERT_EQ(e->rules().rules.size(), 4u);
  EXPECT_EQ(e->rules().global_allowlists.size(), 1u);
  EXPECT_EQ(e->stats().rules, 4u);

  auto f = Scan(*e, "ADAFRUIT_IO_KEY = 'aio_zq8xv2lm4np6rt9wy1ab3cd5ef7g'\n", "app.py");
  ASSERT_EQ(Rules(f), std::set<std::string>{"adafruit-api-key"});
  EXPECT_EQ(f[0].secret, "aio_zq8xv2lm4np6rt9wy1ab3cd5ef7g");

  // Generic: entropy and the "needs a digit" rule, the allowlist regex and stopwords.
  EXPECT_EQ(Rules(Scan(*e, "api_key = \"Zx81kPq7Lm2Vb9Qw\"\n", "a.js")),
            std::set<std::string>{"generic-api-key"});
  EXPECT_TRUE(Scan(*e, "api_key = \"aaaaaaaaaaaaaaaa1\"\n", "a.js").empty());      // entropy
  EXPECT_TRUE(Scan(*e, "api_key = \"ZxkPqLmVbQwRtYuI\"\n", "a.js").empty());       // no digit
  EXPECT_TRUE(Scan(*e, "api_key = \"Zx81kPq7client2Vb9Qw\"\n", "a.js").empty());  // stopword

  // Path-only rule.
  EXPECT_EQ(Rules(Scan(*e, "binary-ish", "certs/server.p12")),
            std::set<std::string>{"pkcs12-file"});

  // [[rules.allowlists]] with AND: both the path and the regex must hit.
  const std::string zero = "tkt_0000aaaabbbbccccddddeeee", other = "tkt_1111aaaabbbbccccddddeeee";
  EXPECT_TRUE(Scan(*e, "t = " + zero + "\n", "tests/fixtures/a.txt").empty());
  EXPECT_EQ(Scan(*e, "t = " + zero + "\n", "src/a.txt").size(), 1u);
  EXPECT_EQ(Scan(*e, "t = " + other + "\n", "tests/fixtures/a.txt").size(), 1u);

  // Global allowlist: paths, regexes and stopwords.
  EXPECT_TRUE(Scan(*e, "t = " + other + "\n", "vendor/lib/a.txt").empty());
  EXPECT_TRUE(Scan(*e, "api_key = \"Zx81kPqabcdefg7Lm2\"\n", "a.js").empty());
}

TEST(ScanGitleaksRules, ExtendUseDefaultKeepsBuiltinsMinusDisabled) {
  auto set = ParseGitleaksToml(R"(
[extend]
useDefault = true
disabledRules = ["jwt"]
[[rules]]
id = "stripe-key"
regex = '''\b(sk_live_[A-Za-z0-9]{24})\b'''
)", "x.toml");
  ASSERT_TRUE(set.ok()) << set.status().message();
  std::set<std::string> ids;
  for (const auto& r : set->rules) ids.insert(r.id);
  EXPECT_EQ(ids.count("jwt"), 0u);
  EXPECT_EQ(ids.count("github-token"), 1u);
  EXPECT_EQ(std::count_if(set->rules.begin(), set->rules.end(),
                          [](const Rule& r) { return r.id == "stripe-key"; }),
            1);
  EXPECT_FALSE(set->global_allowlists.empty());
}

TEST(ScanGitleaksRules, ErrorsNameTheProblem) {
  auto bad = ParseGitleaksToml("[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n", "r.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("rule x"), std::string::npos);
  EXPECT_FALSE(ParseGitleaksToml("[[rules]]\nregex = 'a'\n", "r.toml").ok());
  EXPECT_FALSE(ParseGitleaksToml("[[rules]]\nid='x'\nregex='a'\nsecretGroup=3\n", "r.toml").ok());
  EXPECT_FALSE(ParseGitleaksToml("[[rules]\n", "r.toml").ok());
  EXPECT_FALSE(ParseGitleaksToml("[extend]\npath = 'other.toml'\n", "r.toml").ok());
  auto composite = ParseGitleaksToml(
      "[[rules]]\nid='x'\nregex='a'\n[[rules.required]]\nid='y'\n", "r.toml");
  ASSERT_FALSE(composite.ok());
  EXPECT_NE(composite.status().message().find("composite"), std::string::npos);
}

TEST(ScanGitleaksRules, RegexVectorscanRefusesFallsBackToRe2) {
  // A pattern that can match the empty string: Vectorscan refuses it in both modes.
  auto set = ParseGitleaksToml(
      "[[rules]]\nid='maybe'\nregex='''(tok_\\w{3}[0-9]{6})?'''\nkeywords=['tok_']\n", "r.toml");
  ASSERT_TRUE(set.ok()) << set.status().message();
  auto e = Engine::Create(std::move(*set));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->stats().re2_only, 1u);
  EXPECT_EQ(Scan(**e, "x tok_abc123456 y\n", "a").size(), 1u);
  EXPECT_TRUE(Scan(**e, "x abc123456 y\n", "a").empty());
}

class ScanFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "arcana-scanr-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    key_ = "gl" "pat-" "Zq8Xv2Lm4Np6Rt9Wy1Ab";
    std::ofstream(dir_ / "a.env") << "GITLAB_TOKEN=" << key_ << "\n";
    std::ofstream(dir_ / "b.yaml") << "x: 1\ntoken: \"" << key_ << "\"\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  ScanRun Run(const std::string& baseline = "") {
    ScanRequest req;
    req.tree.paths = {dir_.string()};
    req.baseline_file = baseline;
    ScanProgress progress;
    auto run = RunScan(req, &progress);
    EXPECT_TRUE(run.ok()) << run.status().message();
    return std::move(*run);
  }
  fs::path dir_;
  std::string key_;
};

TEST_F(ScanFiles, BaselineSuppressesKnownFindingsOnly) {
  ScanRun first = Run();
  ASSERT_EQ(first.findings.size(), 2u);
  std::vector<Finding> only_a = {first.findings[0]};
  {
    std::ofstream out(dir_ / "baseline.json");
    WriteJson(out, only_a);
  }
  ScanRun second = Run((dir_ / "baseline.json").string());
  ASSERT_EQ(second.findings.size(), 1u);
  EXPECT_EQ(second.findings[0].file, first.findings[1].file);
  // Moving the finding to another line keeps it suppressed.
  std::ofstream(dir_ / "a.env") << "\n\nGITLAB_TOKEN=" << key_ << "\n";
  EXPECT_EQ(Run((dir_ / "baseline.json").string()).findings.size(), 1u);
  // A gitleaks report works as a baseline too.
  std::ofstream(dir_ / "gl.json") << R"([{"RuleID":"gitlab-token","File":")"
                                  << first.findings[1].file << R"(","Commit":"","Secret":")" << key_
                                  << "\"}]";
  auto b = LoadBaseline((dir_ / "gl.json").string());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->count(first.findings[1].Fingerprint()), 1u);
  std::ofstream(dir_ / "bad.json") << "{\"not\": \"an array\"}";
  EXPECT_FALSE(LoadBaseline((dir_ / "bad.json").string()).ok());
}

TEST_F(ScanFiles, JsonReportIsRedacted) {
  ScanRun run = Run();
  std::ostringstream os;
  WriteJson(os, run.findings);
  EXPECT_EQ(os.str().find(key_), std::string::npos);
  rapidjson::Document doc;
  doc.Parse(os.str().c_str());
  ASSERT_TRUE(doc.IsArray());
  ASSERT_EQ(doc.Size(), 2u);
  for (const auto& f : doc.GetArray()) {
    for (const char* m : {"rule_id", "file", "line", "column", "match", "fingerprint"}) {
      EXPECT_TRUE(f.HasMember(m)) << m;
    }
    EXPECT_FALSE(f.HasMember("commit"));  // only in --git
    EXPECT_EQ(std::string(f["secret"].GetString()), "g*****b");
  }
  std::ostringstream table;
  WriteTable(table, run.findings);
  EXPECT_EQ(table.str().find(key_), std::string::npos);
  EXPECT_NE(table.str().find("gitlab-token"), std::string::npos);
}

// SARIF 2.1.0: the properties its schema requires (sarifLog: version, runs; run: tool;
// tool: driver; toolComponent: name; reportingDescriptor: id; result: message with text;
// region: startLine >= 1, endColumn > startColumn on one line), ruleIndex pointing at the rule
// with the result's ruleId, and no plaintext value anywhere.
TEST_F(ScanFiles, SarifHasTheRequiredStructure) {
  ScanRun run = Run();
  std::ostringstream os;
  WriteSarif(os, run.findings, run.engine->rules(), "0.1.0");
  EXPECT_EQ(os.str().find(key_), std::string::npos);
  rapidjson::Document doc;
  doc.Parse(os.str().c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["version"].GetString(), "2.1.0");
  EXPECT_NE(std::string(doc["$schema"].GetString()).find("sarif-2.1.0"), std::string::npos);
  ASSERT_TRUE(doc["runs"].IsArray());
  ASSERT_EQ(doc["runs"].Size(), 1u);
  const auto& r = doc["runs"][0];
  const auto& driver = r["tool"]["driver"];
  EXPECT_TRUE(driver["name"].IsString());
  ASSERT_TRUE(driver["rules"].IsArray());
  for (const auto& rule : driver["rules"].GetArray()) {
    EXPECT_TRUE(rule["id"].IsString());
    EXPECT_TRUE(rule["shortDescription"]["text"].IsString());
  }
  ASSERT_EQ(r["results"].Size(), 2u);
  for (const auto& res : r["results"].GetArray()) {
    EXPECT_TRUE(res["message"]["text"].IsString());
    std::string id = res["ruleId"].GetString();
    EXPECT_EQ(std::string(driver["rules"][res["ruleIndex"].GetUint()]["id"].GetString()), id);
    const auto& loc = res["locations"][0]["physicalLocation"];
    EXPECT_TRUE(loc["artifactLocation"]["uri"].IsString());
    const auto& region = loc["region"];
    EXPECT_GE(region["startLine"].GetInt(), 1);
    EXPECT_GE(region["startColumn"].GetInt(), 1);
    EXPECT_GT(region["endColumn"].GetInt(), region["startColumn"].GetInt());
    EXPECT_TRUE(res["partialFingerprints"].IsObject());
    EXPECT_STREQ(res["level"].GetString(), "error");
  }
}

}  // namespace
}  // namespace arcana::scan
