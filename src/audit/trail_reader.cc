#include "audit/trail_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "audit/chain.h"
#include "common/json.h"

namespace arcana::audit {

Result<std::vector<NodeFiles>> ListNodes(const std::string& dir) {
  std::map<std::string, NodeFiles> nodes;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return std::vector<NodeFiles>{};
  std::vector<std::pair<RecordFileId, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (auto id = ParseRecordFileName(name)) {
      files.emplace_back(*id, entry.path().string());
      continue;
    }
    constexpr std::string_view kDigests = ".digests.jsonl";
    if (name.size() > kDigests.size() &&
        name.compare(name.size() - kDigests.size(), kDigests.size(), kDigests) == 0) {
      std::string node = name.substr(0, name.size() - kDigests.size());
      if (ValidNodeName(node)) {
        nodes[node].node = node;
        nodes[node].digest_file = entry.path().string();
      }
    }
  }
  if (ec) return Status(ErrorCode::kInternalFailure, "cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return a.first.node != b.first.node ? a.first.node < b.first.node
                                        : a.first.number < b.first.number;
  });
  for (auto& [id, path] : files) {
    auto& n = nodes[id.node];
    n.node = id.node;
    n.record_files.push_back(path);
    n.numbers.push_back(id.number);
  }
  std::vector<NodeFiles> out;
  for (auto& [name, n] : nodes) out.push_back(std::move(n));
  return out;
}

Status ForEachLine(const std::vector<std::string>& paths, const LineFn& fn) {
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status(ErrorCode::kInternalFailure, "cannot read " + path);
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (in.eof()) break;  // no newline after it: torn (being written), not a record yet
      if (!fn(line, path, n)) return Status::Ok();
    }
  }
  return Status::Ok();
}

uint64_t SequenceOf(std::string_view line) {
  auto link = ParseChainLink(line);
  return link ? link->sequence : 0;
}

}  // namespace arcana::audit
