#include "services/lambda/lambda_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "auth/authorizer.h"
#include "common/clock.h"
#include "common/json.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "domain/rotation/function_spec.h"
#include "rotation/execution_role.h"
#include "rotation/function_package.h"
#include "services/common/write_retry.h"
#include "services/lambda/lambda_encode.h"

namespace arcana::services::lambda {

namespace rot = domain::rotation;

namespace {

Status InvalidValue(std::string msg) {
  return Status(ErrorCode::kInvalidParameter, std::move(msg));
}

Status NotFound(const std::string& arn) {
  return Status(ErrorCode::kResourceNotFound, "Function not found: " + arn);
}

Status Allow(const CallContext& ctx, const std::string& resource) {
  auth::AccessRequest req;
  req.action = ctx.action == "lambda:Invoke" ? "lambda:InvokeFunction" : ctx.action;
  req.resource_arn = resource;
  return auth::Check(ctx, req);
}

// As Lambda: a function is given a role, and the caller must be allowed to pass that role
// to Lambda (iam:PassRole on the role, iam:PassedToService = lambda.amazonaws.com). Another
// account's role is never passable: AWS answers AccessDeniedException (403) "Cross-account
// pass role is not allowed." whatever the caller's policies (the account root's too).
Status AllowPassRole(const CallContext& ctx, const std::string& role) {
  auth::AccessRequest req;
  req.action = "iam:PassRole";
  req.resource_arn = role;
  // arn:PARTITION:iam::ACCOUNT:role/NAME (IsRoleArn checked the shape).
  size_t account_at = role.find("::") + 2;
  req.resource_account = role.substr(account_at, role.find(':', account_at) - account_at);
  if (req.resource_account != ctx.account) {
    return Status(ErrorCode::kAccessDenied, "Cross-account pass role is not allowed.");
  }
  req.keys.Set("iam:PassedToService", "lambda.amazonaws.com");
  return auth::Check(ctx, req);
}

std::string Finish(rapidjson::StringBuffer& buf) { return json::Finish(buf); }

// The model's Role pattern, arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+
// (the validator checks lengths, not patterns).
bool IsRoleArn(std::string_view role) {
  if (!role.starts_with("arn:")) return false;
  role.remove_prefix(4);
  size_t colon = role.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view partition = role.substr(0, colon);
  if (!partition.empty() && !partition.starts_with("aws")) return false;
  for (char c : partition) {
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  role.remove_prefix(colon + 1);
  if (!role.starts_with("iam::") || role.size() < 5 + 12 + 6) return false;
  role.remove_prefix(5);
  for (int i = 0; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(role[i]))) return false;
  }
  role.remove_prefix(12);
  if (!role.starts_with(":role")) return false;
  role.remove_prefix(5);
  if (role.starts_with('/')) role.remove_prefix(1);
  if (role.empty()) return false;
  for (char c : role) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("_+=,.@-/").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// The patterns of AddPermission's and RemovePermission's members, as Lambda checks them
// (full match, ValidationException quoting the model's pattern): without them a policy
// statement took any Action ("s3:GetObject"), a Sid with spaces, or a Principal with
// whitespace, all of which AWS refuses.
bool AllOf(std::string_view s, std::string_view extra) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// A region as the model's Arn pattern takes it: [a-z]{2}(-gov)?-[a-z]+-\d.
bool IsArnRegion(std::string_view r) {
  auto lower = [](std::string_view w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  };
  if (r.size() < 3 || !lower(r.substr(0, 2)) || r[2] != '-') return false;
  r.remove_prefix(3);
  if (r.starts_with("gov-")) r.remove_prefix(4);
  size_t dash = r.find('-');
  return dash != std::string_view::npos && lower(r.substr(0, dash)) && r.size() == dash + 2 &&
         std::isdigit(static_cast<unsigned char>(r.back())) != 0;
}

bool IsModelArn(std::string_view s) {
  std::string_view part[5];
  for (auto& p : part) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    p = s.substr(0, colon);
    s.remove_prefix(colon + 1);
  }
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  };
  // (.*): no line break.
  return part[0] == "arn" && part[1].starts_with("aws") && AllOf(part[1], "-") &&
         !part[2].empty() && AllOf(part[2], "-") && (part[3].empty() || IsArnRegion(part[3])) &&
         (part[4].empty() || (part[4].size() == 12 && digits(part[4]))) &&
         s.find_first_of("\n\r") == std::string_view::npos;
}

ModelValidator::PatternMatchers PermissionPatterns() {
  return {
      {"StatementId", [](std::string_view s) { return AllOf(s, "-_"); }},           // ([a-zA-Z0-9-_]+)
      {"NamespacedStatementId", [](std::string_view s) { return AllOf(s, "-_."); }},  // ([a-zA-Z0-9-_.]+)
      {"Action",  // (lambda:[*]|lambda:[a-zA-Z]+|[*])
       [](std::string_view s) {
         if (s == "*" || s == "lambda:*") return true;
         if (!s.starts_with("lambda:") || s.size() == 7) return false;
         return std::all_of(s.begin() + 7, s.end(),
                            [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
       }},
      {"Principal",  // [^\s]+
       [](std::string_view s) {
         return !s.empty() && s.find_first_of(" \t\n\v\f\r") == std::string_view::npos;
       }},
      {"SourceOwner",  // \d{12}
       [](std::string_view s) {
         return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) {
                  return std::isdigit(static_cast<unsigned char>(c)) != 0;
                });
       }},
      {"EventSourceToken", [](std::string_view s) { return AllOf(s, "._-"); }},  // [a-zA-Z0-9._\-]+
      // AddPermission's SourceArn:
      // arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)
      {"Arn", IsModelArn},
      // \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+ (its first branch is within the second):
      // AWS refuses "invalid-qualifier-with-?-char" (TestLambdaPermissions::
      // test_permission_exceptions, add_permission_fn_qualifier_invalid).
      {"NumericLatestPublishedOrAliasQualifier", [](std::string_view s) { return AllOf(s, "-_$"); }},
      // LoggingConfig.LogGroup, [\.\-_/#A-Za-z0-9]+ (kept and answered back).
      {"LogGroup", [](std::string_view s) { return AllOf(s, ".-_/#"); }},
      {"PrincipalOrgID",  // o-[a-z0-9]{10,32}
       [](std::string_view s) {
         if (!s.starts_with("o-") || s.size() < 12 || s.size() > 34) return false;
         return std::all_of(s.begin() + 2, s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
       }},
  };
}

// The model's Runtime values, in its order: what "Member must satisfy enum value set" lists
// for a runtime Lambda does not know (AWS lists the runtimes it currently takes, in an order
// of its own, which no model records).
std::vector<std::string> ModelRuntimes() {
  rapidjson::Document model;
  LoadEmbeddedModel("lambda", &model);
  std::vector<std::string> out;
  for (const auto& v : model["shapes"]["Runtime"]["enum"].GetArray()) out.emplace_back(v.GetString());
  return out;
}

// The model's Role pattern checked (ValidationException in Lambda's words), then the caller's
// iam:PassRole on it: CreateFunction's and UpdateFunctionConfiguration's Role alike.
Status CheckRole(const CallContext& ctx, const std::string& role) {
  if (!IsRoleArn(role)) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value '" + role.substr(0, 256) +
                      "' at 'role' failed to satisfy constraint: Member must satisfy regular "
                      "expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?"
                      "[a-zA-Z_0-9+=,.@\\-_/]+");
  }
  return AllowPassRole(ctx, role);
}

