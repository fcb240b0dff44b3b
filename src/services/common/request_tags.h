// The tag context keys of a request, the same way for every service: aws:RequestTag/K for
// each tag it sets (the list member `tags`, of objects {key_member, value_member}) and
// aws:TagKeys for the keys it sets or removes ("TagKeys" of an untag request). Only the member
// the operation has is read: a stray "TagKeys" on a tagging request (or a stray tag list on an
// untag request) must not change what the policies see, since the operation ignores it.
#pragma once

#include "auth/policy/request_context.h"
#include "common/json.h"

namespace arcana::services {

enum class TagChange { kSets, kRemoves };

void AddRequestTagKeys(const json::Input& in, TagChange change, const char* tags,
                       const char* key_member, const char* value_member,
                       auth::policy::ContextKeys* keys);

}  // namespace arcana::services
