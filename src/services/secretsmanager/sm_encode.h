// Response encoders shared by several Secrets Manager operations.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/json.h"
#include "domain/secretsmanager/secret.h"

namespace arcana::services::sm {

enum class EntryForm { kDescribe, kList };

// Replica region -> that replica's own LastAccessedDate (absent: never read there).
using ReplicaAccessDates = std::map<std::string, int64_t>;

// DescribeSecret's output, or one ListSecrets SecretList entry (which names the version
// map SecretVersionsToStages and has no ReplicationStatus). `self` is the addressed
// secret, `data` the one holding its metadata (its primary when self is a replica);
// LastAccessedDate is self's own (per region). `accessed`: the replicas' dates for a
// primary's ReplicationStatus.
void WriteSecretEntry(json::Writer& w, const domain::sm::Secret& self,
                      const domain::sm::Secret& data, EntryForm form,
                      const ReplicaAccessDates& accessed = {});

// The KMS key `self` is encrypted under in its own region ("" = the AWS managed key): a
// replica's is the one its primary's ReplicationStatus names for the replica's region
// (ReplicaRegionType.KmsKeyId), `data` being its primary.
std::string KmsKeyIdIn(const domain::sm::Secret& self, const domain::sm::Secret& data);

// {"ARN": ..., "Name": ...}: the whole output of several operations.
// {"ARN","Name"} and, when version_id is not empty, "VersionId".
std::string ArnNameBody(const domain::sm::Secret& s, const std::string& version_id = "");

// The ReplicationStatus list of `primary`; an entry carries LastAccessedDate when `accessed`
// has its region (AWS: omitted if the secret was never retrieved in that Region).
void WriteReplicationStatus(json::Writer& w, const domain::sm::Secret& primary,
                            const ReplicaAccessDates& accessed = {});
// A version's staging labels, sorted: AWS lists them in lexicographic order whatever order
// they were attached in (recorded: VersionStages ["SAMPLESTAGE1","SAMPLESTAGE0"] comes back
// as ["SAMPLESTAGE0","SAMPLESTAGE1"], a moved AWSCURRENT lands before AWSPENDING).
void WriteStages(json::Writer& w, const std::vector<std::string>& stages);
void WriteTags(json::Writer& w, const std::vector<domain::sm::Tag>& tags);

}  // namespace arcana::services::sm
