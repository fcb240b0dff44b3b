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
// The text EncodeKmsGrant writes for the Name `name` ("name":"<name>", escaped as it escapes
// it): every stored grant of that Name holds it, so a store can narrow a search by Name in SQL
// before decoding (a narrowing only: the decoded grant is what is compared).
std::string KmsGrantNameField(const std::string& name);

}  // namespace arcana::storage
