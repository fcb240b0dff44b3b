// Test corpus for the `arcana scan` tests: secrets of every built-in kind, generated at run time
// from a fixed seed (so no token-shaped literal sits in the repository for other scanners to
// trip on), planted in several file types, and decoys that look like secrets but are not.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "crypto/base64.h"
#include "scan/engine.h"

namespace arcana::scan::testing {

inline std::string RandomFrom(std::mt19937& rng, const std::string& alphabet, size_t n) {
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += alphabet[pick(rng)];
  return s;
}

inline const std::string kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
inline const std::string kB64 = kAlnum + "+/";
inline const std::string kB64Url = kAlnum + "-_";

struct Planted {
  std::string rule_id;
  std::string value;  // the secret as the rule reports it
};

// One secret per built-in rule kind (several for the generic ones).
inline std::vector<Planted> MakeSecrets(uint32_t seed) {
  std::mt19937 rng(seed);
  auto r = [&](const std::string& a, size_t n) { return RandomFrom(rng, a, n); };
  std::vector<Planted> out;
  out.push_back({"aws-access-key-id", "AK" "IA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)});
  out.push_back({"aws-secret-access-key", r(kB64, 40)});
  out.push_back({"github-token", "gh" "p_" + r(kAlnum, 36)});
  out.push_back({"github-fine-grained-token", "github" "_pat_" + r(kAlnum + "_", 82)});
  out.push_back({"gitlab-token", "gl" "pat-" + r(kAlnum, 20)});
  out.push_back({"slack-token",
                 "xo" "xb-" + r("0123456789", 11) + "-" + r("0123456789", 12) + "-" + r(kAlnum, 24)});
  out.push_back({"slack-webhook", "hooks.slack.com/services/T" + r("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 8) +
                                      "/B" + r("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 8) + "/" + r(kAlnum, 24)});
  out.push_back({"stripe-key", "sk" "_live_" + r(kAlnum, 24)});
  out.push_back({"google-api-key", "AI" "za" + r(kAlnum + "-_", 35)});
  out.push_back({"google-oauth-client-secret", "GOC" "SPX-" + r(kAlnum, 28)});
  out.push_back({"twilio-api-key", "S" "K" + r("abcdef", 4) + r("0123456789abcdef", 28)});
  out.push_back({"sendgrid-api-key", "S" "G." + r(kB64Url, 22) + "." + r(kB64Url, 43)});
  std::string body;
  for (int i = 0; i < 4; ++i) body += r(kB64, 64) + "\n";
  out.push_back({"private-key", "-----BEGIN RSA " "PRIVATE KEY-----\n" + body + "-----END RSA " "PRIVATE KEY-----"});
  out.push_back({"jwt", crypto::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                            crypto::Base64UrlEncode(R"({"sub":"user-1234","iat":1700000000})") +
                            "." + r(kB64Url, 43)});
  out.push_back({"connection-string-password", r(kAlnum, 14) + "!"});
  out.push_back({"generic-secret-assignment", r(kAlnum, 10) + "#" + r("0123456789", 3)});
  // A hex secret (Django's SECRET_KEY, many API keys): a digest's length, yet a secret.
  out.push_back({"generic-secret-assignment", r("0123456789abcdef", 64)});
  return out;
}

// The key a planted secret is assigned to (its rule needs some context words).
inline std::string KeyFor(const Planted& p) {
  if (p.rule_id == "aws-secret-access-key") return "aws_secret_access_key";
  if (p.rule_id == "generic-secret-assignment") return "db_password";
  return "api_token";  // also matched by the generic rule: the specific one must win
}

// The literal a planted secret appears as (URLs carry their password inside).
inline std::string ValueFor(const Planted& p) {
  if (p.rule_id == "connection-string-password") return "postgresql://app:" + p.value + "@db.internal:5432/app";
  if (p.rule_id == "slack-webhook") return "https://" + p.value;
  return p.value;
}

inline std::string Escaped(const std::string& s) {  // for JSON strings
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// Writes every secret into .env, .yaml, .json, .py and .tf files under dir, one file per
// (kind, type). Returns the relative paths per rule id.
inline std::vector<std::pair<std::string, std::string>> PlantCorpus(
    const std::filesystem::path& dir, const std::vector<Planted>& secrets) {
  std::vector<std::pair<std::string, std::string>> planted;  // (file, rule id)
  std::filesystem::create_directories(dir / "config");
  for (size_t i = 0; i < secrets.size(); ++i) {
    const Planted& p = secrets[i];
    const std::string key = KeyFor(p);
    const std::string v = ValueFor(p);
    const bool multiline = v.find('\n') != std::string::npos;
    std::vector<std::pair<std::string, std::string>> files = {
        {"config/s" + std::to_string(i) + ".json",
         "{\n  \"name\": \"app\",\n  \"" + key + "\": \"" + Escaped(v) + "\"\n}\n"},
        {"config/s" + std::to_string(i) + ".py",
         "import os\n\n" + (multiline ? key + " = \"\"\"" + v + "\"\"\"\n" : key + " = \"" + v + "\"\n")},
        {"config/s" + std::to_string(i) + ".tf",
         "resource \"x\" \"y\" {\n  " + key + " = " + (multiline ? "<<EOT\n" + v + "\nEOT" : "\"" + v + "\"") + "\n}\n"},
    };
    if (!multiline) {
      files.push_back({"config/s" + std::to_string(i) + ".env", key + "=" + v + "\n"});
      files.push_back({"config/s" + std::to_string(i) + ".yaml", "app:\n  " + key + ": '" + v + "'\n"});
    }
    for (const auto& [rel, text] : files) {
      std::ofstream(dir / rel) << text;
      planted.emplace_back(rel, p.rule_id);
    }
  }
  return planted;
}

// Scans text as one fragment named path.
inline std::vector<Finding> ScanText(const Engine& engine, std::string_view text,
                                     const std::string& path = "x.txt") {
  auto scratch = engine.NewScratch();
  Fragment frag;
  frag.data = text;
  frag.path = path;
  std::vector<Finding> out;
  engine.Scan(*scratch, frag, &out);
  return out;
}

// Files that look like they hold secrets but do not: none may be reported.
inline void PlantDecoys(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "decoys");
  auto w = [&](const std::string& rel, const std::string& text) {
    std::ofstream(dir / "decoys" / rel) << text;
  };
  w("uuids.yaml",
    "request_id: 123e4567-e89b-12d3-a456-426614174000\n"
    "api_token: \"6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b\"\n");
  w("hashes.txt",
    "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8\n"
    "md5 d41d8cd98f00b204e9800998ecf8427e\n"
    "token: \"da39a3ee5e6b4b0d3255bfef95601890afd80709\"\n"
    "secret_sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n");
  w("aws-docs.md",
    "```\naws_access_key_id = AKIA" "IOSFODNN7EXAMPLE\n"
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY" "EXAMPLEKEY\n```\n");
  std::filesystem::create_directories(dir / "decoys" / "web");
  std::ofstream(dir / "decoys" / "web" / "package-lock.json")
      << "{\n  \"packages\": {\"node_modules/x\": {\"integrity\": "
         "\"sha512-Wx3QbTTaP1pTSbQW7mhHnnBvD8pMkUpYv1x0iZ9yBHeTBd0q4sT4cgmGW4nkF3A9xZq4VmIbLbX9aYa2lFy1EQ==\"}}\n}\n";
  std::ofstream(dir / "decoys" / "web" / "yarn.lock")
      << "x@^1.0.0:\n  integrity sha512-Wx3QbTTaP1pTSbQW7mhHnnBvD8pMkUpYv1x0iZ9yBHeTBd0q4sT4cgmGW4nkF3A9xZq4VmIbLbX9aYa2lFy1EQ==\n";
  w("index.html",
    "<script src=\"x.js\" integrity=\"sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC\"></script>\n");
  w("fixtures.py",
    "password = \"changeme\"\n"
    "db_password = os.environ[\"DB_PASSWORD\"]\n"
    "api_key = \"<your-api-key>\"\n"
    "secret = \"xxxxxxxxxxxxxxxx\"\n"
    "token = get_token()\n"
    "tokenizer = \"bert-base-uncased\"\n"
    "password = \"${DB_PASSWORD}\"\n"
    "password_min_length = 12345678\n"
    "url = \"postgres://user:password@localhost:5432/db\"\n"
    "dsn = \"mysql://root:${MYSQL_PASSWORD}@db/app\"\n"
    "JWT = \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\"\n"
    "stripe.api_key = \"sk_test_4eC39HqLyjWDarjtT1zdp7dc\"\n"
    "KEY = \"\"\"-----BEGIN PRIVATE" " KEY-----\n...\n-----END PRIVATE" " KEY-----\"\"\"\n");
  w("settings.yaml",
    "password: ${DB_PASSWORD}\n"
    "client_secret: \"{{ .Values.secret }}\"\n"
    "token: !vault |\n"
    "secret_name: prod/db/password\n");
}

}  // namespace arcana::scan::testing