Status CheckHandler(const std::string& handler) {
  if (!rot::ValidatePythonHandler(handler).ok()) {
    return InvalidValue("The handler must be module.function, e.g. "
                        "lambda_function.lambda_handler.");
  }
  return Status::Ok();
}

Status CheckTimeout(int64_t timeout) {
  if (!rot::ValidateTimeout(timeout).ok()) {
    return InvalidValue("Timeout must be between 1 and 900 seconds.");
  }
  return Status::Ok();
}

// Environment.Variables as the function's environment ({} when e has none), checked as Lambda
// checks them.
Result<rot::EnvVars> EnvironmentOf(const rapidjson::Value* e) {
  rot::EnvVars env;
  if (e != nullptr && e->IsObject()) {
    if (const auto* vars = json::Input(*e).Get("Variables"); vars != nullptr && vars->IsObject()) {
      // Lambda's 4 KB bounds the variables as the compact JSON object it measures, in the
      // order given ('String measured: {"SMALL_VAR":"ok","LARGE_VAR":"xxx..."}' in LocalStack's
      // AWS-validated TestLambdaSizeLimits snapshots), quotes and separators included: the sum
      // of names and values alone let through sets AWS refuses.
      rapidjson::StringBuffer measured;
      json::Writer mw(measured);
      vars->Accept(mw);
      if (measured.GetSize() > rot::kMaxEnvBytes) {
        // AWS goes on with "String measured: " and that JSON, values included; variables may
        // hold credentials, and an error never quotes them (errors reach logs and audit).
        return InvalidValue("Lambda was unable to configure your environment variables because "
                            "the environment variables you have provided exceeded the 4KB "
                            "limit.");
      }
      // The runtime's own variables are reserved, refused in Lambda's words and listed as
      // given ("... Reserved keys used in this request: AWS_REGION, AWS_ACCESS_KEY", as AWS
      // answers CloudFormation and Terraform users); Arcana refuses the other AWS_* names
      // too (it sets AWS_ENDPOINT_URL), in its own words below.
      static constexpr std::string_view kReserved[] = {
          "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
          "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
          "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
          "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
          "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
          "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"};
      std::string reserved;
      for (auto it = vars->MemberBegin(); it != vars->MemberEnd(); ++it) {
        std::string_view key(it->name.GetString(), it->name.GetStringLength());
        if (std::find(std::begin(kReserved), std::end(kReserved), key) != std::end(kReserved)) {
          reserved += (reserved.empty() ? "" : ", ") + std::string(key);
        }
      }
      if (!reserved.empty()) {
        return InvalidValue("Lambda was unable to configure your environment variables because "
                            "the environment variables you have provided contains reserved keys "
                            "that are currently not supported for modification. Reserved keys "
                            "used in this request: " + reserved);
      }
      for (auto it = vars->MemberBegin(); it != vars->MemberEnd(); ++it) {
        if (!it->value.IsString()) continue;
        env[it->name.GetString()] = std::string(it->value.GetString(), it->value.GetStringLength());
      }
    }
  }
  if (Status st = rot::ValidateEnv(env); !st.ok()) {
    return InvalidValue("Lambda was unable to configure your environment variables: " +
                        st.message());
  }
  return env;
}

// The LoggingConfig members given replace a's (the validator checked their enums, lengths and
// pattern); the others stay.
void ApplyLoggingConfig(const rapidjson::Value* lc, LambdaAttributes* a) {
  if (lc == nullptr || !lc->IsObject()) return;
  json::Input l(*lc);
  if (auto v = l.Str("LogFormat")) a->log_format = *v;
  if (auto v = l.Str("LogGroup")) a->log_group = *v;
  if (auto v = l.Str("ApplicationLogLevel")) a->application_log_level = *v;
  if (auto v = l.Str("SystemLogLevel")) a->system_log_level = *v;
}

// The package of a CreateFunction's Code or an UpdateFunctionCode request, c: its ZipFile
// decoded, within the bound and a zip Arcana can run (rotation/function_package.h).
// operation names the call in the size error, as AWS's words do.
Result<std::string> PackageOf(const json::Input& c, std::string_view operation) {
  auto zip = crypto::Base64Decode(c.Str("ZipFile").value_or(""));
  if (!zip) return Status(ErrorCode::kSerialization, "ZipFile is not valid base64");
  if (zip->size() > rotation::kMaxPackageBytes) {
    // AWS's wording, whose N is the bound of the zip as the request carries it (base64).
    constexpr size_t kMaxZipFileChars = (rotation::kMaxPackageBytes + 2) / 3 * 4;
    return Status(ErrorCode::kRequestEntityTooLarge,
                  "Request must be smaller than " + std::to_string(kMaxZipFileChars) +
                      " bytes for the " + std::string(operation) + " operation");
  }
  ARCANA_RETURN_IF_ERROR(rotation::CheckPackage(*zip).status());
  return std::move(*zip);
}

