// A unified diff (`diff -u` format, 3 lines of context) between two texts, for migrate's dry
// run. Lines are compared whole; files over 4,000 lines on either side are shown as one hunk.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace arcana::migrate {

// "" when the texts are equal. `label` names both sides (a/label, b/label).
std::string UnifiedDiff(std::string_view before, std::string_view after, const std::string& label);

}  // namespace arcana::migrate
