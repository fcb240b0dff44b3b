// IAM outbound identity federation: the account's switch for STS GetWebIdentityToken
// (EnableOutboundWebIdentityFederation, DisableOutboundWebIdentityFederation) and its
// description (GetOutboundWebIdentityFederationInfo). The issuer, its keys and the URL it
// publishes them at are auth/web_identity_issuer.h's. Errors as AWS models them:
// FeatureEnabled (409) when enabling twice, FeatureDisabled (404) when disabling, or
// describing, an account whose federation is not enabled.
#include "auth/web_identity_issuer.h"
#include "services/common/write_retry.h"
#include "services/iam/iam_service.h"

namespace arcana::services::iam {

Result<std::string> IamService::EnableOutboundWebIdentityFederation(const In&,
                                                                    const CallContext& ctx) {
  if (issuer_ == nullptr) return Status(ErrorCode::kInternalFailure, "no token issuer");
  std::string issuer_url;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto current, issuer_->Load(ctx.account));
    ARCANA_ASSIGN_OR_RETURN(auto write,
                            issuer_->EnableWrite(ctx.account, current, ctx.now_ms, &issuer_url));
    Status st = WriteEntities(ctx, {std::move(write)}, "EnableOutboundWebIdentityFederation");
    // Enabled for the first time by another call meanwhile: read again.
    if (st.code() == ErrorCode::kResourceExists) return Status(ErrorCode::kWriteConflict, "race");
    return st;
  }));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "IssuerIdentifier", issuer_url);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> IamService::DisableOutboundWebIdentityFederation(const In&,
                                                                     const CallContext& ctx) {
  if (issuer_ == nullptr) return Status(ErrorCode::kInternalFailure, "no token issuer");
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(auto current, issuer_->Load(ctx.account));
    ARCANA_ASSIGN_OR_RETURN(auto write, issuer_->DisableWrite(current));
    return WriteEntities(ctx, {std::move(write)}, "DisableOutboundWebIdentityFederation");
  }));
  return std::string("{}");
}

Result<std::string> IamService::GetOutboundWebIdentityFederationInfo(const In&,
                                                                     const CallContext& ctx) {
  if (issuer_ == nullptr) return Status(ErrorCode::kInternalFailure, "no token issuer");
  ARCANA_ASSIGN_OR_RETURN(auto current, issuer_->Load(ctx.account));
  if (!current || !current->enabled) {
    return Status(ErrorCode::kFeatureDisabled,
                  "Outbound identity federation is disabled for this account.");
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "IssuerIdentifier", issuer_->IssuerUrl(ctx.account, current->issuer_id));
  w.Key("JwtVendingEnabled");
  w.Bool(true);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::iam
