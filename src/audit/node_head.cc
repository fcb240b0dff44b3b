#include "audit/node_head.h"

#include "common/json.h"

namespace arcana::audit {

std::string NodeHeadMetaKey(std::string_view node) {
  return "audit.node." + std::string(node);
}

std::string NodeHeadJson(const NodeHead& h) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("digestSequence");
  w.Uint64(h.digest_sequence);
  w.Key("lastSequence");
  w.Uint64(h.last_sequence);
  json::KV(w, "signature", h.signature);
  w.Key("endMs");
  w.Int64(h.end_ms);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<NodeHead> ParseNodeHead(std::string_view text) {
  rapidjson::Document doc;
  const Status parsed = json::ParseBounded(text, &doc, 4, 4 << 10);
  auto seq = doc.IsObject() ? doc.FindMember("digestSequence") : rapidjson::Value::MemberIterator();
  if (!parsed.ok() || !doc.IsObject() || seq == doc.MemberEnd() || !seq->value.IsUint64() ||
      !doc.HasMember("lastSequence") || !doc["lastSequence"].IsUint64() ||
      !doc.HasMember("signature") || !doc["signature"].IsString() || !doc.HasMember("endMs") ||
      !doc["endMs"].IsInt64()) {
    return Status(ErrorCode::kValidation, "malformed audit node head in the store's meta");
  }
  NodeHead h;
  h.digest_sequence = seq->value.GetUint64();
  h.last_sequence = doc["lastSequence"].GetUint64();
  h.signature = doc["signature"].GetString();
  h.end_ms = doc["endMs"].GetInt64();
  return h;
}

Result<std::optional<NodeHead>> ReadNodeHead(storage::MetaStore& meta, std::string_view node) {
  ARCANA_ASSIGN_OR_RETURN(auto value, meta.GetMeta(NodeHeadMetaKey(node)));
  if (!value) return std::optional<NodeHead>();
  ARCANA_ASSIGN_OR_RETURN(NodeHead h, ParseNodeHead(*value));
  return std::optional<NodeHead>(std::move(h));
}

Result<std::vector<std::pair<std::string, NodeHead>>> ListNodeHeads(storage::MetaStore& meta) {
  const std::string prefix = NodeHeadMetaKey("");
  ARCANA_ASSIGN_OR_RETURN(auto entries, meta.ListMeta(prefix));
  std::vector<std::pair<std::string, NodeHead>> out;
  for (auto& [key, value] : entries) {
    auto h = ParseNodeHead(value);
    if (!h.ok()) return Status(h.status().code(), h.status().message() + " (" + key + ")");
    out.emplace_back(key.substr(prefix.size()), std::move(*h));
  }
  return out;
}

Status PublishNodeHead(storage::MetaStore& meta, std::string_view node, const NodeHead& h) {
  return meta.PutMeta(NodeHeadMetaKey(node), NodeHeadJson(h));
}

Status RegisterNode(storage::MetaStore& meta, std::string_view node, const NodeHead& h) {
  auto stored = meta.PutMetaIfAbsent(NodeHeadMetaKey(node), NodeHeadJson(h));
  return stored.ok() ? Status::Ok() : stored.status();
}

}  // namespace arcana::audit