// An update's LastModified: now, and after the function's previous change even when the clock
// says otherwise, so that every update has a RevisionId of its own (lambda_encode.h).
int64_t ModifiedAt(const storage::RotationFunction& f, const LambdaAttributes& a, int64_t now_ms) {
  return std::max({now_ms, f.created_ms + 1, a.modified_ms + 1});
}

// The updates change what this API made: a function registered with the CLI has no Lambda
// attributes (no Role, no package) to update.
Status CheckUpdatable(const storage::RotationFunction& f) {
  if (!f.lambda_json.empty() && f.kind == rot::kKindZip) return Status::Ok();
  return InvalidValue("The function " + f.name + " was registered with arcana functions create "
                      "(--" + f.kind + "): change it with the CLI.");
}

}  // namespace

LambdaService::LambdaService(storage::FunctionStore& functions,
                             const rotation::FunctionInvoker& invoker,
                             const auth::IdentityResolver& identities, const crypto::RootKey& root)
    : functions_(functions),
      invoker_(invoker),
      identities_(identities),
      root_(root),
      // Lambda quotes a list of strings whole and folds its elements' violations into one,
      // as AWS's JSON services do (TestLambdaFunction::test_create_lambda_exceptions:
      // "Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must
      // have length less than or equal to 1", "Value '[X86_64]' at 'architectures' ... Member
      // must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], ...]").
      validator_("lambda", ErrorCode::kValidation, ModelValidator::Patterns::kIgnored, {},
                 ModelValidator::ListValues::kCoral, {}, PermissionPatterns(), {},
                 {"Runtime"}),
      rest_("lambda", {"CreateFunction", "GetFunction", "GetFunctionConfiguration",
                       "UpdateFunctionConfiguration", "UpdateFunctionCode", "DeleteFunction",
                       "ListFunctions", "Invoke", "AddPermission", "RemovePermission",
                       "GetPolicy"}),
      runtimes_(ModelRuntimes()),
      worker_([this] { RunEvents(); }) {}

LambdaService::~LambdaService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    events_.clear();
  }
  cv_.notify_all();
  worker_.join();
}

RestWireError LambdaService::ErrorOf(ErrorCode code) const {
  switch (code) {
    case ErrorCode::kResourceNotFound: return {"ResourceNotFoundException", 404, true};
    case ErrorCode::kResourceExists: return {"ResourceConflictException", 409, true};
    case ErrorCode::kPreconditionNotMet: return {"PreconditionFailedException", 412, true};
    case ErrorCode::kInvalidParameter: return {"InvalidParameterValueException", 400, true};
    case ErrorCode::kValidation: return {"ValidationException", 400, true};
    case ErrorCode::kSerialization: return {"InvalidRequestContentException", 400, true};
    case ErrorCode::kLimitExceeded: return {"PolicyLengthExceededException", 400, true};
    // AWS answers an oversized CreateFunction (and an oversized Invoke body) with
    // RequestEntityTooLargeException 413, "Request must be smaller than N bytes for the
    // CreateFunction operation"; the model's RequestTooLargeException is not what it sends.
    case ErrorCode::kRequestEntityTooLarge: return {"RequestEntityTooLargeException", 413, true};
    case ErrorCode::kAccessDenied: return {"AccessDeniedException", 403, true};
    case ErrorCode::kUnrecognizedClient: return {"UnrecognizedClientException", 403, true};
    case ErrorCode::kInvalidSignature: return {"InvalidSignatureException", 403, true};
    case ErrorCode::kIncompleteSignature: return {"IncompleteSignatureException", 403, true};
    case ErrorCode::kMissingAuthToken: return {"MissingAuthenticationTokenException", 403, true};
    case ErrorCode::kExpiredToken: return {"ExpiredTokenException", 403, true};
    // Invoke's concurrency bound (TakeInvocationSlot) and a full Event queue; Retry-After
    // (the model's retryAfterSeconds): a slot frees when a running function ends.
    case ErrorCode::kThrottling:
      return {"TooManyRequestsException", 429, true, "ConcurrentInvocationLimitExceeded", "1"};
    case ErrorCode::kWriteConflict: return {"TooManyRequestsException", 429, true};
    case ErrorCode::kUnknownOperation: return {"UnknownOperationException", 400, true};
    case ErrorCode::kServiceUnavailable: return {"ServiceException", 503, false};
    default: return {"ServiceException", 500, false};
  }
}

Result<std::string> LambdaService::Call(std::string_view op, const rapidjson::Value& input,
                                        const CallContext& ctx) {
  if (op == "CreateFunction") return CreateFunction(input, ctx);
  if (op == "GetFunction") return GetFunction(input, ctx);
  if (op == "GetFunctionConfiguration") return GetFunctionConfiguration(input, ctx);
  if (op == "UpdateFunctionConfiguration") return UpdateFunctionConfiguration(input, ctx);
  if (op == "UpdateFunctionCode") return UpdateFunctionCode(input, ctx);
  if (op == "DeleteFunction") return DeleteFunction(input, ctx);
  if (op == "ListFunctions") return ListFunctions(input, ctx);
  if (op == "Invoke") return Invoke(input, ctx);
  if (op == "AddPermission") return AddPermission(input, ctx);
  if (op == "RemovePermission") return RemovePermission(input, ctx);
  if (op == "GetPolicy") return GetPolicy(input, ctx);
  return Status(ErrorCode::kUnknownOperation,
                "Operation " + std::string(op) + " is not supported by this server.");
}

