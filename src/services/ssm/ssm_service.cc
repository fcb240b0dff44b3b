#include "services/ssm/ssm_service.h"

#include <spdlog/spdlog.h>

#include "crypto/base64.h"
#include "domain/ssm/names.h"

namespace arcana::services::ssm {

namespace dssm = domain::ssm;

SsmService::SsmService(storage::ParameterStore& store, crypto::DataKeyProvider& keys,
                       const crypto::RootKey& root, sm::SecretsManagerService* secrets_manager)
    : store_(store),
      keys_(keys),
      secrets_manager_(secrets_manager),
      page_key_(root, "ssm:page-token"),
      validator_("ssm", ErrorCode::kValidation) {
  using S = SsmService;
  handlers_ = {
      {"PutParameter", &S::PutParameter},
      {"GetParameter", &S::GetParameter},
      {"GetParameters", &S::GetParameters},
      {"GetParametersByPath", &S::GetParametersByPath},
      {"DeleteParameter", &S::DeleteParameter},
      {"DeleteParameters", &S::DeleteParameters},
      {"DescribeParameters", &S::DescribeParameters},
      {"GetParameterHistory", &S::GetParameterHistory},
      {"LabelParameterVersion", &S::LabelParameterVersion},
      {"UnlabelParameterVersion", &S::UnlabelParameterVersion},
      {"AddTagsToResource", &S::AddTagsToResource},
      {"RemoveTagsFromResource", &S::RemoveTagsFromResource},
      {"ListTagsForResource", &S::ListTagsForResource},
  };
}

Result<std::string> SsmService::Call(std::string_view operation, const rapidjson::Value& input,
                                     const CallContext& ctx) {
  auto it = handlers_.find(std::string(operation));
  if (it == handlers_.end()) {
    // In the SSM model but outside Parameter Store: refuse clearly rather than pretend.
    return Status(ErrorCode::kUnknownOperation,
                  "Operation AmazonSSM." + std::string(operation) +
                      " is not supported by this server: Arcana implements only the Parameter "
                      "Store operations of SSM.");
  }
  In in(input);
  return (this->*(it->second))(in, ctx);
}

Result<std::vector<Parameter>> SsmService::ListAll(const CallContext& ctx,
                                                   const std::string& prefix, std::string after) {
  std::vector<Parameter> out;
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto page, store_.ListParameters({ctx.account, ctx.region}, prefix,
                                                             after, storage::kMaxListLimit));
    const bool last = page.size() < storage::kMaxListLimit;
    if (!page.empty()) after = page.back().key;
    for (auto& p : page) out.push_back(std::move(p));
    if (last) return out;
  }
}

Result<std::optional<Parameter>> SsmService::Find(const CallContext& ctx, const std::string& key) {
  storage::Scope scope{ctx.account, ctx.region};
  ARCANA_ASSIGN_OR_RETURN(auto p, store_.GetParameter(scope, key));
  if (!p) return p;
  auto exp = p->ExpiresMs();
  if (!exp || *exp > ctx.now_ms) return p;
  // Expired: the Expiration policy deletes it. Re-checked under the write lock by the store
  // query in PurgeExpired, so a concurrent overwrite is never lost.
  Status st = PurgeExpired(ctx.now_ms);
  if (!st.ok()) spdlog::warn("could not delete expired parameters: {}", st.message());
  return std::optional<Parameter>();
}

Status SsmService::PurgeExpired(int64_t now_ms) {
  std::lock_guard<std::recursive_mutex> l(write_mu_);
  // A page at a time; each page's parameters are deleted, so the next page is new.
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto refs,
                            store_.ListParametersExpiredBefore(now_ms, storage::kMaxListLimit));
    for (const auto& r : refs) {
      ARCANA_ASSIGN_OR_RETURN(auto gone,
                              store_.DeleteParameters(r.scope, {{r.key, 0}}, "ExpireParameter"));
      if (!gone.empty()) spdlog::info("deleted expired parameter (Expiration policy)");
    }
    if (refs.size() < storage::kMaxListLimit) return Status::Ok();
  }
}

namespace {
crypto::KeyScope ScopeOf(const Parameter& p) {
  return {p.account, p.region, dssm::kDefaultKeyAlias};
}
// Values are bound to their parameter AND version: a value copied into another version's
// row does not decrypt there.
crypto::EncryptionContext ContextOf(const Parameter& p, const ParameterVersion& v) {
  return {{"PARAMETER_ARN", dssm::ParameterArn(p.region, p.account, p.name)},
          {"PARAMETER_VERSION", std::to_string(v.version)}};
}
// What values sealed before the version was bound (envelope format 1) used.
crypto::EncryptionContext LegacyContextOf(const Parameter& p) {
  return {{"PARAMETER_ARN", dssm::ParameterArn(p.region, p.account, p.name)}};
}
Status AsInvalidKeyId(const Status& st) {
  if (st.code() == ErrorCode::kInvalidKeyId) return st;
  return Status(ErrorCode::kInvalidKeyId, st.message());
}
}  // namespace

Result<std::string> SsmService::SealFor(const Parameter& p, const ParameterVersion& v,
                                        std::string_view plaintext) {
  if (v.type != dssm::kSecureString) return std::string(plaintext);
  std::string key_id = v.key_id == dssm::kDefaultKeyAlias ? "" : v.key_id;
  auto sealed = crypto::SealValue(keys_, ScopeOf(p), key_id, ContextOf(p, v), plaintext);
  if (!sealed.ok()) return AsInvalidKeyId(sealed.status());
  return sealed;
}

Result<std::string> SsmService::ValueFor(const Parameter& p, const ParameterVersion& v,
                                         const std::string& stored, bool decrypt) {
  if (v.type != dssm::kSecureString) return stored;
  if (!decrypt) return crypto::Base64Encode(stored);
  const crypto::EncryptionContext legacy = LegacyContextOf(p);
  auto plain = crypto::OpenValue(keys_, ScopeOf(p), ContextOf(p, v), stored, &legacy);
  if (!plain.ok()) return AsInvalidKeyId(plain.status());
  return plain;
}

Result<std::string> SsmService::LoadValue(const Parameter& p, const ParameterVersion& v,
                                          bool decrypt) {
  ARCANA_ASSIGN_OR_RETURN(auto stored, store_.GetParameterValue({p.account, p.region}, p.key,
                                                                v.version));
  if (!stored) {
    return Status(ErrorCode::kSsmInternalServerError, "stored value of a version is missing");
  }
  return ValueFor(p, v, *stored, decrypt);
}

}  // namespace arcana::services::ssm
