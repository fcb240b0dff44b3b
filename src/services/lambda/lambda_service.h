// A subset of the AWS Lambda API (REST-JSON, signing name "lambda", API 2015-03-31) on the same
// endpoint, over the registry of rotation functions (storage/function_store.h), so that
// infrastructure tools (boto3's `lambda` client, `aws lambda`, Terraform) manage the functions
// RotationLambdaARN names: CreateFunction, GetFunction, GetFunctionConfiguration,
// UpdateFunctionConfiguration, UpdateFunctionCode, DeleteFunction, ListFunctions, Invoke,
// and a function's resource-based policy: AddPermission, RemovePermission, GetPolicy (the
// policy is a resource policy of lambda:InvokeFunction: it may let a principal of the account
// invoke the function without an identity policy; a secret's rotation invokes such a function,
// of any account, only when it lets secretsmanager.amazonaws.com invoke it, as AWS requires:
// rotation::SecretsManagerMayInvoke. Functions registered with the CLI need none).
//
// How Lambda's functions map to Arcana's kinds:
//  - CreateFunction takes a Python function only: Runtime python3.x, PackageType Zip,
//    Code.ZipFile (at most rotation::kMaxPackageBytes; checked by rotation/function_package.h)
//    and Handler "module.function". It becomes a kind "zip" function: the zip is kept in the
//    store (every node can run it; each unpacks it on first use) and run by the same shim as
//    `arcana functions create --python`. Environment.Variables are the function's environment,
//    Timeout (default 3, as AWS) its timeout; Runtime, Role, MemorySize, Description and
//    LoggingConfig are kept and answered back (LoggingConfig by default Text and
//    /aws/lambda/NAME, as AWS answers; logs stay in Arcana's own log). Every configuration
//    carries the function's RevisionId (lambda_encode.h), the one GetPolicy answers and
//    AddPermission / RemovePermission take as their precondition. The function runs as its
//    Role, as in Lambda: a rotation run (RotateSecret, rotation/rotation_runner.h) and Invoke
//    (below) give it credentials of a fresh session of that role (rotation/execution_role.h),
//    checked again at every run.
//    S3 code, container images, layers, VPC settings and versions (Publish) are not served.
//  - Functions registered with the CLI (url, exec, python, builtin) are listed and described
//    too: Runtime "provided" (url, exec) or "python3.11", CodeSize 0, and a CodeSha256 of the
//    registration; their URL or path is never shown.
//  - Invoke runs the function through rotation::FunctionInvoker: RequestResponse answers the
//    handler's return value (or {"errorMessage","errorType"} with X-Amz-Function-Error:
//    Unhandled), LogType=Tail adds the last 4 KB of this invocation's log; Event queues it
//    (202; at most kMaxQueuedEvents waiting on this node, with the Event invocations of
//    EventBridge rules' Lambda targets (InvokeForEvent), run one at a time, lost if the node
//    stops); DryRun only checks (204). At most kMaxConcurrentInvocations synchronous
//    invocations run at once (kMaxConcurrentInvocationsPerAccount of one account); beyond,
//    TooManyRequestsException. An invoked function gets AWS_REGION, the endpoint, the
//    AWS_LAMBDA_* variables and its execution role's credentials (what the caller who may
//    invoke it gets done is what that role allows, as in AWS: iam:PassRole guarded who chose
//    the role). A function registered with the CLI declares no role and is invoked with NO
//    credentials: its rotation runs' scoped session is for rotations only.
// Authorization: lambda:<Operation> (lambda:InvokeFunction for Invoke) on the function's ARN
// (ListFunctions: "*"), by the policy engine like every call. Audit: lambda.amazonaws.com.
// Errors as Lambda spells them (ErrorOf): ResourceNotFoundException 404 "Function not found:
// ARN" (the ARN qualified as asked: ":$LATEST" too), "Functions from 'R' are not reachable in
// this region ('S')" for another region's ARN; AccessDeniedException 403 for creating one
// in another account (not found for the other operations), and "Cross-account pass role is
// not allowed." for a Role of another account; InvalidParameterValueException "The role
// defined for the function cannot be assumed by Lambda." for a Role that does not exist or
// does not trust lambda.amazonaws.com (rotation/execution_role.h, the check rotation runs make
// again); ValidationException quoting the operation's FunctionName pattern for a name that
// does not match it, InvalidParameterValueException for a name over 64 characters; ResourceConflictException 409 "Function already
// exist: NAME"; InvalidParameterValueException 400 for a Qualifier that contradicts the one in
// the name, or a DeleteFunction of $LATEST alone; RequestEntityTooLargeException 413 "Request
// must be smaller than N bytes for the CreateFunction operation" for a package over the bound
// (N: the bound as base64, the request's size of it); a Runtime the model does not know
// InvalidParameterValueException "Value X at 'runtime' ... or be a valid ARN" (the validator
// leaves that enum to the service); Environment.Variables over 4 KB as Lambda measures them
// (their compact JSON) or naming Lambda's reserved runtime variables, in Lambda's words;
// the policy operations' not-found words are lambda_permission_ops.cc's; ...
// ListFunctions answers at most 50 functions a page, whatever MaxItems asks, as AWS.
// CreateFunction answers State Pending (StateReasonCode Creating) as AWS does; the function is
// runnable at once, and GetFunction / ListFunctions show it Active.
// UpdateFunctionConfiguration (Role, Handler, Runtime, Description, Timeout, MemorySize,
// Environment, LoggingConfig; checked as CreateFunction checks them, a new Role with
// iam:PassRole) and UpdateFunctionCode (ZipFile only; Publish refused) change a function made
// through this API at once, read-check-write at what was read (the store's optimistic
// concurrency: concurrent updates on any nodes are not lost), with the RevisionId as their
// precondition; they answer LastUpdateStatus InProgress as AWS does, and reads show it
// Successful (the function_updated waiters). A function registered with the CLI is not
// updated here (InvalidParameterValueException).
// Thread-safety: Call may run concurrently (state is in the store; the event queue locks).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/identity_resolver.h"
#include "crypto/root_key.h"
#include "rotation/function_invoker.h"
#include "services/common/rest_service.h"
#include "storage/function_store.h"

