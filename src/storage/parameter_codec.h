// JSON encoding of a parameter's metadata (versions, labels, policies, tags) for stores that
// keep it as one document. Values are never part of it.
#pragma once

#include <string>

#include "common/status.h"
#include "domain/ssm/parameter.h"

namespace arcana::storage {

std::string EncodeParameterMetadata(const domain::ssm::Parameter& p);
Result<domain::ssm::Parameter> DecodeParameterMetadata(const std::string& json);

}  // namespace arcana::storage
