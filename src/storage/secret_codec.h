// Serializes a secret's metadata (everything but version values) to a compact JSON
// document for storage. JSON rather than columns so the schema can grow without
// migrations for every new field; the values live in their own table, sealed.
// Field names are stored forever: never rename one, only add.
#pragma once

#include <string>

#include "common/status.h"
#include "domain/secretsmanager/secret.h"

namespace arcana::storage {

std::string EncodeSecretMetadata(const domain::sm::Secret& s);
Result<domain::sm::Secret> DecodeSecretMetadata(const std::string& text);

}  // namespace arcana::storage
