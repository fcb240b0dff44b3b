// Versions and labels of a parameter (spec 4.1, 4.2): the 100-version window, label rules
// (1-100 chars of [a-zA-Z0-9_.-], not starting with a digit, `aws` or `ssm`), at most 10
// labels per version, and a label unique across one parameter's versions (attaching moves it).
// Thread-safety: pure functions over caller-owned values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/ssm/parameter.h"

namespace arcana::domain::ssm {

bool IsValidLabel(std::string_view label);

// Appends `v` as the next version (1 for a new parameter). When 100 versions are kept, the
// oldest is dropped (its number appended to *removed), unless it carries a label:
// kParameterMaxVersionLimitExceeded. Sets v.version.
Status AddVersion(Parameter& p, ParameterVersion v, std::vector<int64_t>* removed);

// LabelParameterVersion: attaches the valid labels to `version`, moving them from other
// versions; invalid ones go to *invalid. Errors: kParameterVersionNotFound,
// kParameterVersionLabelLimitExceeded (more than 10 on the version).
Status AttachLabels(Parameter& p, int64_t version, const std::vector<std::string>& labels,
                    std::vector<std::string>* invalid);

// UnlabelParameterVersion: removes labels from `version`; labels not on it go to *invalid.
Status DetachLabels(Parameter& p, int64_t version, const std::vector<std::string>& labels,
                    std::vector<std::string>* removed, std::vector<std::string>* invalid);

Status VersionNotFound(std::string_view name, std::string_view selector);

}  // namespace arcana::domain::ssm