// FunctionName as Lambda's pattern takes it:
//   (arn:(aws[a-zA-Z-]*)?:lambda:)?(REGION:)?(ACCOUNT:)?(function:)?NAME(:QUALIFIER)?
// (REGION like us-east-1 / us-gov-west-1 / us-iso-east-1, ACCOUNT 12 digits, NAME and
// QUALIFIER of [a-zA-Z0-9-_], QUALIFIER also $LATEST). Each optional part is taken only when
// a NAME still follows, as the regex would. A qualifier may come with the name or as
// Qualifier, not both differently. Only $LATEST exists: the operations decide what another
// qualifier means (Load, DeleteFunction).
namespace {

bool NameChars(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

bool Lower(std::string_view s) {
  for (char c : s) {
    if (c < 'a' || c > 'z') return false;
  }
  return !s.empty();
}

// -[a-z]+-\d (the end of a region name)
bool RegionTail(std::string_view t) {
  if (t.size() < 4 || t[0] != '-' || t[t.size() - 2] != '-' ||
      !std::isdigit(static_cast<unsigned char>(t.back()))) {
    return false;
  }
  return Lower(t.substr(1, t.size() - 3));
}

// [a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}
bool IsRegion(std::string_view r) {
  if (r.size() < 2 || !Lower(r.substr(0, 2))) return false;
  std::string_view rest = r.substr(2);
  if (RegionTail(rest)) return true;
  if (rest.starts_with("-gov")) return RegionTail(rest.substr(4));
  if (!rest.starts_with("-iso")) return false;
  rest.remove_prefix(4);
  return RegionTail(rest) || (!rest.empty() && Lower(rest.substr(0, 1)) &&
                              RegionTail(rest.substr(1)));
}

bool IsAccount(std::string_view a) {
  if (a.size() != 12) return false;
  for (char c : a) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsPartition(std::string_view p) {  // (aws[a-zA-Z-]*)?
  if (p.empty()) return true;
  if (!p.starts_with("aws")) return false;
  for (char c : p.substr(3)) {
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

Result<LambdaService::Target> LambdaService::Resolve(std::string_view operation,
                                                     const rapidjson::Value& input,
                                                     const CallContext& ctx) const {
  json::Input in(input);
  const std::string given = in.Str("FunctionName").value_or("");
  std::vector<std::string_view> seg;
  for (size_t start = 0; seg.size() <= 8;) {
    size_t colon = given.find(':', start);
    seg.push_back(std::string_view(given).substr(start, colon == std::string::npos
                                                            ? std::string::npos
                                                            : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  std::string_view region = ctx.region, account = ctx.account, name, derived;
  bool has_derived = false, ok = seg.size() <= 8;
  size_t i = 0, n = seg.size();
  if (ok && n >= 4 && seg[0] == "arn") {
    ok = IsPartition(seg[1]) && seg[2] == "lambda";
    i = 3;
  }
  if (ok && i + 1 < n && IsRegion(seg[i])) region = seg[i++];
  if (ok && i + 1 < n && IsAccount(seg[i])) account = seg[i++];
  if (ok && i + 1 < n && seg[i] == "function") ++i;
  if (ok && i < n) {
    name = seg[i++];
    ok = NameChars(name);
    if (ok && i < n) {
      derived = seg[i++];
      has_derived = true;
      ok = derived == "$LATEST" || NameChars(derived);
    }
    ok = ok && i == n;
  } else {
    ok = false;
  }
  if (!ok) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value '" + given.substr(0, 256) +
                      "' at 'functionName' failed to satisfy constraint: Member must satisfy "
                      "regular expression pattern: " +
                      rest_.MemberPattern(operation, "FunctionName"));
  }
  // The model allows 140 characters for an ARN; the name in it has Lambda's own bound, which
  // AWS reports as an InvalidParameterValueException in validation-error words.
  if (!rot::ValidateFunctionName(std::string(name)).ok()) {
    return InvalidValue("1 validation error detected: Value '" + given.substr(0, 256) +
                        "' at 'functionName' failed to satisfy constraint: Member must have "
                        "length less than or equal to 64");
  }
  std::string qualifier = in.Str("Qualifier").value_or("");
  if (has_derived) {
    if (in.Has("Qualifier") && qualifier != derived) {
      return InvalidValue(
          "The derived qualifier from the function name does not match the specified "
          "qualifier.");
    }
    qualifier = std::string(derived);
  }
  // As AWS words it: a function ARN of another region is refused by region, not looked up.
  if (region != ctx.region) {
    return Status(ErrorCode::kResourceNotFound, "Functions from '" + std::string(region) +
                                                    "' are not reachable in this region ('" +
                                                    ctx.region + "')");
  }
  // Another account's function. Invoking it by ARN is decided by its policy (Invoke: the
  // function's resource policy must allow this caller, whose own policies must allow it too).
  // Creating one is refused as AWS refuses it (AccessDenied); for the other operations it is
  // a function this account cannot see: not found.
  if (account != ctx.account && operation == "Invoke") {
    return Target{std::string(name),
                  rot::LambdaArnOf(ctx.region, std::string(account), std::string(name)),
                  qualifier, std::string(account)};
  }
  if (account != ctx.account) {
    if (operation == "CreateFunction") {
      return Status(ErrorCode::kAccessDenied,
                    "User is not authorized to create functions in account " +
                        std::string(account) + ".");
    }
    return NotFound(rot::LambdaArnOf(std::string(region), std::string(account),
                                     std::string(name)));
  }
  return Target{std::string(name), rot::LambdaArnOf(ctx.region, ctx.account, std::string(name)),
                qualifier, ctx.account};
}

std::string LambdaService::Target::QualifiedArn() const {
  return qualifier.empty() ? arn : arn + ":" + qualifier;
}

Result<storage::RotationFunction> LambdaService::Load(const Target& t,
                                                      const CallContext& ctx) const {
  // Only $LATEST exists; a version or alias is not found, with the ARN as it was asked for.
  if (!t.qualifier.empty() && t.qualifier != "$LATEST") return NotFound(t.QualifiedArn());
  ARCANA_ASSIGN_OR_RETURN(auto f, functions_.GetFunction({t.account, ctx.region}, t.name));
  if (!f) return NotFound(t.QualifiedArn());
  return std::move(*f);
}

Status LambdaService::CheckRuntime(const std::string& runtime) const {
  // A runtime Lambda does not know is InvalidParameterValueException in Lambda's own words,
  // not the validator's (TestLambdaFunction::test_create_lambda_exceptions, invalid_runtime_exc
  // and uppercase_runtime_exc: "Value PYTHON3.9 at 'runtime' failed to satisfy constraint:
  // Member must satisfy enum value set: [...] or be a valid ARN").
  if (std::find(runtimes_.begin(), runtimes_.end(), runtime) == runtimes_.end()) {
    std::string all;
    for (const auto& r : runtimes_) all += (all.empty() ? "" : ", ") + r;
    return InvalidValue("Value " + runtime.substr(0, 64) +
                        " at 'runtime' failed to satisfy constraint: Member must satisfy enum "
                        "value set: [" + all + "] or be a valid ARN");
  }
  if (!runtime.starts_with("python3.")) {
    return InvalidValue("The runtime parameter of " + runtime.substr(0, 64) +
                        " is not supported by Arcana: it runs python3.x functions only.");
  }
  return Status::Ok();
}

Result<std::string> LambdaService::CreateFunction(const rapidjson::Value& input,
                                                  const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("CreateFunction", input, ctx));
  if (!t.qualifier.empty() && t.qualifier != "$LATEST") return NotFound(t.QualifiedArn());
  ARCANA_RETURN_IF_ERROR(Allow(ctx, t.arn));
  if (in.Str("PackageType").value_or("Zip") != "Zip") {
    return InvalidValue("Arcana runs Zip packages only (PackageType Image is not supported).");
  }
  const std::string role = in.Str("Role").value_or("");
  ARCANA_RETURN_IF_ERROR(CheckRole(ctx, role));
  const std::string runtime = in.Str("Runtime").value_or("");
  const std::string handler = in.Str("Handler").value_or("");
  if (runtime.empty() || handler.empty()) {
    return InvalidValue("Runtime and Handler are mandatory parameters for functions created "
                        "with deployment packages.");
  }
  ARCANA_RETURN_IF_ERROR(CheckRuntime(runtime));
  ARCANA_RETURN_IF_ERROR(CheckHandler(handler));
  const rapidjson::Value* code = in.Get("Code");
  json::Input c(code != nullptr ? *code : input);
  if (code == nullptr || !c.Has("ZipFile") || c.Has("S3Bucket") || c.Has("S3Key") ||
      c.Has("ImageUri")) {
    return InvalidValue("Arcana takes a function's code only as Code.ZipFile (no S3 object or "
                        "container image).");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string zip, PackageOf(c, "CreateFunction"));
  const int64_t timeout = in.Int("Timeout").value_or(kDefaultTimeoutSeconds);
  ARCANA_RETURN_IF_ERROR(CheckTimeout(timeout));
  ARCANA_ASSIGN_OR_RETURN(rot::EnvVars env, EnvironmentOf(in.Get("Environment")));
  // As Lambda: once the request is well formed, the role must exist (in this account, under
  // this ARN) and trust lambda.amazonaws.com, the check a rotation run makes again.
  ARCANA_ASSIGN_OR_RETURN(auto execution_role,
                          rotation::LambdaExecutionRole(identities_, ctx.account, role));
  if (!execution_role) return InvalidValue(rotation::kCannotAssumeMessage);
  LambdaAttributes a;
  a.runtime = runtime;
  a.role = role;
  a.description = in.Str("Description").value_or("");
  a.memory_mb = in.Int("MemorySize").value_or(128);
  a.code_sha256 = crypto::Base64Encode(crypto::Sha256(zip));
  a.code_size = static_cast<int64_t>(zip.size());
  ApplyLoggingConfig(in.Get("LoggingConfig"), &a);
  storage::RotationFunction f;
  f.account = ctx.account;
  f.region = ctx.region;
  f.name = t.name;
  f.kind = rot::kKindZip;
  f.target = crypto::Sha256Hex(zip);
  f.handler = handler;
  f.env_json = rot::EncodeEnv(env);
  f.timeout_s = timeout;
  f.created_ms = ctx.now_ms;
  f.lambda_json = EncodeAttributes(a);
  f.code = std::move(zip);
  ARCANA_RETURN_IF_ERROR(functions_.CreateFunction(f));
  ctx.Touch(kFunctionType, t.arn);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteConfiguration(w, f, ConfigurationOf::kCreate);
  return Finish(buf);
}

Result<std::string> LambdaService::GetFunction(const rapidjson::Value& input,
                                               const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("GetFunction", input, ctx));
  ARCANA_RETURN_IF_ERROR(Allow(ctx, t.arn));
  ARCANA_ASSIGN_OR_RETURN(auto f, Load(t, ctx));
  ctx.Touch(kFunctionType, t.arn);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Configuration");
  WriteConfiguration(w, f);
  // The package is not downloadable (no presigned S3 URL): Location is left out, as the
  // model allows.
  w.Key("Code");
  w.StartObject();
  json::KV(w, "RepositoryType", "S3");
  w.EndObject();
  w.EndObject();
  return Finish(buf);
}

Result<std::string> LambdaService::GetFunctionConfiguration(const rapidjson::Value& input,
                                                            const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("GetFunctionConfiguration", input, ctx));
  ARCANA_RETURN_IF_ERROR(Allow(ctx, t.arn));
  ARCANA_ASSIGN_OR_RETURN(auto f, Load(t, ctx));
  ctx.Touch(kFunctionType, t.arn);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteConfiguration(w, f);
  return Finish(buf);
}

Result<std::string> LambdaService::UpdateFunctionConfiguration(const rapidjson::Value& input,
                                                               const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("UpdateFunctionConfiguration", input, ctx));
  ARCANA_RETURN_IF_ERROR(Allow(ctx, t.arn));
  // The request's members checked as CreateFunction checks them, before any read: only the
  // members given change (AWS: "You provide only the parameters you want to change").
  const auto role = in.Str("Role");
  if (role) ARCANA_RETURN_IF_ERROR(CheckRole(ctx, *role));
  const auto runtime = in.Str("Runtime");
  if (runtime) ARCANA_RETURN_IF_ERROR(CheckRuntime(*runtime));
  const auto handler = in.Str("Handler");
  if (handler) ARCANA_RETURN_IF_ERROR(CheckHandler(*handler));
  const auto timeout = in.Int("Timeout");
  if (timeout) ARCANA_RETURN_IF_ERROR(CheckTimeout(*timeout));
  // Environment replaces the variables whole (Variables {} or none clears them), as on Lambda.
  std::optional<rot::EnvVars> env;
  if (in.Has("Environment")) {
    ARCANA_ASSIGN_OR_RETURN(env, EnvironmentOf(in.Get("Environment")));
  }
  if (role) {
    // As CreateFunction: the new role must exist and trust lambda.amazonaws.com.
    ARCANA_ASSIGN_OR_RETURN(auto execution_role,
                            rotation::LambdaExecutionRole(identities_, ctx.account, *role));
    if (!execution_role) return InvalidValue(rotation::kCannotAssumeMessage);
  }
  ARCANA_ASSIGN_OR_RETURN(
      storage::RotationFunction updated,
      UpdateAtRevision(t, ctx, input, [&](storage::RotationFunction& f, LambdaAttributes& a) {
        if (role) a.role = *role;
        if (runtime) a.runtime = *runtime;
        if (auto d = in.Str("Description")) a.description = *d;
        if (auto m = in.Int("MemorySize")) a.memory_mb = *m;
        ApplyLoggingConfig(in.Get("LoggingConfig"), &a);
        if (handler) f.handler = *handler;
        if (timeout) f.timeout_s = *timeout;
        if (env) f.env_json = rot::EncodeEnv(*env);
      }));
  ctx.Touch(kFunctionType, t.arn);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteConfiguration(w, updated, ConfigurationOf::kUpdate);
  return Finish(buf);
}

Result<std::string> LambdaService::UpdateFunctionCode(const rapidjson::Value& input,
                                                      const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("UpdateFunctionCode", input, ctx));
  ARCANA_RETURN_IF_ERROR(Allow(ctx, t.arn));
  const bool s3 = in.Has("S3Bucket") || in.Has("S3Key") || in.Has("S3ObjectVersion");
  if (!in.Has("ZipFile") && !s3 && !in.Has("ImageUri")) {
    return InvalidValue("Please provide a source for function code.");  // AWS's words
  }
  if (!in.Has("ZipFile") || s3 || in.Has("ImageUri")) {
    return InvalidValue("Arcana takes a function's code only as ZipFile (no S3 object or "
                        "container image).");
  }
  // Only $LATEST exists: a version that Publish would make is not served, and answering
  // Version "$LATEST" to a caller that asked for one would mislead it.
  if (in.Bool("Publish").value_or(false)) {
    return InvalidValue("Arcana does not publish function versions (only $LATEST exists): "
                        "Publish must be false.");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string zip, PackageOf(in, "UpdateFunctionCode"));
  const bool dry_run = in.Bool("DryRun").value_or(false);
  const std::string code_sha256 = crypto::Base64Encode(crypto::Sha256(zip));
  const std::string package = crypto::Sha256Hex(zip);
  ARCANA_ASSIGN_OR_RETURN(
      storage::RotationFunction updated,
      UpdateAtRevision(
          t, ctx, input,
          [&](storage::RotationFunction& f, LambdaAttributes& a) {
            a.code_sha256 = code_sha256;
            a.code_size = static_cast<int64_t>(zip.size());
            f.target = package;  // nodes unpack the new package on first use
            f.code = zip;
          },
          dry_run));  // dry_run: checked, nothing changed: the configuration as it is
  ctx.Touch(kFunctionType, t.arn);
  // The replaced package's folder on this node goes unless another function runs it or an
  // invocation still does (rotation/function_invoker.h); other nodes drop theirs on their
  // next unpack.
  if (!dry_run) invoker_.SweepPackages();
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  WriteConfiguration(w, updated, dry_run ? ConfigurationOf::kRead : ConfigurationOf::kUpdate);
  return Finish(buf);
}

Result<storage::RotationFunction> LambdaService::UpdateAtRevision(
    const Target& t, const CallContext& ctx, const rapidjson::Value& input,
    const std::function<void(storage::RotationFunction&, LambdaAttributes&)>& change,
    bool dry_run) {
  json::Input in(input);
  storage::RotationFunction updated;
  // Read, check the RevisionId precondition, write at what was read: a concurrent update,
  // permission change or re-creation (on any node) makes the write conflict and the attempt
  // run again on a fresh read, so neither change is lost.
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto f, Load(t, ctx));
    ARCANA_RETURN_IF_ERROR(CheckUpdatable(f));
    ARCANA_RETURN_IF_ERROR(CheckRevision(in, f));
    updated = f;
    if (dry_run) return Status::Ok();
    LambdaAttributes a = AttributesOf(f);
    change(updated, a);
    a.modified_ms = ModifiedAt(f, a, ctx.now_ms);
    updated.lambda_json = EncodeAttributes(a);
    Status st = functions_.UpdateFunction(f, updated);
    if (st.code() == ErrorCode::kResourceNotFound) return NotFound(t.QualifiedArn());
    return st;
  }));
  return updated;
}

