#include "domain/iam/identity.h"

#include <algorithm>

#include "crypto/random.h"

namespace arcana::domain::iam {

std::string IdentityArn(const std::string& account, const std::string& kind,
                        const std::string& path, const std::string& name) {
  return "arn:aws:iam::" + account + ":" + kind + path + name;
}

std::string Identity::Arn() const { return IdentityArn(account, kind, path, name); }

std::string ManagedPolicy::Arn() const { return IdentityArn(account, "policy", path, name); }

const PolicyVersion* ManagedPolicy::Version(const std::string& id) const {
  for (const auto& v : versions) {
    if (v.version_id == id) return &v;
  }
  return nullptr;
}

std::optional<std::pair<std::string, std::string>> ParsePolicyArn(const std::string& arn) {
  static constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!std::string_view(arn).starts_with(kPrefix)) return std::nullopt;
  size_t colon = arn.find(':', kPrefix.size());
  if (colon == std::string::npos) return std::nullopt;
  std::string account = arn.substr(kPrefix.size(), colon - kPrefix.size());
  std::string_view rest = std::string_view(arn).substr(colon + 1);
  if (!rest.starts_with("policy/")) return std::nullopt;
  size_t slash = rest.rfind('/');
  std::string name(rest.substr(slash + 1));
  if (name.empty() || account.empty()) return std::nullopt;
  return std::make_pair(account, name);
}

std::string NewUniqueId(const std::string& prefix) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out = prefix;
  for (int i = 0; i < 17; ++i) {
    out.push_back(kAlphabet[crypto::RandomUniform(static_cast<uint32_t>(kAlphabet.size()))]);
  }
  return out;
}

bool RemoveTagKeys(Tags& tags, const std::vector<std::string>& keys) {
  return std::erase_if(tags, [&](const auto& t) {
           return std::find(keys.begin(), keys.end(), t.first) != keys.end();
         }) > 0;
}

void MergeTags(Tags& tags, const Tags& add) {
  for (const auto& [k, v] : add) {
    bool found = false;
    for (auto& t : tags) {
      if (t.first == k) {
        t.second = v;
        found = true;
      }
    }
    if (!found) tags.emplace_back(k, v);
  }
}

}  // namespace arcana::domain::iam
