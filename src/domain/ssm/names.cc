#include "domain/ssm/names.h"

#include <cctype>

namespace arcana::domain::ssm {
namespace {

bool AllowedChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '/';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// AWS's text for a malformed name, reads and writes alike (it names only "ssm", whatever the
// mistake was; recorded from GetParameter/PutParameter responses).
const char* kBadName =
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it "
    "can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of "
    "letters, numbers and the following 3 symbols .-_";

// Characters and slashes only: no empty sub-path, no trailing slash, a path starts with '/'.
bool WellFormed(std::string_view name) {
  if (name.empty() || name == "/") return false;
  for (char c : name) {
    if (!AllowedChar(c)) return false;
  }
  if (name.find('/') != std::string_view::npos && name[0] != '/') return false;
  return name.find("//") == std::string_view::npos && name.back() != '/';
}

}  // namespace

Status ReservedName(std::string_view name) {
  // AWS names the parameter without its leading slash: "/aws/test" is answered "No access to
  // reserved parameter name: aws/test." (the console's PutParameter, aws-cloudformation/
  // cfn-lint#4089), "/awssec/lab01/vpc_id" "...: awssec/lab01/vpc_id." (Terraform's
  // PutParameter).
  if (!name.empty() && name[0] == '/') name.remove_prefix(1);
  return Status(ErrorCode::kAccessDenied,
                "No access to reserved parameter name: " + std::string(name) + ".");
}

Status CheckReservedLookup(std::string_view name) {
  if (IsHierarchical(name)) return Status::Ok();
  std::string_view bare = name.substr(!name.empty() && name[0] == '/' ? 1 : 0);
  if (Lower(bare.substr(0, 3)) == "aws") return ReservedName(name);
  return Status::Ok();
}

std::string TrimName(std::string_view raw) {
  size_t b = 0, e = raw.size();
  while (b < e && raw[b] == ' ') ++b;
  while (e > b && raw[e - 1] == ' ') --e;
  return std::string(raw.substr(b, e - b));
}

size_t HierarchyLevels(std::string_view name) {
  size_t levels = 0;
  bool in_segment = false;
  for (char c : name) {
    if (c == '/') {
      in_segment = false;
    } else if (!in_segment) {
      in_segment = true;
      ++levels;
    }
  }
  return levels;
}

bool IsHierarchical(std::string_view name) {
  return !name.empty() && name[0] == '/' && name.find('/', 1) != std::string_view::npos;
}

std::string NameKey(std::string_view name) {
  if (!name.empty() && name[0] == '/' && name.find('/', 1) == std::string_view::npos) {
    return std::string(name.substr(1));
  }
  return std::string(name);
}

std::string ParameterArn(std::string_view region, std::string_view account,
                         std::string_view name) {
  std::string_view rest = name;
  if (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
  std::string arn = "arn:aws:ssm:";
  arn.append(region).append(":").append(account).append(":parameter/").append(rest);
  return arn;
}

Status ValidateName(std::string_view name, std::string_view region, std::string_view account) {
  if (name.empty()) {
    return Status(ErrorCode::kValidation, "Parameter name must not be empty.");
  }
  for (char c : name) {
    if (!AllowedChar(c)) return Status(ErrorCode::kValidation, kBadName);
  }
  if (name.find('/') != std::string_view::npos && name[0] != '/') {
    return Status(ErrorCode::kValidation, "Parameter name must be a fully qualified name.");
  }
  if (name == "/" || name.find("//") != std::string_view::npos || name.back() == '/') {
    return Status(ErrorCode::kValidation, kBadName);
  }
  std::string_view first = name[0] == '/' ? name.substr(1) : name;
  std::string lowered = Lower(first.substr(0, 3));
  if (lowered == "aws" || lowered == "ssm") {
    if (IsHierarchical(name) && lowered == "aws") return ReservedName(name);
    // A path (`/ssm/x`) gets the long text, a root-level name the short one.
    if (IsHierarchical(name)) return Status(ErrorCode::kValidation, kBadName);
    return Status(ErrorCode::kValidation,
                  "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
  }
  if (HierarchyLevels(name) > kMaxHierarchyLevels) {
    return Status(ErrorCode::kHierarchyLevelLimitExceeded,
                  "A hierarchy can have a maximum of 15 levels. For more information, see "
                  "Requirements and constraints for parameter names in the AWS Systems Manager "
                  "User Guide.");
  }
  if (ParameterArn(region, account, name).size() > kMaxUsableArnLength) {
    return Status(ErrorCode::kValidation,
                  "Parameter name: the fully qualified name, including the ARN prefix "
                  "arn:aws:ssm:<region>:<account>:parameter/, can be at most 1011 characters.");
  }
  return Status::Ok();
}

Status ValidateLookupName(std::string_view name) {
  if (!WellFormed(name)) return Status(ErrorCode::kValidation, kBadName);
  return Status::Ok();
}

NameRef ParseNameRef(std::string_view input, std::string_view region, std::string_view account) {
  NameRef ref;
  std::string_view rest = input;
  if (input.substr(0, 4) == "arn:") {
    ref.from_arn = true;
    // arn:<partition>:ssm:<region>:<account>:parameter/<name>[:<selector>]
    std::string_view fields[5];
    for (int i = 0; i < 5; ++i) {
      size_t colon = rest.find(':');
      if (colon == std::string_view::npos) {
        ref.malformed = true;
        return ref;
      }
      fields[i] = rest.substr(0, colon);
      rest.remove_prefix(colon + 1);
    }
    constexpr std::string_view kRes = "parameter/";
    if (fields[2] != "ssm" || rest.substr(0, kRes.size()) != kRes || rest.size() == kRes.size()) {
      ref.malformed = true;
      return ref;
    }
    rest.remove_prefix(kRes.size());
    ref.foreign = fields[3] != region || fields[4] != account;
    ref.account = std::string(fields[4]);
    ref.region = std::string(fields[3]);
  }
  size_t colon = rest.find(':');
  std::string_view name = rest.substr(0, colon);
  if (colon != std::string_view::npos) {
    ref.selector = std::string(rest.substr(colon + 1));
    if (ref.selector.empty() || ref.selector.find(':') != std::string::npos) ref.malformed = true;
  }
  if (ref.from_arn && name.find('/') != std::string_view::npos) {
    ref.name = "/" + std::string(name);
  } else {
    ref.name = std::string(name);
  }
  return ref;
}

std::optional<int64_t> SelectorVersion(std::string_view selector) {
  if (selector.empty() || selector.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : selector) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Status ValidatePath(std::string_view path) {
  // AWS's text, byte for byte: the quotes around aws and ssm carry a literal backslash (they do
  // not around "/"), as AWS's answers to GetParametersByPath show (aws/aws-sdk-js-v3#5928 and
  // aws-samples/resource-autotagger#1 print the JSON error: "\"/\"" beside "\\\"aws\\\"";
  // pahud/cdk-remote-stack#605 prints the message: "/" beside \"aws\").
  const char* kBadPath =
      "The parameter doesn't meet the parameter name requirements. The parameter name must begin "
      "with a forward slash \"/\". It can't be prefixed with \\\"aws\\\" or \\\"ssm\\\" "
      "(case-insensitive). It must use only letters, numbers, or the following symbols: . "
      "(period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, "
      "if specified, must use the forward slash symbol \"/\". Valid example: "
      "/get/parameters2-/by1./path0_.";
  if (path.empty() || path[0] != '/' || path.find("//") != std::string_view::npos) {
    return Status(ErrorCode::kValidation, kBadPath);
  }
  for (char c : path) {
    if (!AllowedChar(c)) return Status(ErrorCode::kValidation, kBadPath);
  }
  if (HierarchyLevels(path) > kMaxHierarchyLevels) {
    return Status(ErrorCode::kValidation,
                  "The path has more than 15 levels. A hierarchy can have a maximum of 15 levels.");
  }
  return Status::Ok();
}

Status ParameterNotFound(std::string_view name) {
  if (name.empty()) return Status(ErrorCode::kParameterNotFound, "");
  return Status(ErrorCode::kParameterNotFound, "Parameter " + std::string(name) + " not found.");
}

}  // namespace arcana::domain::ssm
