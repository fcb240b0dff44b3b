// The users and roles a role's trust policy names, as IAM keeps them: when the policy is
// stored each user or role ARN among its principals is replaced by that identity's unique id
// (AIDA... / AROA...), so a user or role deleted and re-created under the same name (a new
// id) is not trusted, as AWS documents ("AWS transforms the ARN to a unique principal ID").
// The policy engine matches principals by unique id already (aws:userid). No I/O.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace arcana::domain::iam {

// A user or role ARN a trust policy names: arn:aws:iam::ACCOUNT:user|role/PATH/NAME.
struct NamedPrincipal {
  std::string arn;
  std::string account;
  std::string kind;  // "user" | "role"
  std::string path;  // "/" or "/a/b/"
  std::string name;
};

// `arn` as the user or role it names; nullopt for any other principal (a wildcard, an account
// id or root, an assumed-role session ARN, a unique id).
std::optional<NamedPrincipal> NamedPrincipalOf(const std::string& arn);

// The user and role ARNs among the "AWS" principals of the Principal and NotPrincipal
// elements of `doc` (a trust policy the policy engine accepted), each once. Wildcards, account
// ids, roots, assumed-role session ARNs and unique ids are not names of one identity and are
// left out. kMalformedPolicyDocument when `doc` is not JSON.
Result<std::vector<NamedPrincipal>> NamedPrincipalsOf(const std::string& doc);

// `doc` with every "AWS" principal (Principal/NotPrincipal) that is a key of `replace`
// replaced by its value; `doc` itself, byte for byte, when none is.
Result<std::string> ReplacePrincipals(const std::string& doc,
                                      const std::map<std::string, std::string>& replace);

}  // namespace arcana::domain::iam
