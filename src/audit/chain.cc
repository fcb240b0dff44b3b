#include "audit/chain.h"

#include <cstdio>

#include "audit/audit_event.h"
#include "common/json.h"
#include "crypto/hash.h"

namespace arcana::audit {

std::string ChainedLine(std::string_view event_json, uint64_t sequence,
                        std::string_view previous_hash) {
  std::string line(event_json.substr(0, event_json.size() - 1));  // drop the closing '}'
  line += ",\"arcanaSequence\":";
  line += std::to_string(sequence);
  line += ",\"arcanaPreviousHash\":\"";
  line += previous_hash;
  line += "\"}";
  return line;
}

std::optional<ChainLink> ParseChainLink(std::string_view line) {
  constexpr std::string_view kSeq = ",\"arcanaSequence\":";
  constexpr std::string_view kPrev = ",\"arcanaPreviousHash\":\"";
  constexpr size_t kHashLen = kGenesisHash.size();
  const size_t tail = kPrev.size() + kHashLen + 2;  // ..."<hash>"}
  if (line.size() < tail + kSeq.size() + 1 || line.substr(line.size() - 2) != "\"}") {
    return std::nullopt;
  }
  const size_t prev_at = line.size() - tail;
  if (line.substr(prev_at, kPrev.size()) != kPrev) return std::nullopt;
  std::string_view hash = line.substr(prev_at + kPrev.size(), kHashLen);
  for (char c : hash) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  size_t digits = prev_at;
  while (digits > 0 && line[digits - 1] >= '0' && line[digits - 1] <= '9') --digits;
  const size_t n = prev_at - digits;
  if (n == 0 || n > 19 || digits < kSeq.size() ||
      line.substr(digits - kSeq.size(), kSeq.size()) != kSeq) {
    return std::nullopt;
  }
  uint64_t seq = 0;
  for (size_t i = digits; i < prev_at; ++i) seq = seq * 10 + static_cast<uint64_t>(line[i] - '0');
  return ChainLink{seq, hash};
}

std::string LineHash(std::string_view line) { return crypto::Sha256Hex(line); }

std::string DigestMessage(const Digest& d) {
  std::string m = "arcana-audit-digest-v1\n";
  m += d.node + "\n";
  m += std::to_string(d.digest_sequence) + "\n";
  m += std::to_string(d.start_ms) + "\n";
  m += std::to_string(d.end_ms) + "\n";
  m += std::to_string(d.first_sequence) + "\n";
  m += std::to_string(d.last_sequence) + "\n";
  m += d.last_hash + "\n";
  m += d.previous_signature + "\n";
  if (d.pruned_through != 0) {  // retention digests only: older digests sign the lines above
    m += "pruned " + std::to_string(d.pruned_through) + "\n";
    m += d.pruned_hash + "\n";
  }
  return m;
}

std::string DigestJson(const Digest& d) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("digestSequence");
  w.Uint64(d.digest_sequence);
  json::KV(w, "node", d.node);
  json::KV(w, "digestStartTime", IsoTime(d.start_ms));
  json::KV(w, "digestEndTime", IsoTime(d.end_ms));
  w.Key("digestStartMs");
  w.Int64(d.start_ms);
  w.Key("digestEndMs");
  w.Int64(d.end_ms);
  w.Key("firstSequence");
  w.Uint64(d.first_sequence);
  w.Key("lastSequence");
  w.Uint64(d.last_sequence);
  json::KV(w, "lastHash", d.last_hash);
  json::KV(w, "previousDigestSignature", d.previous_signature);
  if (d.pruned_through != 0) {
    w.Key("prunedThroughSequence");
    w.Uint64(d.pruned_through);
    json::KV(w, "prunedThroughHash", d.pruned_hash);
  }
  json::KV(w, "signatureAlgorithm", "Ed25519");
  json::KV(w, "publicKey", d.public_key);
  json::KV(w, "signature", d.signature);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<Digest> ParseDigest(std::string_view line) {
  rapidjson::Document doc;
  ARCANA_RETURN_IF_ERROR(json::ParseBounded(line, &doc, 4, 64 << 10));
  if (!doc.IsObject()) return Status(ErrorCode::kValidation, "a digest is not a JSON object");
  auto u64 = [&](const char* k, uint64_t* out) {
    auto it = doc.FindMember(k);
    if (it == doc.MemberEnd() || !it->value.IsUint64()) return false;
    *out = it->value.GetUint64();
    return true;
  };
  auto i64 = [&](const char* k, int64_t* out) {
    auto it = doc.FindMember(k);
    if (it == doc.MemberEnd() || !it->value.IsInt64()) return false;
    *out = it->value.GetInt64();
    return true;
  };
  auto str = [&](const char* k, std::string* out) {
    auto it = doc.FindMember(k);
    if (it == doc.MemberEnd() || !it->value.IsString()) return false;
    *out = it->value.GetString();
    return true;
  };
  Digest d;
  if (!u64("digestSequence", &d.digest_sequence) || !str("node", &d.node) ||
      !i64("digestStartMs", &d.start_ms) || !i64("digestEndMs", &d.end_ms) ||
      !u64("firstSequence", &d.first_sequence) || !u64("lastSequence", &d.last_sequence) ||
      !str("lastHash", &d.last_hash) || !str("previousDigestSignature", &d.previous_signature) ||
      !str("publicKey", &d.public_key) || !str("signature", &d.signature)) {
    return Status(ErrorCode::kValidation, "a digest lacks a member or has a mistyped one");
  }
  if (doc.HasMember("prunedThroughSequence") &&
      (!u64("prunedThroughSequence", &d.pruned_through) || d.pruned_through == 0 ||
       !str("prunedThroughHash", &d.pruned_hash))) {
    return Status(ErrorCode::kValidation, "a retention digest has a mistyped member");
  }
  return d;
}

std::string HexToBytes(std::string_view hex) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return "";
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

bool ValidNodeName(std::string_view node) {
  if (node.empty() || node.size() > 64) return false;
  for (char c : node) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string RecordFileName(std::string_view node, uint32_t number) {
  char num[16];
  std::snprintf(num, sizeof(num), "%06u", number);
  return std::string(node) + "." + num + ".jsonl";
}

std::string DigestFileName(std::string_view node) {
  return std::string(node) + ".digests.jsonl";
}

std::optional<RecordFileId> ParseRecordFileName(std::string_view name) {
  constexpr std::string_view kExt = ".jsonl";
  if (name.size() <= kExt.size() || name.substr(name.size() - kExt.size()) != kExt) {
    return std::nullopt;
  }
  std::string_view stem = name.substr(0, name.size() - kExt.size());
  auto dot = stem.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view node = stem.substr(0, dot), num = stem.substr(dot + 1);
  if (!ValidNodeName(node) || num.size() != 6) return std::nullopt;
  uint32_t n = 0;
  for (char c : num) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  if (n == 0) return std::nullopt;
  return RecordFileId{std::string(node), n};
}

}  // namespace arcana::audit
