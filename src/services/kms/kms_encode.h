// JSON encoders for KMS response shapes shared by several operations.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

#include "common/json.h"
#include "domain/kms/key.h"

namespace arcana::services::kms {

// The KeyMetadata structure (DescribeKey, CreateKey, ReplicateKey). related: for a
// multi-Region key, every key of its id (KeyRing::RelatedKeys), to list primary and replicas.
void WriteKeyMetadata(json::Writer& w, const domain::kms::Key& key,
                      const std::vector<domain::kms::Key>& related = {});
// The algorithm lists of a key spec and usage (KeyMetadata, GetPublicKey).
void WriteAlgorithmLists(json::Writer& w, const domain::kms::Key& key);
// A JSON body of one object, built by fn.
template <typename Fn>
std::string Body(Fn fn) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  fn(w);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}
// Base64 of raw bytes as a JSON member.
void WriteBlob(json::Writer& w, const char* name, std::string_view raw);
// Reads a TagList member ([{TagKey, TagValue}]) into `into` (kTag when malformed).
Status ReadKmsTags(const json::Input& in, std::map<std::string, std::string>& into);
// "NextMarker" (when non-empty) and "Truncated" (always).
void WritePageEnd(json::Writer& w, const std::string& next_marker);

}  // namespace arcana::services::kms
