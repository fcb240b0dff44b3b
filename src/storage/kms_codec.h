// JSON encoding of KMS key and grant metadata as stored in the kms_keys / kms_grants
// `meta` columns. Never holds key material. Unknown fields are ignored when decoding so
// newer metadata can be added without a migration.
#pragma once

#include <string>

#include "common/status.h"
#include "domain/kms/key.h"

namespace arcana::storage {

std::string EncodeKmsKey(const domain::kms::Key& key);
Result<domain::kms::Key> DecodeKmsKey(const std::string& json);
std::string EncodeKmsGrant(const domain::kms::Grant& grant);
Result<domain::kms::Grant> DecodeKmsGrant(const std::string& json);

}  // namespace arcana::storage
