// CloudTrail's LookupEvents on the same endpoint (X-Amz-Target
// "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.*", signing name "cloudtrail",
// JSON 1.1), answered from the store's index of every node's records when the store has one
// (a cluster's PostgreSQL: audit/trail_index_search.h), else from this node's audit files
// (audit/trail_query.h), with the same meaning either way: the management
// events of the caller's account and region, newest first, with one LookupAttribute
// (EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource,
// AccessKeyId), StartTime/EndTime, MaxResults (1-50, default 50) and NextToken (bound to the
// parameters of the request that gave it: with others, InvalidNextTokenException). On a
// cluster every node answers alike: this node's own records are shipped before the search,
// another node's within about a second of its call (audit/trail_indexer.h). From files, only
// the file sets of nodes the store knows
// (audit/node_head.h) are read: one dropped into the directory under an invented node name
// is not this store's trail (`arcana audit verify` reports it). The other CloudTrail operations (trails,
// event data stores) are not served: UnknownOperationException.
// Thread-safety: Call may run concurrently (it reads files or the store, and ships this
// node's records through the indexer, which runs one shipment at a time).
#pragma once

#include <string>

#include "audit/trail_indexer.h"
#include "services/common/service.h"
#include "storage/audit_index_store.h"
#include "storage/meta_store.h"

namespace arcana::services::cloudtrail {

class CloudTrailService final : public Service {
 public:
  // audit_dir: the node's audit directory (config::EffectiveAuditDir); meta: the store
  // that knows the nodes (not owned; nullptr: every file set in audit_dir is read).
  // index: the store's index of every node's records (nullptr: the store has none, the
  // files are searched); indexer: this node's shipper into it (nullptr: none, e.g. with
  // --audit-file off), caught up before each search so the caller's own calls are there.
  CloudTrailService(std::string audit_dir, storage::MetaStore* meta,
                    storage::AuditIndexStore* index = nullptr,
                    audit::TrailIndexer* indexer = nullptr);
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
  storage::AuditIndexStore* index_;
  audit::TrailIndexer* indexer_;
  ModelValidator validator_;
};

}  // namespace arcana::services::cloudtrail
