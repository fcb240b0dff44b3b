// IAM service-specific credentials: a user name and password IAM makes for one IAM user and
// one service that takes no SigV4 signatures (CodeCommit's Git over HTTPS, Amazon Keyspaces'
// Cassandra drivers), created, listed, reset, made Inactive or Active and deleted.
// Arcana serves neither service: the credentials are kept for the tools that manage them
// (Terraform's aws_iam_service_specific_credential, CloudFormation, scripts).
//
// A credential (domain::iam::ServiceCredential) is stored as an entity of kind
// "service-specific-credential" (storage/identity_codec.h) named by its
// ServiceSpecificCredentialId (also the entity's id), with the path "/<user's unique id>/":
// a user's credentials are the entities under its path (ListEntities by path prefix), which
// a rename of the user does not change, and which a user of the same name created after it
// does not inherit. The password is the entity's sealed secret (EntityWrite::sealed_secret:
// sealed under the root key, bound to the id, account and kind, re-sealed by a root rotation,
// deleted with the entity): never in the document, answered only by Create and Reset, and
// never in the audit trail (ServicePassword is not on audit/redaction.cc's allow-list) or
// the server's log. Nothing opens it: no service here authenticates with it.
//
// A create writes the user's row too, at the revision it read, in the same store write: a
// DeleteUser that read the user before the credential existed then conflicts and reads
// again (DeleteConflict, HasServiceSpecificCredentials), and two creates for the same user
// cannot together pass the quota of two per service.
//
// The answers and refusals are AWS's as LocalStack's AWS-validated tests of these calls
// recorded them (its provider built to pass them), or as the API reference and the AWS CLI's
// examples show them; what neither shows is marked as inferred where it is applied.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/random.h"
#include "crypto/secure_memory.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::iam {

using domain::iam::ServiceCredential;
using storage::EntityWrite;
using storage::kServiceCredentialKind;

namespace {

// The services IAM makes these credentials for, as the local model can express them (the
// API reference, and LocalStack's validated lifecycle tests of both). Amazon Bedrock's API
// keys (bedrock.amazonaws.com) are service-specific credentials on AWS today, but their
// answer (ServiceCredentialAlias, ServiceCredentialSecret, ExpirationDate) and request
// (CredentialAgeDays) are members the model here does not have: refused as any other.
constexpr std::array<std::string_view, 2> kCredentialServices = {"codecommit.amazonaws.com",
                                                                 "cassandra.amazonaws.com"};

// The API reference: "You can have a maximum of two sets of service-specific credentials for
// each supported service per user."
constexpr size_t kMaxCredentialsPerService = 2;

// The password: 59 characters of [A-Za-z0-9+/] and a final "=" (60 in all), as LocalStack's
// provider makes it to match AWS's validated answers ("password always ends in = ... but it
// is not base64"). The AWS CLI's 2019 examples show 44 characters; the 60 are the later
// recordings' (inferred to be today's).
constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kPasswordRandomChars = 59;



// Recorded (LocalStack's provider, built to pass AWS-validated tests; another IAM clone
// answers the same words): NoSuchEntity, not the model's ServiceNotSupportedException (both
// 404). No trailing period.
Status NoSuchCredentialService(const std::string& service) {
  return Status(ErrorCode::kResourceNotFound,
                "No such service " + service + " is supported for Service Specific Credentials");
}

// Recorded: a well-formed id the user has no credential of. No trailing period.
Status NoSuchServiceCredential(const std::string& id) {
  return Status(ErrorCode::kResourceNotFound, "No such credential " + id + " exists");
}

Status CheckCredentialService(const std::string& service) {
  if (std::find(kCredentialServices.begin(), kCredentialServices.end(), service) ==
      kCredentialServices.end()) {
    return NoSuchCredentialService(service);
  }
  return Status::Ok();
}

// The model's pattern for the id, [\w]+ (its length, 20 to 128, the validator checks).
// Recorded words: the value is not quoted, as IAM words its name patterns.
Status CheckCredentialId(const std::string& id) {
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '_') continue;
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value at 'serviceSpecificCredentialId' failed "
                  "to satisfy constraint: Member must satisfy regular expression pattern: "
                  "[\\w]+");
  }
  return Status::Ok();
}

// A new password from the CSPRNG: each of 64 characters is one byte's low six bits, so each
// is uniform.
crypto::SecretString NewServicePassword() {
  std::string bytes = crypto::RandomBytes(kPasswordRandomChars);
  const crypto::SecretString random = crypto::SecretString::Take(bytes);
  crypto::SecretString password;
  password.assign(std::string(kPasswordRandomChars + 1, '='));
  for (size_t i = 0; i < kPasswordRandomChars; ++i) {
    password.data()[i] = kPasswordAlphabet[static_cast<unsigned char>(random.data()[i]) & 63];
  }
  return password;
}