namespace arcana::services::lambda {

inline constexpr size_t kMaxQueuedEvents = 32;
// Synchronous Invokes running at once on this node, all accounts together and of one account.
// Each holds a request worker for up to its function's timeout (15 minutes), and a function
// calling Arcana back (a rotator does) needs free workers to answer it: the bound is well
// below the worker pool's least size (32, net/worker_pool.h), so the other calls of every
// account (and the functions' calls back) still find workers. Beyond it Invoke answers
// TooManyRequestsException (429, Reason ConcurrentInvocationLimitExceeded), as Lambda answers
// an account's concurrency limit. Rotation runs do not count: they run on the scheduler's own
// threads (rotation/rotation_runner.h), and Event invocations on the queue's.
inline constexpr size_t kMaxConcurrentInvocations = 8;
inline constexpr size_t kMaxConcurrentInvocationsPerAccount = 4;
inline constexpr size_t kLogTailBytes = 4096;
inline constexpr int64_t kDefaultTimeoutSeconds = 3;  // AWS's default
inline constexpr const char* kFunctionType = "AWS::Lambda::Function";

struct LambdaAttributes;  // lambda_encode.h

class LambdaService final : public RestJsonService {
 public:
  // identities: the IAM roles a function's Role must name (rotation/execution_role.h); root:
  // held while a queued invocation's session credentials are made (they are sealed with it).
  LambdaService(storage::FunctionStore& functions, const rotation::FunctionInvoker& invoker,
                const auth::IdentityResolver& identities, const crypto::RootKey& root);
  ~LambdaService() override;  // drops queued events, waits for the running one

  // This node's endpoint as functions call it back (AWS_ENDPOINT_URL); set before serving.
  void SetEndpoint(std::string url) { endpoint_ = std::move(url); }

  std::string_view signing_name() const override { return "lambda"; }
  const ModelValidator& validator() const override { return validator_; }
  const RestJsonProtocol& rest() const override { return rest_; }
  RestWireError ErrorOf(ErrorCode code) const override;
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;

  // An EventBridge rule's delivery to its Lambda target (events/delivery.h): queues an Event
  // invocation of function_arn with payload, as Lambda's asynchronous Invoke does, once the
  // function's policy lets events.amazonaws.com invoke it for rule_arn of rule_account
  // (rotation::ServiceMayInvoke: AWS requires that grant) and its role can be assumed.
  // Errors (the delivery is retried, then dead-lettered): kResourceNotFound for a function
  // that does not exist, kAccessDenied without the grant, kThrottling when the queue is full,
  // the role's error.
  Status InvokeForEvent(const std::string& function_arn, const std::string& rule_account,
                        const std::string& rule_arn, const std::string& payload);

