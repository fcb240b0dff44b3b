// arcanad's event bus (events/event_bus.h) from the store and the configuration: rules from
// the store, dead letters in <data-dir>/events/, detections that look up secret versions in
// the store. Added to the audit trail as a sink, so it sees every record this node writes.
#pragma once

#include "audit/audit_trail.h"
#include "config/config.h"
#include "events/event_bus.h"
#include "storage/stores.h"

namespace arcana::app {

// Returns the bus (owned by trail) for publishers outside the audit path (rotation outcome
// events: events::RotationOutcomeEvent).
events::EventBus* OpenEventBus(const config::Config& cfg, storage::Stores& stores,
                               audit::AuditTrail& trail);

}  // namespace arcana::app
