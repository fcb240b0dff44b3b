// A function's resource-based policy, as Lambda keeps it: AddPermission appends a statement
// (one per StatementId) to a policy document {"Version":"2012-10-17","Id":"default",
// "Statement":[...]}, RemovePermission takes one out (the policy goes with its last
// statement), GetPolicy answers the document as a JSON string with a RevisionId that changes
// with it. Each statement is built as Lambda builds it: Effect Allow, the Principal (a service
// name as {"Service":...}, an account id as its root ARN, an ARN as {"AWS":...}, or "*"),
// the Action, the function's ARN (qualified when a Qualifier was given) as Resource, and
// SourceArn / SourceAccount / PrincipalOrgID / EventSourceToken / FunctionUrlAuthType as
// Conditions. Errors in Lambda's words (LocalStack's AWS-validated permission tests):
// ResourceConflictException 409 "The statement id (ID) provided already exists. Please
// provide a new statement id, or remove the existing statement.", ResourceNotFoundException
// 404 "No policy is associated with the given resource." (RemovePermission; GetPolicy says
// "The resource you requested does not exist.", as AWS does and LocalStack's provider
// reproduces, the error Terraform's aws_lambda_permission reads after a removal) and
// "Statement ID is not found in resource policy.", InvalidParameterValueException "We
// currently do not support adding policies for $LATEST." for an AddPermission qualified
// $LATEST (AWS's words, as terraform-aws-modules/lambda's FAQ quotes them: a policy is added
// to the unqualified function, or to a version or alias), and a RevisionId that is not the policy's current one
// PreconditionFailedException 412. The members' model patterns (StatementId, Action,
// Principal, SourceArn, SourceAccount, EventSourceToken, PrincipalOrgID) are checked by the
// service's validator (PermissionPatterns in lambda_service.cc): ValidationException, as AWS
// answers. A Principal that is none Lambda writes is InvalidParameterValueException "The
// provided principal was invalid. Please check the principal and try again."; a policy that
// would grow past 20 KB is PolicyLengthExceededException "The final policy size (N) is bigger
// than the limit (20480)."
#include <algorithm>
#include <cctype>

#include "auth/authorizer.h"
#include "common/json.h"
#include "services/common/write_retry.h"
#include "services/lambda/lambda_encode.h"
#include "services/lambda/lambda_service.h"

