#include "scan/builtin_rules.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "crypto/base64.h"

namespace arcana::scan {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::shared_ptr<const re2::RE2> MustCompile(const std::string& pattern) {
  std::string error;
  auto re = CompileRegex(pattern, &error);
  if (!re) throw std::logic_error("built-in rule regex does not compile: " + error);
  return re;
}

Rule MakeRule(std::string id, std::string description, std::string regex,
              std::vector<std::string> keywords, double entropy = 0, int secret_group = 0) {
  Rule r;
  r.id = std::move(id);
  r.description = std::move(description);
  r.regex = std::move(regex);
  r.re = MustCompile(r.regex);
  r.keywords = std::move(keywords);
  r.entropy = entropy;
  r.secret_group = secret_group;
  return r;
}

bool HasDigit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}
bool HasLetter(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isalpha(c); });
}

// A JWT's header decodes to a JSON object naming its algorithm.
bool IsJwt(const MatchContext& ctx) {
  auto dot = ctx.secret.find('.');
  if (dot == std::string_view::npos) return false;
  auto header = crypto::Base64UrlDecode(ctx.secret.substr(0, dot));
  if (!header) return false;
  return header->find('{') != std::string::npos && header->find("\"alg\"") != std::string::npos;
}

// Code reads values from somewhere: `password = os.environ["X"]`, `token = cfg.token`,
// `secret: get_secret()` are references, not literals. An unquoted value made only of an
// identifier path (no digit) is taken as one.
bool LooksLikeReference(std::string_view v) {
  if (HasDigit(v)) return false;
  return std::all_of(v.begin(), v.end(), [](unsigned char c) {
    return std::isalpha(c) || c == '_' || c == '.' || c == '-';
  });
}

// The key of an assignment (the match before its value) names a digest, not a secret.
bool KeyNamesDigest(const MatchContext& ctx) {
  size_t at = ctx.match.rfind(ctx.secret);
  std::string key = Lower(ctx.match.substr(0, at == std::string_view::npos ? 0 : at));
  for (std::string_view w : {"sha", "hash", "digest", "checksum", "md5", "fingerprint", "etag",
                             "integrity", "commit"}) {
    if (key.find(w) != std::string::npos) return true;
  }
  return false;
}

// MD5, SHA-1, SHA-256 and SHA-512 of empty input: well-known constants, never secrets.
bool IsEmptyInputDigest(std::string_view v) {
  static constexpr std::array<std::string_view, 4> kEmpty = {
      "d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2"
      "877eec2f63b931bd47417a81a538327af927da3e"};
  return std::find(kEmpty.begin(), kEmpty.end(), v) != kEmpty.end();
}

bool AssignmentIsSecret(const MatchContext& ctx) {
  std::string_view v = ctx.secret;
  if (LooksLikePlaceholder(v)) return false;
  if (!HasLetter(v) && !HasDigit(v)) return false;
  // Plain words and identifiers (`password = user_password`) are not secrets.
  if (!HasDigit(v) && std::all_of(v.begin(), v.end(), [](unsigned char c) {
        return std::isalpha(c) || c == '_' || c == '-' || c == '.';
      })) {
    return false;
  }
  if (ctx.quote.empty() && LooksLikeReference(v)) return false;
  // A quoted value is taken whole and may hold blanks: prose (`"enter your token here"`)
  // is no secret; a value with a word of letters and digits (`"Xk29vLq pR7mzQ"`) is.
  if (v.find_first_of(" \t") != std::string_view::npos) {
    bool word = false;
    for (size_t i = 0; i < v.size() && !word;) {
      size_t e = v.find_first_of(" \t", i);
      if (e == std::string_view::npos) e = v.size();
      std::string_view w = v.substr(i, e - i);
      word = HasLetter(w) && HasDigit(w);
      i = e + 1;
    }
    if (!word) return false;
  }
  // Dotted paths (`cfg.db.pass2`, Terraform's data.x.y.secret_string) and environment
  // variable names (`DB_PASSWORD_2`) name a value kept elsewhere.
  static const RE2 kDotted(R"(^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$)");
  static const RE2 kEnvName(R"(^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$)");
  if (ctx.quote.empty() && RE2::FullMatch(v, kDotted)) return false;
  if (RE2::FullMatch(v, kEnvName)) return false;
  // Paths and URLs without credentials.
  if (v.front() == '/' || v.substr(0, 2) == "./" || v.substr(0, 2) == "~/") return false;
  if (v.find("://") != std::string_view::npos) return false;
  if (v.find("::") != std::string_view::npos) return false;  // C++/Rust paths, not passwords
  static const RE2 kUuid(
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  if (RE2::FullMatch(v, kUuid)) return false;
  // Lowercase hex of a digest's length is reported only when the key names a secret and not
  // a digest: `SECRET_KEY = "<64 hex>"` (Django, Flask) and many API keys are hex, while
  // `token_sha256: <hex>` or the digest of empty input are checksums.
  static const RE2 kHash("^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$");
  if (RE2::FullMatch(v, kHash) && (KeyNamesDigest(ctx) || IsEmptyInputDigest(v))) return false;
  return true;
}

bool UrlPasswordIsSecret(const MatchContext& ctx) {
  return !LooksLikePlaceholder(ctx.secret) && ctx.secret.size() >= 3;
}

// AWS publishes example credentials in its docs; they end in EXAMPLE / EXAMPLEKEY.
bool NotAwsExample(const MatchContext& ctx) {
  std::string_view s = ctx.secret;
  return !(s.size() >= 7 && s.substr(s.size() - 7) == "EXAMPLE") &&
         !(s.size() >= 10 && s.substr(s.size() - 10) == "EXAMPLEKEY");
}

}  // namespace

