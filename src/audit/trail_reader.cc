#include "audit/trail_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
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

Status ForEachLineFrom(const std::string& path, uint64_t offset,
                       const std::function<bool(std::string_view)>& fn) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(ErrorCode::kInternalFailure, "cannot read " + path + ": " + std::strerror(errno));
  }
  constexpr size_t kReadChunk = size_t{1} << 20;
  std::string carry;  // the start of a line whose newline is in a later chunk
  std::string chunk(kReadChunk, '\0');
  uint64_t at = offset;
  Status st = Status::Ok();
  while (true) {
    const ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      st = Status(ErrorCode::kInternalFailure, "cannot read " + path + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    at += static_cast<uint64_t>(n);
    carry.append(chunk.data(), static_cast<size_t>(n));
    size_t start = 0;
    bool go_on = true;
    for (size_t nl; go_on && (nl = carry.find('\n', start)) != std::string::npos; start = nl + 1) {
      go_on = fn(std::string_view(carry).substr(start, nl - start));
    }
    if (!go_on) break;
    carry.erase(0, start);
  }
  ::close(fd);
  return st;
}

Status ForEachLine(const std::vector<std::string>& paths, const LineFn& fn) {
  for (const auto& path : paths) {
    size_t n = 0;
    bool go_on = true;
    ARCANA_RETURN_IF_ERROR(ForEachLineFrom(path, 0, [&](std::string_view line) {
      go_on = fn(line, path, ++n);
      return go_on;
    }));
    if (!go_on) return Status::Ok();
  }
  return Status::Ok();
}

uint64_t SequenceOf(std::string_view line) {
  auto link = ParseChainLink(line);
  return link ? link->sequence : 0;
}

}  // namespace arcana::audit