Result<std::string> LambdaService::DeleteFunction(const rapidjson::Value& input,
                                                  const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("DeleteFunction", input, ctx));
  ARCANA_RETURN_IF_ERROR(Allow(ctx, t.arn));
  // A qualified delete removes that version only (AWS): $LATEST cannot go alone, and as no
  // other version exists, deleting one of an existing function changes nothing.
  if (t.qualifier == "$LATEST") {
    return InvalidValue("$LATEST version cannot be deleted without deleting the function.");
  }
  if (!t.qualifier.empty()) {
    ARCANA_ASSIGN_OR_RETURN(auto f, functions_.GetFunction({ctx.account, ctx.region}, t.name));
    if (!f) return NotFound(t.arn);
    return std::string("{}");
  }
  Status st = functions_.DeleteFunction({ctx.account, ctx.region}, t.name);
  if (st.code() == ErrorCode::kResourceNotFound) return NotFound(t.arn);
  ARCANA_RETURN_IF_ERROR(st);
  ctx.Touch(kFunctionType, t.arn);
  invoker_.SweepPackages();  // as UpdateFunctionCode: the deleted package's folder here
  return std::string("{}");
}

Result<std::string> LambdaService::ListFunctions(const rapidjson::Value& input,
                                                 const CallContext& ctx) {
  json::Input in(input);
  ARCANA_RETURN_IF_ERROR(Allow(ctx, "*"));
  const std::string marker = in.Str("Marker").value_or("");
  if (!marker.empty() && !rot::ValidateFunctionName(marker).ok()) {
    return InvalidValue("Invalid Marker: " + marker.substr(0, 64));
  }
  // "ListFunctions returns a maximum of 50 items in each response, even if you set the number
  // higher" (the API reference on MaxItems, which the model allows up to 10000).
  constexpr int64_t kMaxPage = 50;
  const size_t max_items =
      static_cast<size_t>(std::clamp<int64_t>(in.Int("MaxItems").value_or(kMaxPage), 1, kMaxPage));
  ARCANA_ASSIGN_OR_RETURN(auto page, functions_.ListFunctions({ctx.account, ctx.region}, marker,
                                                               max_items + 1));
  const bool more = page.size() > max_items;
  if (more) page.resize(max_items);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("Functions");
  w.StartArray();
  for (const auto& f : page) WriteConfiguration(w, f);
  w.EndArray();
  if (more) json::KV(w, "NextMarker", page.back().name);
  w.EndObject();
  return Finish(buf);
}