bool LooksLikePlaceholder(std::string_view secret) {
  static const std::array<std::string_view, 12> kExact = {
      "password", "passwd", "secret", "changeme", "pass", "admin",
      "root",     "token",  "null",   "none",     "undefined", "empty"};
  // Substrings of placeholders, templating and references to a value kept elsewhere.
  static const std::array<std::string_view, 30> kStopwords = {
      "example",  "sample",      "changeme",    "change_me", "change-me", "placeholder",
      "dummy",    "fake",        "redacted",    "xxxx",      "****",      "your_",
      "your-",    "yourpass",    "<",           ">",         "${",        "{{",
      "%(",       "$(",          "process.env", "environ",   "getenv",    "secrets.",
      "vault:",   "arn:aws:",    "arcana:",     "lorem",     "not-a-real", "notreal"};
  std::string lower = Lower(secret);
  if (lower.empty() || lower.front() == '$' || lower.front() == '%') return true;
  for (auto w : kExact) {
    if (lower == w) return true;
  }
  for (auto w : kStopwords) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

std::vector<Rule> BuiltinRules() {
  std::vector<Rule> rules;
  {
    Rule r = MakeRule("aws-access-key-id", "AWS access key id",
                      R"(\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b)",
                      {"akia", "asia", "abia", "acca", "a3t"}, 3.0, 1);
    r.validator = NotAwsExample;
    rules.push_back(std::move(r));
  }
  {
    Rule r = MakeRule(
        "aws-secret-access-key", "AWS secret access key",
        R"((?i)(?:secret[_-]?access[_-]?key|aws[_-]?secret[_-]?(?:access[_-]?)?key)["']?\s*(?:=|:=|:|=>)\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$))",
        {"secret"}, 4.0, 1);
    r.vectorscan = R"((?i)(?:secret[_-]?access[_-]?key|aws[_-]?secret[_-]?(?:access[_-]?)?key))";
    r.validator = NotAwsExample;
    rules.push_back(std::move(r));
  }
  rules.push_back(MakeRule("github-token", "GitHub token",
                           R"(\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})\b)",
                           {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, 3.0, 1));
  rules.push_back(MakeRule("github-fine-grained-token", "GitHub fine-grained token",
                           R"(\b(github_pat_[A-Za-z0-9_]{82})\b)", {"github_pat_"}, 3.0, 1));
  {
    Rule r = MakeRule("gitlab-token", "GitLab personal access token",
                           R"(\b(glpat-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$))", {"glpat-"},
                           3.0, 1);
    r.vectorscan = R"(glpat-[A-Za-z0-9_-]{8})";
    rules.push_back(std::move(r));
  }
  {
    Rule r = MakeRule("slack-token", "Slack token",
                           R"(\b(xox[abposr]-[0-9]{6,}-[0-9A-Za-z-]{10,200}))", {"xox"}, 3.0,
                           1);
    r.vectorscan = R"(xox[abposr]-[0-9]{6})";
    rules.push_back(std::move(r));
  }
  rules.push_back(MakeRule(
      "slack-webhook", "Slack incoming webhook",
      R"((hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{6,12}/[AB][A-Z0-9]{6,12}/[A-Za-z0-9]{20,40}))",
      {"hooks.slack.com"}, 0, 1));
  rules.push_back(MakeRule("stripe-key", "Stripe secret or restricted key",
                           R"(\b((?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{20,99})\b)",
                           {"sk_live", "sk_test", "sk_prod", "rk_live", "rk_test", "rk_prod"},
                           3.0, 1));
  {
    Rule r = MakeRule("google-api-key", "Google API key",
                           R"(\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$))", {"aiza"}, 3.0,
                           1);
    r.vectorscan = R"(AIza[0-9A-Za-z_-]{8})";
    rules.push_back(std::move(r));
  }
  {
    Rule r = MakeRule("google-oauth-client-secret", "Google OAuth client secret",
                           R"(\b(GOCSPX-[A-Za-z0-9_-]{28})(?:[^A-Za-z0-9_-]|$))", {"gocspx-"},
                           3.0, 1);
    r.vectorscan = R"(GOCSPX-[A-Za-z0-9_-]{8})";
    rules.push_back(std::move(r));
  }
  {
    Rule r = MakeRule("twilio-api-key", "Twilio API key", R"(\b(SK[0-9a-f]{32})\b)", {"sk"},
                      3.0, 1);
    r.validator = [](const MatchContext& c) { return HasLetter(c.secret.substr(2)); };
    rules.push_back(std::move(r));
  }
  rules.push_back(MakeRule("sendgrid-api-key", "SendGrid API key",
                           R"(\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$))",
                           {"sg."}, 3.0, 1));
  {
    Rule r = MakeRule(
        "private-key", "PEM private key",
        R"((-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{64,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----))",
        {"private key"}, 0, 1);
    r.vectorscan = R"(-----END[ A-Z0-9_-]{0,100}PRIVATE KEY)";
    // A key body of dots or x's in documentation is not a key.
    r.validator = [](const MatchContext& c) {
      return c.secret.find("...") == std::string_view::npos &&
             c.secret.find("xxxx") == std::string_view::npos;
    };
    rules.push_back(std::move(r));
  }
  {
    Rule r = MakeRule(
        "jwt", "JSON Web Token",
        R"(\b(ey[A-Za-z0-9_-]{10,}\.ey[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}))", {"eyj"}, 3.0, 1);
    r.validator = IsJwt;
    rules.push_back(std::move(r));
  }
  {
    Rule r = MakeRule(
        "connection-string-password", "Database or broker URL with a password",
        // The user may be empty (redis://:password@host). The host part ends at blanks, ';'
        // and ',' and before another scheme's "://": it ran on into the next URL of a list
        // (Celery's `amqp://u:p1@h1//;amqp://u:p2@h2//`, comma-separated MongoDB URLs), and
        // a match yielding a finding is searched past, so the second password was never one.
        R"((?i)\b((?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|mqtts?|nats|kafka|cockroachdb|clickhouse|oracle)(?:\+[a-z0-9]+)?://[^\s:@/"'<>]{0,128}:([^\s@/"'<>]{1,256})@(?:[^\s"'<>;,:]|:[^\s"'<>;,/]|:/[^\s"'<>;,/]){1,256}))",
        {"://"}, 0, 2);
    r.vectorscan = R"((?i)(?:postgres|mysql|mariadb|mongodb|redis|amqp|mssql|sqlserver|mqtt|nats|kafka|cockroachdb|clickhouse|oracle)[a-z0-9+]*://[^\s:@/"'<>]*:[^\s@/"'<>]+@)";
    r.validator = UrlPasswordIsSecret;
    rules.push_back(std::move(r));
  }
  {
    Rule r = MakeRule(
        "generic-secret-assignment", "Password, secret or token assigned in config or code",
        // The value: a quoted one whole, to its closing quote (escapes kept as written; migrate
        // decodes them per format), else (unquoted, or a quoted one too long) a run of
        // characters that cannot end a token. The value ended at `"';,<>{}()[]` even inside
        // quotes, so a finding was only the start of a quoted value, which migrate stored and
        // replaced alone. The secret is the first non-empty group (secret_group 0). Line ends
        // are spelled \x0a: a literal backslash-n makes the engine take the rule as multi-line.
        R"re((?im)(?:^|[^A-Za-z0-9])[A-Za-z0-9_.-]{0,40}?(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?key|credentials?)(?:[_.-]?(?:key|value|token|secret|str|string))?["']?[ \t]*(?:=|:=|:|=>)[ \t]*(?:"((?:[^"\\\x0d\x0a]|\\[^\x0d\x0a]){8,500})"|'((?:[^'\x0d\x0a]|''){8,500})'|`((?:[^`\\\x0d\x0a]|\\[^\x0d\x0a]){8,500})`|["'`]?([^\s"'`;,<>{}()\[\]:*&][^\s"'`;,<>{}()\[\]]{7,199})))re",
        {"pass", "pwd", "secret", "token", "key", "credential"}, 3.0, 0);
    r.vectorscan = R"((?i)(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?key|credentials?)(?:[_.-]?(?:key|value|token|secret|str|string))?["']?[ \t]*(?:=|:=|:|=>))";
    r.validator = AssignmentIsSecret;
    rules.push_back(std::move(r));
  }
  return rules;
}

Allowlist BuiltinGlobalAllowlist() {
  Allowlist a;
  a.description = "built-in: lock files, documented examples, integrity strings";
  a.paths.push_back(MustCompile(
      R"((?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|go\.sum|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock|packages\.lock\.json)$)"));
  a.regexes.push_back(MustCompile(R"(^(?:AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY)$)"));
  a.regexes.push_back(MustCompile(R"(^sha(?:1|256|384|512)-[A-Za-z0-9+/]+={0,2}$)"));
  // jwt.io's sample token and Stripe's documented test key.
  a.regexes.push_back(MustCompile(
      R"(^(?:eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ\.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c|sk_test_4eC39HqLyjWDarjtT1zdp7dc)$)"));
  return a;
}

}  // namespace arcana::scan
