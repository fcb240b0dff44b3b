// Parameter name rules (spec 4.1, 7.2): allowed characters, hierarchy depth, reserved
// prefixes, the usable length including the ARN prefix, the canonical lookup key (`/Name`
// and `Name` are one parameter at the root), ARNs, and `name:selector` parsing.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::domain::ssm {

inline constexpr size_t kMaxHierarchyLevels = 15;
inline constexpr size_t kMaxUsableArnLength = 1011;

// Leading and trailing spaces are stripped (AWS does the same).
std::string TrimName(std::string_view raw);

// Validates a name for creation. Errors: kValidation (characters, form, reserved `aws`/`ssm`
// prefix, length), kAccessDenied (a `/aws/...` path), kHierarchyLevelLimitExceeded.
Status ValidateName(std::string_view name, std::string_view region, std::string_view account);

// Validates a name that names an existing parameter (reads, deletes, labels, history): the
// characters and the shape of a path (no `//`, no trailing `/`, a path starts with `/`), as
// AWS checks them before any lookup. Reserved prefixes are not refused here (`/aws/...` names
// can be read). Error: kValidation with AWS's "sub-paths divided by slash symbol" text.
Status ValidateLookupName(std::string_view name);

// AccessDeniedException "No access to reserved parameter name: NAME." (NAME without its
// leading slash), AWS's answer for a name in the namespace it keeps for itself.
Status ReservedName(std::string_view name);

// For GetParameter and DeleteParameter of a well-formed name: a root-level name prefixed with
// "aws" (any case; "awsX" or "/awsX") is AWS's, and AWS answers ReservedName for it, not
// ParameterNotFound (recorded: DeleteParameter "aws-cdk-playground", awslabs/aws-deployment-
// framework#119; GetParameter "awslimitschecker", aws-solutions/quota-monitor-for-aws#30).
// Hierarchical names are not refused: "/aws/..." holds AWS's public parameters and
// references, readable by everyone.
Status CheckReservedLookup(std::string_view name);

// The canonical lookup key: a root-level `/Name` becomes `Name`; other names are unchanged.
std::string NameKey(std::string_view name);

// Number of hierarchy levels ("a" = 1, "/a/b/c" = 3).
size_t HierarchyLevels(std::string_view name);
// True for a name inside a hierarchy ("/a/b"), false for root-level names.
bool IsHierarchical(std::string_view name);

// arn:aws:ssm:<region>:<account>:parameter/<name without leading slash>
std::string ParameterArn(std::string_view region, std::string_view account, std::string_view name);

// A Name input as callers send it: a name or an ARN, with an optional `:selector`.
struct NameRef {
  std::string name;      // the parameter name (from an ARN: with "/" restored for hierarchies)
  std::string selector;  // "" or the part after ':' (version number or label)
  bool from_arn = false;
  bool foreign = false;  // an ARN of another account or region
  std::string account;   // from an ARN: the account it names (a shared parameter's owner)
  std::string region;    // from an ARN: the region it names
  bool malformed = false;  // more than one selector, or an unparsable ARN
};
NameRef ParseNameRef(std::string_view input, std::string_view region, std::string_view account);

// A selector that is all digits selects a version; otherwise a label.
std::optional<int64_t> SelectorVersion(std::string_view selector);

// Validates a GetParametersByPath / Path filter value: starts with '/', allowed characters.
Status ValidatePath(std::string_view path);

// ParameterNotFound as AWS words it for the operation. GetParameter and DeleteParameter of a
// missing parameter answer with no message text at all (recorded from AWS: Error.Message "",
// HTTP 400); pass an empty `name` for them. The other operations name the parameter:
// "Parameter <name> not found."
Status ParameterNotFound(std::string_view name = {});

}  // namespace arcana::domain::ssm