Result<rotation::Invocation> LambdaService::InvocationOf(const storage::RotationFunction& f,
                                                         std::string event,
                                                         std::optional<int64_t> now_ms) const {
  rotation::Invocation call;
  call.event_json = std::move(event);
  call.step = "invoke";
  call.runtime_env = {{"AWS_REGION", f.region},
                      {"AWS_DEFAULT_REGION", f.region},
                      {"AWS_LAMBDA_FUNCTION_NAME", f.name},
                      {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
                      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(AttributesOf(f).memory_mb)}};
  if (!endpoint_.empty()) {
    call.runtime_env["AWS_ENDPOINT_URL"] = endpoint_;
    call.runtime_env["SECRETS_MANAGER_ENDPOINT"] = endpoint_;
  }
  // A function made through this API runs as its execution role (see the header); one
  // registered with the CLI declares none and gets no credentials.
  if (auto role_arn = rotation::DeclaredRole(f)) {
    auto session = rotation::ExecutionRoleSession(identities_, f, *role_arn);
    if (!session.ok()) {
      if (session.status().code() != ErrorCode::kInternalFailure) return session.status();
      return InvalidValue(rotation::kCannotAssumeMessage);  // the role changed since
    }
    if (!now_ms) return call;  // checked only: credentials are made when it runs
    // Valid for the function's whole run: STS's minimum, 15 minutes, covers Lambda's longest
    // timeout.
    ARCANA_ASSIGN_OR_RETURN(auth::IssuedKey key,
                            identities_.CreateSession(f.account, *session, *now_ms,
                                                      std::max<int64_t>(900, f.timeout_s + 60)));
    call.runtime_env["AWS_ACCESS_KEY_ID"] = key.access_key_id;
    call.runtime_env["AWS_SECRET_ACCESS_KEY"] = key.secret_access_key;
    call.runtime_env["AWS_SESSION_TOKEN"] = key.session_token;
    call.redact = {key.secret_access_key, key.session_token};
  }
  return call;
}

