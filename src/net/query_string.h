// A request-target's query string, split: the one place that cuts "?a=1&b=2" into pairs, for
// the GET endpoints (the change stream, the caching agent). Decoding is the caller's choice:
// the change stream takes numbers verbatim, the agent decodes as a form.
// Thread-safety: a pure function.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace arcana::net {

// (name, value) pairs of target's query, raw (not percent-decoded), in order; empty pairs
// ("a=1&&b") are skipped and a pair without '=' has an empty value. The views point into
// target.
std::vector<std::pair<std::string_view, std::string_view>> SplitQuery(std::string_view target);

}  // namespace arcana::net