namespace arcana::services::lambda {

namespace {

constexpr const char* kNoPolicy = "No policy is associated with the given resource.";
// Lambda's quota on a function's resource-based policy (AWS: "Function resource-based policy:
// 20 KB"); well within what the policy engine compiles (auth/policy/policy.h kMaxPolicyBytes,
// kMaxStatements), so a policy that was accepted is always one Invoke can evaluate.
constexpr size_t kMaxFunctionPolicyBytes = 20480;

Status NoPolicy() { return Status(ErrorCode::kResourceNotFound, kNoPolicy); }

// GetPolicy's words for a function without a policy (not RemovePermission's kNoPolicy).
Status NoSuchPolicy() {
  return Status(ErrorCode::kResourceNotFound, "The resource you requested does not exist.");
}

bool AllDigits(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A Principal Lambda can write into a statement: "*", an account id, an ARN, or a service
// principal (a DNS name: "secretsmanager.amazonaws.com"). Anything else (a bare word such as
// "bob") is refused in Lambda's words.
Status CheckPrincipal(const std::string& p) {
  if (p == "*" || AllDigits(p) || p.starts_with("arn:")) return Status::Ok();
  const bool dns = p.find('.') != std::string::npos && p.front() != '.' && p.back() != '.' &&
                   std::all_of(p.begin(), p.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' ||
                            c == '-';
                   });
  if (dns) return Status::Ok();
  return Status(ErrorCode::kInvalidParameter,
                "The provided principal was invalid. Please check the principal and try again.");
}

void WritePrincipal(json::Writer& w, const std::string& p) {
  w.Key("Principal");
  if (p == "*") {
    w.String("*");
    return;
  }
  w.StartObject();
  if (AllDigits(p)) {
    json::KV(w, "AWS", "arn:aws:iam::" + p + ":root");
  } else if (p.starts_with("arn:")) {
    json::KV(w, "AWS", p);
  } else {
    json::KV(w, "Service", p);
  }
  w.EndObject();
}

// The statement AddPermission adds, as Lambda writes it.
std::string StatementOf(const json::Input& in, const std::string& resource) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Sid", in.Str("StatementId").value_or(""));
  json::KV(w, "Effect", "Allow");
  WritePrincipal(w, in.Str("Principal").value_or(""));
  json::KV(w, "Action", in.Str("Action").value_or(""));
  json::KV(w, "Resource", resource);
  struct Cond {
    const char* member;
    const char* op;
    const char* key;
  };
  // In the order AWS writes them (TestLambdaPermissions::test_add_lambda_permission_fields,
  // add_permission_optional_fields: FunctionUrlAuthType, PrincipalOrgID, SourceAccount under
  // StringEquals, then ArnLike); EventSourceToken was recorded alone, its place among them is
  // not known.
  static constexpr Cond kConds[] = {
      {"FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"},
      {"EventSourceToken", "StringEquals", "lambda:EventSourceToken"},
      {"PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"},
      {"SourceAccount", "StringEquals", "AWS:SourceAccount"},
      {"SourceArn", "ArnLike", "AWS:SourceArn"},
  };
  bool any = false;
  for (const auto& c : kConds) any = any || in.Has(c.member);
  if (any) {
    w.Key("Condition");
    w.StartObject();
    for (const char* op : {"StringEquals", "ArnLike"}) {
      bool opened = false;
      for (const auto& c : kConds) {
        if (std::string_view(c.op) != op || !in.Has(c.member)) continue;
        if (!opened) {
          w.Key(op);
          w.StartObject();
          opened = true;
        }
        json::KV(w, c.key, in.Str(c.member).value_or(""));
      }
      if (opened) w.EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
  return json::Finish(buf);
}

// The policy's statements (each as its JSON text) and Sids; an empty policy has none.
struct Statements {
  std::vector<std::string> texts;
  std::vector<std::string> sids;
};

Result<Statements> StatementsOf(const std::string& policy) {
  Statements out;
  if (policy.empty()) return out;
  rapidjson::Document doc;
  ARCANA_RETURN_IF_ERROR(json::ParseBounded(policy, &doc));
  const auto* list = json::Input(doc).Get("Statement");
  if (list == nullptr || !list->IsArray()) return out;
  for (const auto& s : list->GetArray()) {
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    s.Accept(w);
    out.texts.push_back(json::Finish(buf));
    out.sids.push_back(json::StrField(s, "Sid"));
  }
  return out;
}

std::string PolicyOf(const std::vector<std::string>& statements) {
  if (statements.empty()) return "";
  std::string out = R"({"Version":"2012-10-17","Id":"default","Statement":[)";
  for (size_t i = 0; i < statements.size(); ++i) {
    if (i != 0) out += ",";
    out += statements[i];
  }
  return out + "]}";
}

// An alias name as Lambda tells one from a version: (?!^[0-9]+$)([a-zA-Z0-9-_]+).
bool IsAliasName(std::string_view q) {
  bool digits_only = true;
  for (char c : q) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    digits_only = digits_only && std::isdigit(static_cast<unsigned char>(c)) != 0;
  }
  return !q.empty() && !digits_only;
}

Status AllowOn(const CallContext& ctx, const char* action, const std::string& arn) {
  auth::AccessRequest req;
  req.action = action;
  req.resource_arn = arn;
  return auth::Check(ctx, req);
}

}  // namespace

// As LocalStack's AWS-validated TestLambdaPermissions::test_permission_exceptions records it:
// a function that does not exist is "Function not found: <ARN>" (RemovePermission: "No policy
// found for: <ARN>"); of an existing function, an alias that does not exist is "Cannot find
// alias arn: <ARN>:<alias>" and a version "Function not found: <ARN>:<version>", and GetPolicy
// of a version answers "The resource you requested does not exist." (only $LATEST exists here,
// so any other qualifier is one that does not).
Result<storage::RotationFunction> LambdaService::LoadForPolicy(std::string_view operation,
                                                               const Target& t,
                                                               const CallContext& ctx) const {
  ARCANA_ASSIGN_OR_RETURN(auto f, functions_.GetFunction({ctx.account, ctx.region}, t.name));
  if (!f) {
    if (operation == "RemovePermission") {
      return Status(ErrorCode::kResourceNotFound, "No policy found for: " + t.arn);
    }
    return Status(ErrorCode::kResourceNotFound, "Function not found: " + t.arn);
  }
  if (t.qualifier.empty() || t.qualifier == "$LATEST") return std::move(*f);
  if (operation == "GetPolicy") return NoSuchPolicy();
  if (IsAliasName(t.qualifier)) {
    return Status(ErrorCode::kResourceNotFound, "Cannot find alias arn: " + t.QualifiedArn());
  }
  return Status(ErrorCode::kResourceNotFound, "Function not found: " + t.QualifiedArn());
}

Result<std::string> LambdaService::AddPermission(const rapidjson::Value& input,
                                                const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("AddPermission", input, ctx));
  ARCANA_RETURN_IF_ERROR(AllowOn(ctx, "lambda:AddPermission", t.arn));
  if (t.qualifier == "$LATEST") {
    return Status(ErrorCode::kInvalidParameter,
                  "We currently do not support adding policies for $LATEST.");
  }
  ARCANA_RETURN_IF_ERROR(CheckPrincipal(in.Str("Principal").value_or("")));
  const std::string sid = in.Str("StatementId").value_or("");
  std::string statement;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto f, LoadForPolicy("AddPermission", t, ctx));
    ARCANA_RETURN_IF_ERROR(CheckRevision(in, f));
    ARCANA_ASSIGN_OR_RETURN(Statements have, StatementsOf(f.policy));
    if (std::find(have.sids.begin(), have.sids.end(), sid) != have.sids.end()) {
      return Status(ErrorCode::kResourceExists,
                    "The statement id (" + sid +
                        ") provided already exists. Please provide a new statement id, or "
                        "remove the existing statement.");
    }
    statement = StatementOf(in, t.QualifiedArn());
    have.texts.push_back(statement);
    std::string policy = PolicyOf(have.texts);
    if (policy.size() > kMaxFunctionPolicyBytes) {
      return Status(ErrorCode::kLimitExceeded,
                    "The final policy size (" + std::to_string(policy.size()) +
                        ") is bigger than the limit (" + std::to_string(kMaxFunctionPolicyBytes) +
                        ").");
    }
    return functions_.SetFunctionPolicy({ctx.account, ctx.region}, t.name, f.policy, policy);
  }));
  ctx.Touch(kFunctionType, t.arn);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Statement", statement);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> LambdaService::RemovePermission(const rapidjson::Value& input,
                                                   const CallContext& ctx) {
  json::Input in(input);
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("RemovePermission", input, ctx));
  ARCANA_RETURN_IF_ERROR(AllowOn(ctx, "lambda:RemovePermission", t.arn));
  const std::string sid = in.Str("StatementId").value_or("");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto f, LoadForPolicy("RemovePermission", t, ctx));
    if (f.policy.empty()) return NoPolicy();
    ARCANA_RETURN_IF_ERROR(CheckRevision(in, f));
    ARCANA_ASSIGN_OR_RETURN(Statements have, StatementsOf(f.policy));
    auto it = std::find(have.sids.begin(), have.sids.end(), sid);
    if (it == have.sids.end()) {
      return Status(ErrorCode::kResourceNotFound,
                    "Statement " + sid + " is not found in resource policy.");
    }
    have.texts.erase(have.texts.begin() + (it - have.sids.begin()));
    return functions_.SetFunctionPolicy({ctx.account, ctx.region}, t.name, f.policy,
                                        PolicyOf(have.texts));
  }));
  ctx.Touch(kFunctionType, t.arn);
  return std::string("{}");
}

Result<std::string> LambdaService::GetPolicy(const rapidjson::Value& input,
                                            const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Target t, Resolve("GetPolicy", input, ctx));
  ARCANA_RETURN_IF_ERROR(AllowOn(ctx, "lambda:GetPolicy", t.arn));
  ARCANA_ASSIGN_OR_RETURN(auto f, LoadForPolicy("GetPolicy", t, ctx));
  if (f.policy.empty()) return NoSuchPolicy();
  ctx.Touch(kFunctionType, t.arn);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Policy", f.policy);
  json::KV(w, "RevisionId", RevisionOf(f));
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::lambda
