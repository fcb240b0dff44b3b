#include "domain/iam/identity.h"

#include <algorithm>
#include <cctype>

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

bool SameTagKeyIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

namespace {
bool SameKey(std::string_view a, std::string_view b, TagKeyCase key_case) {
  return key_case == TagKeyCase::kInsensitive ? SameTagKeyIgnoringCase(a, b) : a == b;
}
}  // namespace

bool RemoveTagKeys(Tags& tags, const std::vector<std::string>& keys, TagKeyCase key_case) {
  return std::erase_if(tags, [&](const auto& t) {
           return std::any_of(keys.begin(), keys.end(),
                              [&](const std::string& k) { return SameKey(t.first, k, key_case); });
         }) > 0;
}

void MergeTags(Tags& tags, const Tags& add, TagKeyCase key_case) {
  for (const auto& tag : add) {
    const std::string& k = tag.first;
    auto same = [&](const auto& t) { return SameKey(t.first, k, key_case); };
    auto it = std::find_if(tags.begin(), tags.end(), same);
    if (it == tags.end()) {
      tags.push_back(tag);
      continue;
    }
    it->first = k;  // the new spelling replaces the old (IAM: "it replaces the first tag")
    it->second = tag.second;
    // Any other spelling of the key (one stored before keys were compared without case)
    // goes: the entity holds the key once.
    tags.erase(std::remove_if(std::next(it), tags.end(), same), tags.end());
  }
}

}  // namespace arcana::domain::iam
