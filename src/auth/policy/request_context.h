// The request context a policy is evaluated against: the action, the resource, and the
// condition context keys (aws:*, secretsmanager:*, kms:*, ssm:*), as AWS's "request context".
// Key names are case-insensitive (stored lower-cased); values are strings whatever their
// type: each condition operator interprets them (numbers, dates, IPs, booleans, base64).
// Thread-safety: a plain value.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace arcana::auth::policy {

class ContextKeys {
 public:
  // Sets (replaces) a single-valued key.
  void Set(std::string_view key, std::string value);
  // Sets (replaces) a multi-valued key (aws:TagKeys, ForAnyValue targets).
  void SetList(std::string_view key, std::vector<std::string> values);
  // nullptr when absent.
  const std::vector<std::string>* Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  const std::map<std::string, std::vector<std::string>>& all() const { return keys_; }

 private:
  std::map<std::string, std::vector<std::string>> keys_;  // lower-cased name -> values
};

std::string LowerAscii(std::string_view s);

}  // namespace arcana::auth::policy
