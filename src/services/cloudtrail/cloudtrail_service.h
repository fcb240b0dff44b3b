// CloudTrail's LookupEvents on the same endpoint (X-Amz-Target
// "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.*", signing name "cloudtrail",
// JSON 1.1), answered from this node's audit files (audit/trail_query.h): the management
// events of the caller's account and region, newest first, with one LookupAttribute
// (EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource,
// AccessKeyId), StartTime/EndTime, MaxResults (1-50, default 50) and NextToken (bound to the
// parameters of the request that gave it: with others, InvalidNextTokenException). On a
// cluster each node answers from its own files. Only the file sets of nodes the store knows
// (audit/node_head.h) are read: one dropped into the directory under an invented node name
// is not this store's trail (`arcana audit verify` reports it). The other CloudTrail operations (trails,
// event data stores) are not served: UnknownOperationException.
// Thread-safety: Call may run concurrently (reads files only).
#pragma once

#include <string>

#include "services/common/service.h"
#include "storage/meta_store.h"

namespace arcana::services::cloudtrail {

class CloudTrailService final : public Service {
 public:
  // audit_dir: the node's audit directory (config::EffectiveAuditDir); meta: the store
  // that knows the nodes (not owned; nullptr: every file set in audit_dir is read).
  CloudTrailService(std::string audit_dir, storage::MetaStore* meta);
  std::string_view target_prefix() const override {
    return "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101";
  }
  std::string_view signing_name() const override { return "cloudtrail"; }
  const ModelValidator& validator() const override { return validator_; }
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;

 private:
  Result<std::string> LookupEvents(const rapidjson::Value& input, const CallContext& ctx);

  std::string audit_dir_;
  storage::MetaStore* meta_;
  ModelValidator validator_;
};

}  // namespace arcana::services::cloudtrail
