// A Lambda function's execution role as Lambda accepts it: the one check shared by the Lambda
// API (CreateFunction refuses the role) and the rotation engine (a run of the function
// assumes it, and checks again, as the role may have changed since).
// Lambda can assume a role when it exists in the function's account under the very ARN given
// (a role of that name under another path is not it) and its trust policy lets the service
// principal lambda.amazonaws.com sts:AssumeRole. Otherwise AWS refuses CreateFunction with
// InvalidParameterValueException "The role defined for the function cannot be assumed by
// Lambda." (kCannotAssumeMessage).
// Thread-safety: stateless apart from the store; safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "auth/identity_resolver.h"
#include "common/status.h"
#include "domain/iam/identity.h"
#include "storage/function_store.h"

namespace arcana::rotation {

inline constexpr const char* kCannotAssumeMessage =
    "The role defined for the function cannot be assumed by Lambda.";

inline constexpr const char* kSecretsManagerPrincipal = "secretsmanager.amazonaws.com";
// The session name of a managed external secret's rotation (arn:aws:sts::ACCOUNT:
// assumed-role/ROLE/SecretsManagerExternalRotation).
inline constexpr const char* kExternalRotationSessionName = "SecretsManagerExternalRotation";

// The role `role_arn` names, as stored now, when the AWS service `service_principal` may assume
// it for a resource of `account`: the role exists in that account under the very ARN given and
// its trust policy lets the service sts:AssumeRole; with a source_arn the request carries
// aws:SourceAccount (account) and aws:SourceArn (source_arn), as a service acting for a
// resource sets them. nullopt when it may not; an error only when the store fails.
Result<std::optional<domain::iam::Identity>> ServiceAssumableRole(
    const auth::IdentityResolver& ids, const std::string& account, const std::string& role_arn,
    const std::string& service_principal, const std::string& source_arn);

// A session of a managed external secret's rotation role (ExternalSecretRotationRoleArn), as
// Secrets Manager assumes it for the secret secret_arn of `account`: the role's own policies
// (and boundary), session name kExternalRotationSessionName. kInvalidParameter, naming the
// role, when Secrets Manager may not assume it (ServiceAssumableRole).
Result<domain::iam::Session> ExternalRotationSession(const auth::IdentityResolver& ids,
                                                     const std::string& account,
                                                     const std::string& role_arn,
                                                     const std::string& secret_arn);

// The role `role_arn` names, as stored now, when Lambda may assume it for a function of
// `account`; nullopt when it may not (malformed ARN, another account, no such role, a trust
// policy that does not let lambda.amazonaws.com assume it). An error only when the store fails.
Result<std::optional<domain::iam::Identity>> LambdaExecutionRole(const auth::IdentityResolver& ids,
                                                                 const std::string& account,
                                                                 const std::string& role_arn);

// The execution role a function made through the Lambda API declared (CreateFunction's Role);
// nullopt for a function registered with the CLI, which declares none. A configuration that
// cannot be read answers an empty ARN, which no role matches.
std::optional<std::string> DeclaredRole(const storage::RotationFunction& f);

// Whether Secrets Manager may invoke fn to rotate the secret `secret_arn` of `secret_account`.
// A function made through the Lambda API (it declares an execution role) only when its policy
// (Lambda's AddPermission) lets secretsmanager.amazonaws.com lambda:InvokeFunction it, with
// aws:SourceAccount / aws:SourceArn the secret's, whatever the two accounts: AWS checks the
// function's policy for a function of the secret's own account too ("The role policy for the
// function must grant the Secrets Manager service principal secretsmanager.amazonaws.com
// permission to invoke the function", Secrets Manager user guide, troubleshoot_rotation), and
// for another account's function it is what keeps any account from running that function as
// its execution role on a secret (and so a JSON) of its own making.
// A function that declares no role (one registered with `arcana functions create`, or a
// managed rotator) is Arcana's own (no AWS counterpart: an operator registered it for this
// purpose) and runs as Arcana's rotation session scoped to the secret, never as a role of its
// own: for a secret of its own account always; for another account's secret only through its
// policy, as above (it runs as arcanad's user with the variables its operator gave it, a
// database admin password, which no other account may point at a secret of its making).
bool SecretsManagerMayInvoke(const storage::RotationFunction& fn,
                             const std::string& secret_account, const std::string& secret_arn);

// The same question for another AWS service principal ("events.amazonaws.com" for an
// EventBridge rule's target) invoking fn on behalf of source_arn of source_account: a
// function that declares a role only when its policy grants the service lambda:InvokeFunction
// with those aws:SourceAccount / aws:SourceArn (EventBridge user guide: "the Lambda function
// must have a resource-based policy that lets EventBridge invoke it"); one that declares none
// always when source_account is its own (Arcana's own, as above), else only through its policy.
bool ServiceMayInvoke(const storage::RotationFunction& fn, const std::string& service_principal,
                      const std::string& source_account, const std::string& source_arn);

// A session of fn's execution role `role_arn`, as Lambda runs a function: the role's own
// policies (and permissions boundary) and nothing else, the function's name as the session
// name (arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION). Checked at every run (rotation step,
// Invoke), as the role may have changed since CreateFunction: kInternalFailure when Lambda
// cannot assume it now.
Result<domain::iam::Session> ExecutionRoleSession(const auth::IdentityResolver& ids,
                                                  const storage::RotationFunction& fn,
                                                  const std::string& role_arn);

}  // namespace arcana::rotation
