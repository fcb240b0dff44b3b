#include "agent/credentials.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "crypto/aead.h"

namespace arcana::agent {
namespace {

std::string Trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return "";
  const auto b = s.find_last_not_of(" \t\r");
  return std::string(s.substr(a, b - a + 1));
}

int64_t MtimeNs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

Result<AwsCredentials> ParseSharedCredentials(std::string_view text, const std::string& profile) {
  AwsCredentials c;
  bool in_profile = false, found = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_profile = Trim(std::string_view(line).substr(1, line.size() - 2)) == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = Trim(std::string_view(line).substr(0, eq));
    std::string value = Trim(std::string_view(line).substr(eq + 1));
    if (key == "aws_access_key_id") c.access_key_id = value;
    if (key == "aws_secret_access_key") c.secret_access_key = value;
    if (key == "aws_session_token") c.session_token = value;
    crypto::SecureWipe(value);
    crypto::SecureWipe(line);
  }
  if (!found) return Status(ErrorCode::kInvalidParameter, "no profile [" + profile + "]");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return Status(ErrorCode::kInvalidParameter,
                  "profile [" + profile + "] lacks aws_access_key_id or aws_secret_access_key");
  }
  return c;
}

CredentialSource::CredentialSource(const AgentConfig& cfg, EnvLookup env) : env_(std::move(env)) {
  auto akid = env_("AWS_ACCESS_KEY_ID");
  auto secret = env_("AWS_SECRET_ACCESS_KEY");
  if (akid && secret && !akid->empty() && !secret->empty()) {
    AwsCredentials c;
    c.access_key_id = *akid;
    c.secret_access_key = crypto::SecretString::Take(*secret);
    if (auto token = env_("AWS_SESSION_TOKEN")) c.session_token = crypto::SecretString::Take(*token);
    from_env_ = std::move(c);
    return;
  }
  if (!cfg.credentials_file_path.empty()) {
    file_ = cfg.credentials_file_path;
  } else if (auto f = env_("AWS_SHARED_CREDENTIALS_FILE")) {
    file_ = *f;
  } else if (auto home = env_("HOME")) {
    file_ = *home + "/.aws/credentials";
  }
  profile_ = env_("AWS_PROFILE").value_or("default");
}

Result<AwsCredentials> CredentialSource::Current() {
  if (from_env_) return *from_env_;
  if (file_.empty()) {
    return Status(ErrorCode::kInvalidParameter, "no AWS credentials (environment or file)");
  }
  std::lock_guard<std::mutex> l(mu_);
  const int64_t mtime = MtimeNs(file_);
  if (cached_ && (mtime == mtime_ns_ || mtime == bad_mtime_ns_)) return *cached_;
  Result<AwsCredentials> parsed = Status(ErrorCode::kInvalidParameter,
                                         "cannot read credentials file " + file_);
  if (std::ifstream in(file_); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    parsed = ParseSharedCredentials(text, profile_);
    crypto::SecureWipe(text);
    if (!parsed.ok()) {
      parsed = Status(ErrorCode::kInvalidParameter, file_ + ": " + parsed.status().message());
    }
  }
  if (!parsed.ok()) {
    // A file caught half-written (or briefly absent) while it is replaced: the last good
    // credentials go on signing until a version of it reads whole.
    if (!cached_) return parsed.status();
    spdlog::warn("credentials: {}; signing with the credentials read before", parsed.status().message());
    bad_mtime_ns_ = mtime;
    return *cached_;
  }
  cached_ = std::move(parsed).value();
  mtime_ns_ = mtime;
  return *cached_;
}

std::string ResolveRegion(const AgentConfig& cfg, const EnvLookup& env) {
  if (!cfg.region.empty()) return cfg.region;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto v = env(name); v && !v->empty()) return *v;
  }
  return "us-east-1";
}

std::string ResolveEndpoint(const AgentConfig& cfg, const EnvLookup& env,
                            const std::string& service, const std::string& region) {
  const bool sm = service == "secretsmanager";
  const std::string& configured = sm ? cfg.endpoint : cfg.ssm_endpoint;
  if (!configured.empty()) return configured;
  for (const char* name :
       {sm ? "AWS_ENDPOINT_URL_SECRETS_MANAGER" : "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL"}) {
    if (auto v = env(name); v && !v->empty()) return *v;
  }
  return "https://" + service + "." + region + ".amazonaws.com";
}

}  // namespace arcana::agent
