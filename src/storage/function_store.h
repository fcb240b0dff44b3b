// The registry of rotation functions (RotationLambdaARN arn:aws:lambda:REGION:ACCOUNT:function:NAME
// names one): what to invoke for each step of a rotation (rotation/function_invoker.h).
// A function is per account and region, like a Lambda function. Registration is rare and
// rotations read the row each time they run, so there is no cache and no change row.
// Thread-safety and errors: as every store component (store_types.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/store_types.h"

namespace arcana::storage {

struct RotationFunction {
  std::string account;
  std::string region;
  std::string name;
  std::string kind;      // "url" | "exec" | "python" | "builtin" | "zip" (function_spec.h)
  std::string target;    // the URL, the executable's path, the Python function's folder, the
                         // rotator's name, or (zip) the hex SHA-256 of `code`
  std::string handler;   // python only: "module.function"
  std::string env_json;  // {"K":"V",...}: variables set at registration (opaque here)
  int64_t timeout_s = 0;
  int64_t created_ms = 0;
  // The Lambda API's own attributes (services/lambda: Runtime, Role, MemorySize, Description,
  // CodeSha256, CodeSize) as a JSON document, opaque here; "" for functions the CLI made.
  std::string lambda_json;
  // kind "zip": the deployment package (a zip) itself, so that every node on the store can
  // run it. ListFunctions leaves it empty (GetFunction reads it).
  std::string code;
  // The function's resource-based policy (Lambda's AddPermission), a JSON policy document;
  // "" when it has none. CreateFunction stores none; ListFunctions reads it too (Lambda's
  // RevisionId of each listed function covers it).
  std::string policy;
};

class FunctionStore {
 public:
  virtual ~FunctionStore() = default;
  // kResourceExists when the name is taken in the account and region.
  virtual Status CreateFunction(const RotationFunction& f) = 0;
  virtual Result<std::optional<RotationFunction>> GetFunction(const Scope& scope,
                                                              const std::string& name) = 0;
  // By name (bytewise), after `after_name` ("" = from the start), at most limit; without
  // `code`, with `policy`.
  virtual Result<std::vector<RotationFunction>> ListFunctions(const Scope& scope,
                                                              const std::string& after_name,
                                                              size_t limit) = 0;
  // kResourceNotFound when absent.
  virtual Status DeleteFunction(const Scope& scope, const std::string& name) = 0;
  // Replaces the function's policy ("" removes it) if it is still `expected` (what the caller
  // read): kWriteConflict when another write changed it meanwhile, kResourceNotFound when the
  // function is gone.
  virtual Status SetFunctionPolicy(const Scope& scope, const std::string& name,
                                   const std::string& expected, const std::string& policy) = 0;
  // Replaces the function's settings and package (target, handler, env_json, timeout_s,
  // lambda_json, code; Lambda's UpdateFunctionConfiguration / UpdateFunctionCode) with
  // `updated`'s if its row is still `expected` as the caller read it (those columns, its
  // creation time and its policy, so that a concurrent write of any of them, or a re-creation
  // under the name, is not overwritten): kWriteConflict when another write changed it
  // meanwhile, kResourceNotFound when the function is gone. Keys: expected's.
  virtual Status UpdateFunction(const RotationFunction& expected,
                                const RotationFunction& updated) = 0;
  // Which of `sha256_hex` (deployment packages' hex digests; at most kMaxListLimit are read)
  // some kind "zip" function of the store, in any account and region, still runs: what each
  // node's cache of unpacked packages keeps (rotation/function_invoker.h). One indexed query.
  virtual Result<std::vector<std::string>> PackagesInUse(
      const std::vector<std::string>& sha256_hex) = 0;
};

}  // namespace arcana::storage
