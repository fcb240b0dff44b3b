// Parameter Store's EventBridge events (AWS Systems Manager User Guide, "Setting up
// notifications or triggering actions based on Parameter Store events", and the event
// examples it gives), on the default bus of the parameter's account and region:
//   {"detail-type": "Parameter Store Change", "source": "aws.ssm",
//    "resources": [<parameter ARN>],
//    "detail": {"operation": "Create" | "Update" | "Delete" | "LabelParameterVersion",
//               "name": <name as created>, "type": <String | StringList | SecureString>,
//               "description": <only when the parameter has one>}}
//   {"detail-type": "Parameter Store Policy Action", "source": "aws.ssm",
//    "resources": [<parameter ARN>],
//    "detail": {"parameter-name", "parameter-type", "policy-type": "Expiration",
//               "action-status": "Finished"}}
// Never a value. Published by the node that committed the change (or whose delete of an
// expired parameter won), so once in a cluster; like AWS's ("emitted on a best effort
// basis"), an event the bus cannot queue is dropped, never failing the call.
#include "domain/ssm/names.h"
#include "events/event_bus.h"
#include "events/event_envelope.h"
#include "services/ssm/ssm_service.h"

namespace arcana::services::ssm {

namespace {
constexpr const char* kSsmEventSource = "aws.ssm";
}  // namespace

void SsmService::PublishChange(const Parameter& p, const ParameterVersion& v,
                               const char* operation, int64_t now_ms) {
  if (bus_ == nullptr || !bus_->Listens(p.account, p.region)) return;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "operation", operation);
  json::KV(w, "name", p.name);
  json::KV(w, "type", v.type);
  if (!v.description.empty()) json::KV(w, "description", v.description);
  w.EndObject();
  bus_->Publish(::arcana::events::MakeEvent(
      kSsmEventSource, "Parameter Store Change", p.account, p.region, now_ms,
      {domain::ssm::ParameterArn(p.region, p.account, p.name)}, json::Finish(buf)));
}

void SsmService::PublishExpired(const Parameter& p, int64_t now_ms) {
  if (bus_ == nullptr || p.versions.empty() || !bus_->Listens(p.account, p.region)) return;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "parameter-name", p.name);
  json::KV(w, "parameter-type", p.Latest().type);
  json::KV(w, "policy-type", "Expiration");
  json::KV(w, "action-status", "Finished");
  w.EndObject();
  bus_->Publish(::arcana::events::MakeEvent(
      kSsmEventSource, "Parameter Store Policy Action", p.account, p.region, now_ms,
      {domain::ssm::ParameterArn(p.region, p.account, p.name)}, json::Finish(buf)));
}

}  // namespace arcana::services::ssm
