#include "services/common/request_tags.h"

namespace arcana::services {

void AddRequestTagKeys(const json::Input& in, TagChange change, const char* tags,
                       const char* key_member, const char* value_member,
                       auth::policy::ContextKeys* keys) {
  if (change == TagChange::kRemoves) {
    if (auto untag = in.StrList("TagKeys")) keys->SetList("aws:TagKeys", std::move(*untag));
    return;
  }
  std::vector<std::string> tag_keys;
  if (const auto* list = in.Get(tags); list && list->IsArray()) {
    for (const auto& t : list->GetArray()) {
      if (!t.IsObject() || !t.HasMember(key_member) || !t[key_member].IsString()) continue;
      std::string k = t[key_member].GetString();
      std::string v = t.HasMember(value_member) && t[value_member].IsString()
                          ? t[value_member].GetString()
                          : "";
      keys->Set("aws:RequestTag/" + k, v);
      tag_keys.push_back(std::move(k));
    }
  }
  if (in.Has(tags)) keys->SetList("aws:TagKeys", std::move(tag_keys));
}

}  // namespace arcana::services
