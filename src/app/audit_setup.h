// arcanad's audit trail from its configuration (config/config.h, audit_*): the local file
// sink (unless --audit-file off) and syslog (--audit-syslog).
#pragma once

#include "audit/audit_trail.h"
#include "audit/digest_signer.h"
#include "audit/file_trail.h"
#include "config/config.h"
#include "net/http_types.h"
#include "storage/change_log.h"
#include "storage/committed_changes.h"

namespace arcana::app {

// The node name in force: cfg.audit_node, or <hostname>-<port> with every character outside
// [A-Za-z0-9_-] replaced by '_'.
std::string AuditNodeName(const config::Config& cfg, unsigned short port);
// Adds the configured sinks to trail; *file_sink: the file sink (owned by trail), nullptr
// with --audit-file off. Errors: the file sink's (cannot create, locked).
Status OpenAuditTrail(const config::Config& cfg, unsigned short port,
                      audit::DigestSigner& signer, audit::AuditTrail& trail,
                      audit::FileTrail** file_sink);

// Records changes this node committed that no call or action record claimed (a job's
// write without a report of its own, the root identity created at start): AwsServiceEvents
// named after the change kinds (audit/change_claims.h), serviceEventDetails {"job": by}.
// A record that cannot be written is logged (the changes already happened).
void RecordUnclaimedChanges(audit::AuditTrail& trail, const std::string& by,
                            const storage::CommittedChanges& changes);

// After the node's previous process ended without closing its audit files (a crash,
// kill -9: file.interrupted()), records the store changes it committed and never recorded,
// in RecoverUnrecordedChanges service events (audit/unrecorded_changes.h), up to
// head_at_start: the store's head before this start committed anything. On a shared store
// (PostgreSQL) only the changes whose rows name this node (Change::node). A failure is
// logged: the node serves on, and verify reports the changes.
void RecordChangesACrashLeft(audit::AuditTrail& trail, const config::Config& cfg,
                             unsigned short port, const audit::FileTrail& file,
                             storage::ChangeLog& changes, int64_t head_at_start);

// The record of an operator endpoint call (unseal, seal, rotate-root): an AwsServiceEvent
// of source arcana.operator, identity type ArcanaOperator, with the caller's address and
// the HTTP status as errorCode when it failed; it claims the changes the action committed.
// Errors: kServiceUnavailable when a fail-closed sink could not make it durable (the
// operator API then refuses the answer or warns: seal/operator_api.h).
Status RecordOperatorAction(audit::AuditTrail& trail, const config::Config& cfg,
                            const std::string& op, const net::HttpRequest& req, int status);
// The record written before something that may rotate the root runs (seal/operator_api.h:
// on_start): as above, with serviceEventDetails {"phase":"started"} and no changes.
// Errors: as RecordOperatorAction; the rotation is then refused.
Status RecordOperatorStart(audit::AuditTrail& trail, const config::Config& cfg,
                           const std::string& op, const net::HttpRequest& req);

}  // namespace arcana::app