class LambdaService::InvocationSlot {
 public:
  InvocationSlot(LambdaService& owner, std::string account)
      : owner_(owner), account_(std::move(account)) {}
  ~InvocationSlot() {
    std::lock_guard lock(owner_.slots_mu_);
    --owner_.running_;
    if (--owner_.running_of_[account_] == 0) owner_.running_of_.erase(account_);
  }
  InvocationSlot(const InvocationSlot&) = delete;
  InvocationSlot& operator=(const InvocationSlot&) = delete;

 private:
  LambdaService& owner_;
  const std::string account_;
};

Result<std::shared_ptr<LambdaService::InvocationSlot>> LambdaService::TakeInvocationSlot(
    const std::string& account) {
  {
    std::lock_guard lock(slots_mu_);
    auto it = running_of_.find(account);
    const size_t of_account = it == running_of_.end() ? 0 : it->second;
    if (running_ >= kMaxConcurrentInvocations ||
        of_account >= kMaxConcurrentInvocationsPerAccount) {
      // Lambda's words for an account's concurrency limit (Reason
      // ConcurrentInvocationLimitExceeded: ErrorOf's kThrottling).
      return Status(ErrorCode::kThrottling, "Rate Exceeded.");
    }
    ++running_;
    ++running_of_[account];
  }
  return std::make_shared<InvocationSlot>(*this, account);
}

