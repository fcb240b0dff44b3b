// Lambda's FunctionConfiguration of a registered function (services/lambda/lambda_service.h
// says how each kind maps), and the attribute document a CreateFunction stores with it
// (RotationFunction::lambda_json).
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/json.h"
#include "storage/function_store.h"

namespace arcana::services::lambda {

// What CreateFunction keeps besides Arcana's own columns.
struct LambdaAttributes {
  std::string runtime;
  std::string role;
  std::string description;
  int64_t memory_mb = 128;
  std::string code_sha256;  // base64 SHA-256 of the zip, as AWS spells it
  int64_t code_size = 0;
  // CreateFunction's LoggingConfig as given ("" when not): kept and answered back only, as
  // logs stay in Arcana's own log. AWS answers LogFormat "Text" and LogGroup
  // "/aws/lambda/NAME" for a function created without them.
  std::string log_format;
  std::string log_group;
  std::string application_log_level;
  std::string system_log_level;
  // When UpdateFunctionConfiguration / UpdateFunctionCode last changed the function (0: never;
  // LastModified is then its creation). Kept here, so every update changes the RevisionId
  // (which covers this document), even one that sets the values the function had.
  int64_t modified_ms = 0;
};

std::string EncodeAttributes(const LambdaAttributes& a);
// From a stored document; functions the CLI registered (no document) get the values the
// Lambda API shows for their kind.
LambdaAttributes AttributesOf(const storage::RotationFunction& f);

// "2024-01-01T00:00:00.000+0000" (Lambda's LastModified).
std::string LambdaTimestamp(int64_t ms);

// Which answer a FunctionConfiguration is part of. AWS answers CreateFunction with State
// Pending (StateReason "The function is being created.", StateReasonCode Creating, no
// LastUpdateStatus), UpdateFunctionConfiguration / UpdateFunctionCode with State Active and
// LastUpdateStatus InProgress (LastUpdateStatusReason "The function is being created.",
// LastUpdateStatusReasonCode Creating, as AWS's CLI answers show them), and later reads with
// State Active and LastUpdateStatus Successful. Arcana's updates are complete when answered.
enum class ConfigurationOf { kCreate, kUpdate, kRead };

// The function's RevisionId: the hex of a SHA-256 of everything a configuration answer and
// GetPolicy show (attributes, environment, code digest, policy) and of its creation time,
// laid out like a UUID, so that it changes when the configuration, code or policy does, differs
// between a function and its re-creation under the same name, and is the same on every node
// and in every answer (GetFunction, ListFunctions, GetPolicy, and the precondition
// AddPermission / RemovePermission check) without being stored. A CreateFunction answer has
// another one: AWS's changes when the function leaves Pending (LocalStack's AWS-validated
// TestLambdaFunction::test_function_lifecycle: create_response <uuid:1>,
// get_function_response <uuid:2>). Limitation: a policy edited back to an earlier text gets
// that text's RevisionId again (AWS would issue a new one). An update answer (kUpdate) has one
// of its own too: AWS's changes again when the update completes (TestLambdaFunction::
// test_function_revisions_basic: update_function_code_response_rev3, then rev4).
std::string RevisionOf(const storage::RotationFunction& f,
                       ConfigurationOf when = ConfigurationOf::kRead);
// The precondition of the operations that take a RevisionId (AddPermission, RemovePermission,
// UpdateFunctionConfiguration, UpdateFunctionCode): none asked, or f's current (read)
// RevisionId; else PreconditionFailedException (kPreconditionNotMet) in AWS's words.
Status CheckRevision(const json::Input& in, const storage::RotationFunction& f);

// The FunctionConfiguration object of f.
void WriteConfiguration(json::Writer& w, const storage::RotationFunction& f,
                        ConfigurationOf when = ConfigurationOf::kRead);

}  // namespace arcana::services::lambda
