// Built-in detections: facts worth an alert, recognised in the audit records this node
// writes, emitted as events of source "arcana.detections" (they match rules like any other
// event). Detail types and when they fire:
//   "Secret Scheduled For Deletion"   DeleteSecret succeeded with a recovery window
//   "Secret Deleted"                   DeleteSecret with ForceDeleteWithoutRecovery, or the
//                                      purge job deleted a secret (AwsServiceEvent)
//   "Pending Deletion Secret Read"     GetSecretValue refused because the secret is marked
//                                      for deletion, or a BatchGetSecretValue item refused so
//                                      (its record's additionalEventData.refusedItems)
//   "Deprecated Secret Version Read"   GetSecretValue of AWSPREVIOUS, or of a VersionId that
//                                      carries neither AWSCURRENT nor AWSPENDING
//   "Denied Access Burst"              >= kDeniedBurst AccessDenied answers to one principal
//                                      within kDeniedWindowMs, counted in the store
//                                      (EventDeliveryStore::CountDenial, buckets of
//                                      kDeniedBucketMs), so across every node: raised once
//                                      per burst in the cluster, by the node whose denial
//                                      completed it
//   "Secret Rotation Succeeded" / "Secret Rotation Failed"   RotationOutcomeEvent, for the
//                                      rotation engine to publish (EventBus::Publish)
// detail always names the secret or principal, never a value.
// Thread-safety: Detector::Observe from any thread (the store serialises the counts); the
// rest is pure.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "events/event_envelope.h"
#include "storage/event_delivery_store.h"

namespace arcana::events {

inline constexpr const char* kDetectionSource = "arcana.detections";
inline constexpr size_t kDeniedBurst = 10;
inline constexpr int64_t kDeniedWindowMs = 60'000;
inline constexpr int64_t kDeniedBucketMs = 10'000;

// The stages of a secret's version now (nullopt when unknown: the secret or version is
// gone). Answers "is this version deprecated?" for reads by VersionId.
using VersionStagesFn = std::function<std::optional<std::vector<std::string>>(
    const std::string& account, const std::string& region, const std::string& secret_arn,
    const std::string& version_id)>;

// The error codes of a denied call (AWS JSON and Query protocols).
bool IsAccessDenied(const std::string& error_code);

class Detector {
 public:
  // denials: where access denials are counted (one write per denied call; denials are
  // rare); null: no "Denied Access Burst" detection (tests of the others).
  explicit Detector(VersionStagesFn stages, storage::EventDeliveryStore* denials = nullptr)
      : stages_(std::move(stages)), denials_(denials) {}
  // The detections one audit record raises (usually none).
  std::vector<Event> Observe(const rapidjson::Value& record, int64_t now_ms);

 private:
  VersionStagesFn stages_;
  storage::EventDeliveryStore* denials_;
};

// The event the rotation engine publishes when a rotation of secret_arn ends: succeeded,
// or failed at step ("createSecret", "setSecret", "testSecret", "finishSecret") with a
// reason (no secret value in it).
Event RotationOutcomeEvent(const std::string& account, const std::string& region,
                           const std::string& secret_arn, const std::string& version_id,
                           bool succeeded, const std::string& step, const std::string& reason,
                           int64_t now_ms);

}  // namespace arcana::events