// ServiceSpecificCredentialMetadata's members (List), and ServiceSpecificCredential's with
// the password (Create, Reset), in the model's order.
void WriteServiceCredential(json::Writer& w, const ServiceCredential& c,
                            const std::string& user_name, const crypto::SecretString* password) {
  w.StartObject();
  w.Key("CreateDate");
  json::WriteTimestamp(w, c.created_ms);
  json::KV(w, "ServiceName", c.service);
  json::KV(w, "ServiceUserName", c.service_user);
  if (password != nullptr) json::KV(w, "ServicePassword", password->view());
  json::KV(w, "ServiceSpecificCredentialId", c.id);
  json::KV(w, "UserName", user_name);
  json::KV(w, "Status", c.status);
  w.EndObject();
}

std::string ServiceCredentialAnswer(const ServiceCredential& c, const std::string& user_name,
                                    const crypto::SecretString& password) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("ServiceSpecificCredential");
  WriteServiceCredential(w, c, user_name, &password);
  w.EndObject();
  return json::Finish(buf);
}

// The user's credentials (at most `limit`), in the order they were made (AWS's order was not
// recorded: inferred, as a user's SSH keys and signing certificates are answered in the order
// uploaded).
Result<std::vector<ServiceCredential>> ServiceCredentialsOf(storage::IdentityStore& store,
                                                            const domain::iam::Identity& user,
                                                            size_t limit) {
  ARCANA_ASSIGN_OR_RETURN(auto rows, store.ListEntities(user.account, kServiceCredentialKind,
                                                        storage::ServiceCredentialPath(user.id), "", limit));
  std::vector<ServiceCredential> out;
  for (const auto& e : rows) {
    ARCANA_ASSIGN_OR_RETURN(ServiceCredential c, storage::ServiceCredentialFromEntity(e));
    if (c.user_id == user.id) out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_ms != b.created_ms ? a.created_ms < b.created_ms : a.id < b.id;
  });
  return out;
}

// The user's credential of that id, or NoSuchEntity.
Result<ServiceCredential> LoadServiceCredential(storage::IdentityStore& store,
                                                const domain::iam::Identity& user,
                                                const std::string& id) {
  ARCANA_ASSIGN_OR_RETURN(auto e, store.GetEntity(user.account, kServiceCredentialKind, id));
  // The id exactly (a name is found whatever its case), and the user's own.
  if (!e || e->id != id) return NoSuchServiceCredential(id);
  ARCANA_ASSIGN_OR_RETURN(ServiceCredential c, storage::ServiceCredentialFromEntity(*e));
  if (c.user_id != user.id) return NoSuchServiceCredential(id);
  return c;
}

}  // namespace

Result<bool> IamService::HasServiceSpecificCredentials(const Identity& user) {
  ARCANA_ASSIGN_OR_RETURN(auto held, ServiceCredentialsOf(store_, user, 1));
  return !held.empty();
}

// Recorded order of the checks: the user ("The user with name X cannot be found.", even with
// an unsupported service), then the service, then the quota. The third credential of a user
// for one service is LimitExceeded (409); AWS's words were not found: these are inferred, in
// the words of its other per-user quotas ("Cannot exceed quota for AccessKeysPerUser: 2"),
// as an IAM clone words it.
Result<std::string> IamService::CreateServiceSpecificCredential(const In& in,
                                                                const CallContext& ctx) {
  const std::string user_name = *in.Str("UserName");
  const std::string service = *in.Str("ServiceName");
  const crypto::SecretString password = NewServicePassword();
  ServiceCredential made;
  std::string answered_user;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", user_name));
    ARCANA_RETURN_IF_ERROR(CheckCredentialService(service));
    ARCANA_ASSIGN_OR_RETURN(auto held, ServiceCredentialsOf(store_, user, 1000));
    const auto same = std::count_if(held.begin(), held.end(),
                                    [&](const auto& c) { return c.service == service; });
    if (static_cast<size_t>(same) >= kMaxCredentialsPerService) {
      return Status(ErrorCode::kLimitExceeded,
                    "Cannot exceed quota for ServiceSpecificCredentialsPerUser: " +
                        std::to_string(kMaxCredentialsPerService));
    }
    ServiceCredential c;
    c.account = ctx.account;
    c.id = domain::iam::NewUniqueId("ACCA");  // the API reference's ACCA + 17 of [A-Z2-7]
    c.user_id = user.id;
    c.service = service;
    c.service_user = user.name + "-at-" + ctx.account;  // the API reference's jane-at-ACCOUNT
    c.created_ms = ctx.now_ms;
    EntityWrite write{EntityWrite::Op::kPut, storage::ToEntity(c)};
    ARCANA_ASSIGN_OR_RETURN(write.sealed_secret,
                            resolver_.SealEntitySecret(write.entity, password.view()));
    std::vector<EntityWrite> writes;
    writes.push_back(std::move(write));
    // The user's row as read, at its revision (see the top of this file).
    writes.push_back({EntityWrite::Op::kPut, storage::ToEntity(user)});
    ARCANA_RETURN_IF_ERROR(
        WriteEntities(ctx, std::move(writes), "CreateServiceSpecificCredential"));
    made = std::move(c);
    answered_user = user.name;
    return Status::Ok();
  }));
  return ServiceCredentialAnswer(made, answered_user, password);
}