 private:
  struct Target {  // a FunctionName resolved in the caller's region
    std::string name;
    std::string arn;        // unqualified
    std::string qualifier;  // from the name or Qualifier; empty when none was given
    // The function's account: the caller's, except for an Invoke of another account's
    // function by its ARN (allowed by the function's policy, as Lambda's cross-account
    // permissions are).
    std::string account;
    std::string QualifiedArn() const;
  };
  // operation: whose FunctionName pattern a malformed name is refused with.
  Result<Target> Resolve(std::string_view operation, const rapidjson::Value& in,
                         const CallContext& ctx) const;
  Result<storage::RotationFunction> Load(const Target& t, const CallContext& ctx) const;

  Result<std::string> CreateFunction(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> GetFunction(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> GetFunctionConfiguration(const rapidjson::Value& in, const CallContext& ctx);
  // Change a function made through this API (not one the CLI registered) at once: the next
  // run has the new settings or package.
  Result<std::string> UpdateFunctionConfiguration(const rapidjson::Value& in,
                                                  const CallContext& ctx);
  Result<std::string> UpdateFunctionCode(const rapidjson::Value& in, const CallContext& ctx);
  // Both updates' write: reads t's function, checks it is updatable and the request's
  // RevisionId, lets change edit a copy and its Lambda attributes, and writes it at what was
  // read (a conflict reads and changes again). dry_run: checked only, nothing written.
  // Returns the function as written (or as read, for dry_run).
  Result<storage::RotationFunction> UpdateAtRevision(
      const Target& t, const CallContext& ctx, const rapidjson::Value& in,
      const std::function<void(storage::RotationFunction&, LambdaAttributes&)>& change,
      bool dry_run = false);
  // The model's Runtime values that Arcana runs (python3.x), in Lambda's words otherwise.
  Status CheckRuntime(const std::string& runtime) const;
  Result<std::string> DeleteFunction(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> ListFunctions(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> Invoke(const rapidjson::Value& in, const CallContext& ctx);
  // The function's resource-based policy (lambda_permission_ops.cc).
  Result<std::string> AddPermission(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> RemovePermission(const rapidjson::Value& in, const CallContext& ctx);
  Result<std::string> GetPolicy(const rapidjson::Value& in, const CallContext& ctx);
  // The function whose policy operation (AddPermission, RemovePermission, GetPolicy) edits or
  // reads, with each operation's not-found words (lambda_permission_ops.cc).
  Result<storage::RotationFunction> LoadForPolicy(std::string_view operation, const Target& t,
                                                  const CallContext& ctx) const;

  // The invocation of f with event: its environment and, for a function made through this API,
  // credentials of a fresh session of its execution role (InvalidParameterValueException when
  // Lambda can no longer assume that role).
  // now_ms nullopt: the role is checked, no credentials made (an Event invocation, queued:
  // RunEvents makes them when it runs it).
  Result<rotation::Invocation> InvocationOf(const storage::RotationFunction& f, std::string event,
                                            std::optional<int64_t> now_ms) const;
  void RunEvents();
  // A running synchronous invocation's place among the bounded ones (kMaxConcurrent*): held
  // while the function runs, given back when the slot is destroyed.
  class InvocationSlot;
  // A slot for an invocation of `account`, or kThrottling when the bound is reached.
  Result<std::shared_ptr<InvocationSlot>> TakeInvocationSlot(const std::string& account);

  storage::FunctionStore& functions_;
  const rotation::FunctionInvoker& invoker_;
  const auth::IdentityResolver& identities_;
  const crypto::RootKey& root_;
  ModelValidator validator_;
  RestJsonProtocol rest_;
  std::string endpoint_;
  const std::vector<std::string> runtimes_;  // the model's Runtime values (CreateFunction)

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<storage::RotationFunction, std::string>> events_;  // mu_ (function, event)
  bool stopping_ = false;                                                          // mu_
  std::mutex slots_mu_;
  size_t running_ = 0;                              // slots_mu_: synchronous invocations
  std::map<std::string, size_t> running_of_;        // slots_mu_: per account
  std::thread worker_;
};

}  // namespace arcana::services::lambda