Result<std::string> LambdaService::Invoke(const rapidjson::Value& input, const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("Invoke", input, ctx));
  auto loaded = Load(t, ctx);
  // The function's own policy (AddPermission) is a resource policy of the call: another
  // account's caller needs it (and its own policies) to allow the call. A function that is
  // not found is asked about with no policy first (no probing for functions one may not
  // call: another account's is refused as one whose policy does not name the caller).
  auth::AccessRequest req;
  req.action = "lambda:InvokeFunction";
  req.resource_arn = t.arn;
  req.resource_account = t.account;
  if (loaded.ok() && !loaded->policy.empty()) {
    req.resource_policy = &loaded->policy;
    req.resource_policy_id = t.arn + "/resource-policy";
  }
  ARCANA_RETURN_IF_ERROR(auth::Check(ctx, req));
  if (!loaded.ok()) return loaded.status();
  storage::RotationFunction f = std::move(loaded).value();
  ctx.Touch(kFunctionType, t.arn);
  const std::string type = in.Str("InvocationType").value_or("RequestResponse");
  std::string event = crypto::Base64Decode(in.Str("Payload").value_or("")).value_or("");
  if (event.empty()) event = "{}";
  rapidjson::Document parsed;
  if (!json::ParseBounded(event, &parsed).ok()) {
    return Status(ErrorCode::kSerialization, "Could not parse request body into json");
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  if (type == "DryRun") {
    w.Key("StatusCode");
    w.Int(204);
    w.EndObject();
    return Finish(buf);
  }
  if (type == "Event") {
    // The role is checked now (an error answers the call); the credentials are made when
    // the event leaves the queue, which may be long after (RunEvents).
    ARCANA_RETURN_IF_ERROR(InvocationOf(f, std::string(), std::nullopt).status());
    {
      std::lock_guard lock(mu_);
      if (events_.size() >= kMaxQueuedEvents) {
        return Status(ErrorCode::kThrottling, "Rate Exceeded.");
      }
      events_.emplace_back(f, std::move(event));
    }
    cv_.notify_one();
    w.Key("StatusCode");
    w.Int(202);
    // Lambda's 202 has an empty body: an empty Payload is the response's raw (empty) body,
    // not the "{}" a response without one gets.
    json::KV(w, "Payload", "");
    w.EndObject();
    return Finish(buf);
  }
  // Bounded (kMaxConcurrentInvocations): the function holds this request's worker.
  ARCANA_ASSIGN_OR_RETURN(auto slot, TakeInvocationSlot(f.account));
  rotation::InvokeOutcome outcome;
  // The function runs for up to its timeout (15 minutes), longer than a root rotation waits
  // for the holds taken before it (60 s, then it rolls back). Nothing of this call is sealed
  // with the root key, and running the function uses none (its calls back take holds of
  // their own), so the call's hold is given back meanwhile and one of the then-current
  // generation taken after, as a secret rotation's step does (rotation_runner.cc).
  ARCANA_ASSIGN_OR_RETURN(rotation::Invocation call,
                          InvocationOf(f, std::move(event), ctx.now_ms));
  call.request_id = ctx.request_id;  // Lambda's: the handler's context.aws_request_id
  ctx.ReleaseRootHold();
  Status st = invoker_.Run(f, call, &outcome);
  if (!ctx.RetakeRootHold()) {
    // Sealed while the function ran: answered as every call is while sealed.
    return Status(ErrorCode::kServiceUnavailable,
                  "Arcana was sealed while the function ran: an operator must unseal it "
                  "(arcana operator unseal) before it serves requests.");
  }
  if (!st.ok() && !outcome.function_error) {
    return Status(ErrorCode::kInternalFailure, "The function could not be started: " + st.message());
  }
  if (outcome.payload.size() > rotation::kMaxPayloadBytes + 64) outcome.payload = "null";
  w.Key("StatusCode");
  w.Int(200);
  if (outcome.function_error) json::KV(w, "FunctionError", "Unhandled");
  json::KV(w, "ExecutedVersion", "$LATEST");
  if (in.Str("LogType").value_or("None") == "Tail") {
    std::string_view log = outcome.log;
    if (log.size() > kLogTailBytes) log = log.substr(log.size() - kLogTailBytes);
    json::KV(w, "LogResult", crypto::Base64Encode(log));
  }
  json::KV(w, "Payload", crypto::Base64Encode(outcome.payload));
  w.EndObject();
  return Finish(buf);
}

Status LambdaService::InvokeForEvent(const std::string& function_arn,
                                     const std::string& rule_account, const std::string& rule_arn,
                                     const std::string& payload) {
  auto ref = domain::rotation::ParseLambdaArn(function_arn);
  if (!ref) return Status(ErrorCode::kResourceNotFound, "Function not found: " + function_arn);
  ARCANA_ASSIGN_OR_RETURN(auto f, functions_.GetFunction({ref->account, ref->region}, ref->name));
  if (!f) return Status(ErrorCode::kResourceNotFound, "Function not found: " + function_arn);
  if (!rotation::ServiceMayInvoke(*f, "events.amazonaws.com", rule_account, rule_arn)) {
    return Status(ErrorCode::kAccessDenied,
                  "the function's resource-based policy does not let events.amazonaws.com "
                  "invoke it for " + rule_arn + " (lambda add-permission)");
  }
  // The role is checked now; the credentials are made when the event leaves the queue.
  ARCANA_RETURN_IF_ERROR(InvocationOf(*f, std::string(), std::nullopt).status());
  {
    std::lock_guard lock(mu_);
    if (events_.size() >= kMaxQueuedEvents) {
      return Status(ErrorCode::kThrottling, "the function's invocation queue is full");
    }
    events_.emplace_back(std::move(*f), payload);
  }
  cv_.notify_one();
  return Status::Ok();
}

void LambdaService::RunEvents() {
  for (;;) {
    std::pair<storage::RotationFunction, std::string> next;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !events_.empty(); });
      if (stopping_) return;
      next = std::move(events_.front());
      events_.pop_front();
    }
    const storage::RotationFunction& f = next.first;
    // Making the session's credentials seals them under the root key: a hold for that only
    // (the function's own calls back take holds of their own).
    auto hold = root_.TryHold();
    if (!hold) {
      spdlog::warn("lambda: queued invocation of {} dropped: Arcana is sealed", f.name);
      continue;
    }
    Result<rotation::Invocation> call =
        InvocationOf(f, std::move(next.second), SystemClock::Instance().NowMs());
    hold.reset();
    if (!call.ok()) {
      spdlog::warn("lambda: queued invocation of {} not run: {}", f.name, call.status().message());
      continue;
    }
    (void)invoker_.Run(f, *call, nullptr);  // outcome: the function's log
  }
}

}  // namespace arcana::services::lambda
