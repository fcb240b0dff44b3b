// One audit record in CloudTrail's event shape (eventVersion 1.11): who did what, where,
// to which resources, and how it ended. The grammar of one serialised record (one line of
// an audit file, see file_trail.h for the chain fields appended to it):
//
//   { "eventVersion":"1.11", "userIdentity":{type, principalId, arn, accountId, accessKeyId,
//     [userName], [sessionContext], [invokedBy]}, "eventTime":"YYYY-MM-DDThh:mm:ssZ",
//     "eventSource":"kms.amazonaws.com", "eventName":"Decrypt", "awsRegion", "sourceIPAddress",
//     "userAgent", "requestParameters":{...}|null, "responseElements":{...}|null,
//     ["errorCode", "errorMessage"], "requestID", "eventID", "readOnly":bool,
//     "resources":[{"accountId","type","ARN"}], "eventType":"AwsApiCall"|"AwsServiceEvent",
//     "managementEvent":true, "recipientAccountId", "eventCategory":"Management",
//     ["serviceEventDetails":{...}],
//     ["additionalEventData":{["changeSequence":[seq,...], "changes":[{"kind","resource"}...],
//                             ["changeSequenceTruncated":true]],
//                            ["refusedItems":[{"ARN","errorCode","errorMessage"}...]]}] }
//
// additionalEventData (CloudTrail's free-form member) names the store changes the call or
// job committed (storage/committed_changes.h): changes[i] is change changeSequence[i] as the
// store's change log holds it, so `arcana audit verify` can check record and store agree.
// refusedItems are the items of a batch call refused while the call answered 200
// (BatchGetSecretValue's Errors[]; audit/touched_resources.h). Absent when neither.
//
// requestParameters / responseElements are already redacted (audit/redaction.h) when they
// reach an AuditEvent: this file serialises, it does not judge what is secret.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/touched_resources.h"
#include "storage/change_log.h"

namespace arcana::audit {

// CloudTrail's current record version (user guide, "CloudTrail record contents": "The current
// version is 1.11"; AWS's own records of 2026 carry it). Minor versions only add optional
// fields, present where they apply, so a record without them is still a 1.11 record.
inline constexpr const char* kEventVersion = "1.11";

struct UserIdentity {
  std::string type;          // Root | IAMUser | AssumedRole | FederatedUser | AWSService |
                             // WebIdentityUser | Unknown
  std::string principal_id;  // AIDA..., AROA...:session, or the account id for root
  std::string arn;
  std::string account_id;
  std::string access_key_id;
  std::string user_name;     // IAM users only
  std::string invoked_by;    // AWSService: the acting service ("arcana.internal")
  std::string identity_provider;  // WebIdentityUser: the IAM OIDC provider's ARN
  // sessionContext (temporary credentials), as the CloudTrail User Guide's userIdentity
  // element gives it: {"sessionIssuer":{type, principalId, arn, accountId, userName} (an
  // assumed role's role; {} for a GetSessionToken session), "webIdFederationData":{},
  // "attributes":{"creationDate":ISO 8601 of the session's issue,"mfaAuthenticated":"true"|
  // "false"}}.
  bool has_session = false;
  std::string session_issuer_type;          // "Role"; "" = {}
  std::string session_issuer_principal_id;  // AROA...
  std::string session_issuer_arn;
  std::string session_issuer_user_name;     // the role's name
  int64_t session_created_ms = 0;
  bool mfa_authenticated = false;
};

struct AuditEvent {
  enum class Type { kApiCall, kServiceEvent };
  Type type = Type::kApiCall;
  int64_t time_ms = 0;
  std::string event_source;  // "secretsmanager.amazonaws.com"
  std::string event_name;    // "GetSecretValue"
  std::string region;
  std::string source_ip;     // AWS internal events: the service's host name
  std::string user_agent;
  UserIdentity identity;
  std::string request_parameters;  // redacted JSON object; "" = null
  std::string response_elements;   // redacted JSON object; "" = null
  std::string error_code;          // "" on success
  std::string error_message;
  std::string request_id;
  std::string event_id;            // a fresh UUID per record
  bool read_only = false;
  std::vector<Resource> resources;
  std::string recipient_account;
  std::string service_event_details;  // JSON object (AwsServiceEvent); "" = absent
  std::vector<storage::Change> changes;  // committed by this call or job, in seq order
  bool changes_truncated = false;        // more were committed than `changes` holds
};

// The record as one JSON object (no newline). Long free-text fields (userAgent,
// errorMessage) are cut to kMaxTextField bytes.
inline constexpr size_t kMaxTextField = 1024;
std::string EventJson(const AuditEvent& e);

// An action Arcana took by itself or on an operator's request (eventType AwsServiceEvent):
// userIdentity {type AWSService, invokedBy "arcana.internal"}, sourceIPAddress likewise.
AuditEvent ServiceEvent(std::string event_source, std::string event_name, std::string account,
                        std::string region, int64_t now_ms);
// An operator's action (root of trust, offline CLI actions, backups): a ServiceEvent of source
// arcana.operator whose identity is the ArcanaOperator (invoked by no service).
AuditEvent OperatorEvent(std::string event_name, std::string account, std::string region,
                         int64_t now_ms);

// "YYYY-MM-DDThh:mm:ssZ" (UTC, seconds, as CloudTrail writes eventTime).
std::string IsoTime(int64_t epoch_ms);
// A random UUID (version 4) for eventID.
std::string NewEventId();

}  // namespace arcana::audit