// Recorded: {ServiceSpecificCredentials: [metadata...]}, never a password; ServiceName
// filters (another supported service: an empty list), an unsupported one is refused after
// the user. Without UserName the calling user's (the API reference). The model has no paging.
Result<std::string> IamService::ListServiceSpecificCredentials(const In& in,
                                                               const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(std::string user_name, KeyUser(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", user_name));
  auto service = in.Str("ServiceName");
  if (service) ARCANA_RETURN_IF_ERROR(CheckCredentialService(*service));
  ARCANA_ASSIGN_OR_RETURN(auto held, ServiceCredentialsOf(store_, user, 1000));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("ServiceSpecificCredentials");
  w.StartArray();
  for (const auto& c : held) {
    if (service && c.service != *service) continue;
    WriteServiceCredential(w, c, user.name, nullptr);
  }
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

// The API reference and the CLI's example: the whole credential with a new password; its
// id, dates and status unchanged. The old password stops working (it is replaced).
Result<std::string> IamService::ResetServiceSpecificCredential(const In& in,
                                                               const CallContext& ctx) {
  const std::string id = *in.Str("ServiceSpecificCredentialId");
  ARCANA_RETURN_IF_ERROR(CheckCredentialId(id));
  ARCANA_ASSIGN_OR_RETURN(std::string user_name, KeyUser(in, ctx));
  const crypto::SecretString password = NewServicePassword();
  ServiceCredential reset;
  std::string answered_user;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", user_name));
    ARCANA_ASSIGN_OR_RETURN(ServiceCredential c, LoadServiceCredential(store_, user, id));
    EntityWrite write{EntityWrite::Op::kPut, storage::ToEntity(c)};
    ARCANA_ASSIGN_OR_RETURN(write.sealed_secret,
                            resolver_.SealEntitySecret(write.entity, password.view()));
    std::vector<EntityWrite> writes;
    writes.push_back(std::move(write));
    ARCANA_RETURN_IF_ERROR(
        WriteEntities(ctx, std::move(writes), "ResetServiceSpecificCredential"));
    reset = std::move(c);
    answered_user = user.name;
    return Status::Ok();
  }));
  return ServiceCredentialAnswer(reset, answered_user, password);
}

// Recorded: an empty answer. Status is Active or Inactive (the model's enum, which the
// validator checks).
Result<std::string> IamService::UpdateServiceSpecificCredential(const In& in,
                                                                const CallContext& ctx) {
  const std::string id = *in.Str("ServiceSpecificCredentialId");
  ARCANA_RETURN_IF_ERROR(CheckCredentialId(id));
  const std::string status = *in.Str("Status");
  ARCANA_ASSIGN_OR_RETURN(std::string user_name, KeyUser(in, ctx));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", user_name));
    ARCANA_ASSIGN_OR_RETURN(ServiceCredential c, LoadServiceCredential(store_, user, id));
    if (c.status == status) return Status::Ok();
    c.status = status;
    // The document only: the sealed password stays as it is (no sealed_secret).
    return WriteEntities(ctx, {{EntityWrite::Op::kPut, storage::ToEntity(c)}},
                         "UpdateServiceSpecificCredential");
  }));
  return std::string("{}");
}

// Recorded: an empty answer, then NoSuchEntity for the id. The store deletes the sealed
// password with the entity.
Result<std::string> IamService::DeleteServiceSpecificCredential(const In& in,
                                                                const CallContext& ctx) {
  const std::string id = *in.Str("ServiceSpecificCredentialId");
  ARCANA_RETURN_IF_ERROR(CheckCredentialId(id));
  ARCANA_ASSIGN_OR_RETURN(std::string user_name, KeyUser(in, ctx));
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Identity user, Load(ctx, "user", user_name));
    ARCANA_ASSIGN_OR_RETURN(ServiceCredential c, LoadServiceCredential(store_, user, id));
    return WriteEntities(ctx, {{EntityWrite::Op::kDelete, storage::ToEntity(c)}},
                         "DeleteServiceSpecificCredential");
  }));
  return std::string("{}");
}

}  // namespace arcana::services::iam
