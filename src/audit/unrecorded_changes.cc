#include "audit/unrecorded_changes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <unordered_set>

#include "audit/change_claims.h"
#include "audit/trail_reader.h"
#include "storage/store_types.h"

namespace arcana::audit {
namespace {

constexpr size_t kBackwardChunk = size_t{256} << 10;

enum class Scan { kStart, kStopped, kLimit };

// Calls fn(line) for each complete line of the files, newest first (a torn last line is
// skipped), until fn returns false (kStopped), max_bytes were read (kLimit) or the first
// line of the first file was given (kStart).
Result<Scan> ForEachLineBackward(const std::vector<std::string>& paths, uint64_t max_bytes,
                                 const std::function<bool(std::string_view)>& fn) {
  uint64_t read = 0;
  for (auto path = paths.rbegin(); path != paths.rend(); ++path) {
    const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // removed by retention meanwhile
      return Status(ErrorCode::kInternalFailure, "cannot read " + *path + ": " + std::strerror(errno));
    }
    struct stat st {};
    ::fstat(fd, &st);
    uint64_t pos = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
    std::string buf;  // the bytes from pos on not given yet: [pos, pos + buf.size())
    bool newest_chunk = true;
    while (pos > 0) {
      if (read >= max_bytes) {
        ::close(fd);
        return Scan::kLimit;
      }
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kBackwardChunk, pos));
      std::string chunk(n, '\0');
      const ssize_t got = ::pread(fd, chunk.data(), n, static_cast<off_t>(pos - n));
      if (got != static_cast<ssize_t>(n)) {
        ::close(fd);
        return Status(ErrorCode::kInternalFailure, "cannot read " + *path);
      }
      pos -= n;
      read += n;
      buf = chunk + buf;
      if (newest_chunk) {  // a line without its newline is torn (or being written): not a record
        const size_t nl = buf.rfind('\n');
        buf.resize(nl == std::string::npos ? 0 : nl + 1);
        newest_chunk = buf.empty();
      }
      // Each line whose start has been read, newest first: buf ends with a line's '\n'.
      while (!buf.empty()) {
        const size_t end = buf.size() - 1;
        const size_t prev = end == 0 ? std::string::npos : buf.rfind('\n', end - 1);
        if (prev == std::string::npos && pos > 0) break;  // its start is in the next chunk
        const size_t start = prev == std::string::npos ? 0 : prev + 1;
        if (!fn(std::string_view(buf).substr(start, end - start))) {
          ::close(fd);
          return Scan::kStopped;
        }
        buf.resize(start);
      }
    }
    ::close(fd);
  }
  return Scan::kStart;
}

// The changes a record line claims (none for a line that claims none or is not a record).
std::vector<int64_t> ClaimsOf(std::string_view line) {
  std::vector<int64_t> out;
  if (line.find("\"changeSequence\"") == std::string_view::npos) return out;  // the common case
  RecordClaims r;
  if (!ParseRecordClaims(line, "", &r)) return out;
  for (const auto& c : r.claims) out.push_back(c.seq);
  return out;
}

}  // namespace

Result<UnrecordedChanges> FindUnrecordedChanges(const std::string& dir, const std::string& node,
                                                storage::ChangeLog& log, int64_t head) {
  UnrecordedChanges out;
  out.head = head;
  ARCANA_ASSIGN_OR_RETURN(const std::vector<NodeFiles> nodes, ListNodes(dir));
  std::unordered_set<int64_t> claimed;
  // The node's own tail: the claims of its newest 2*kWindow claiming records, newest first.
  std::vector<std::vector<int64_t>> window;
  for (const auto& n : nodes) {
    if (n.node != node) continue;
    ARCANA_ASSIGN_OR_RETURN(Scan s, ForEachLineBackward(n.record_files, kUnrecordedMaxScanBytes,
                                                        [&](std::string_view line) {
      std::vector<int64_t> c = ClaimsOf(line);
      if (c.empty()) return true;
      claimed.insert(c.begin(), c.end());
      window.push_back(std::move(c));
      return window.size() < 2 * kUnrecordedWindow;
    }));
    (void)s;
  }
  if (window.empty()) {
    out.no_claims = true;
    out.after = head;
    return out;
  }
  // The older half's highest claim: what was claimed before the window is below it.
  int64_t after = 0;
  for (size_t i = window.size() / 2; i < window.size(); ++i) {
    for (int64_t seq : window[i]) after = std::max(after, seq);
  }
  out.after = after;
  if (after >= head) return out;
  // Other file sets of the dir: their claims above `after`, back to kWindow claiming records
  // that claim nothing above it.
  for (const auto& n : nodes) {
    if (n.node == node) continue;
    size_t below = 0;
    ARCANA_ASSIGN_OR_RETURN(Scan s, ForEachLineBackward(n.record_files, kUnrecordedMaxScanBytes,
                                                        [&](std::string_view line) {
      std::vector<int64_t> c = ClaimsOf(line);
      if (c.empty()) return true;
      bool above = false;
      for (int64_t seq : c) {
        if (seq > after) {
          claimed.insert(seq);
          above = true;
        }
      }
      if (!above) ++below;
      return below < kUnrecordedWindow;
    }));
    (void)s;
  }
  const bool only_own = log.NamesNodes();  // a shared store: other nodes' changes are theirs
  size_t read = 0;
  for (int64_t from = after; from < head;) {
    if (read >= kUnrecordedMaxChanges) {
      out.cut = true;
      break;
    }
    ARCANA_ASSIGN_OR_RETURN(auto page, log.ReadChanges(from, storage::kMaxListLimit));
    if (page.empty()) break;
    read += page.size();
    for (auto& c : page) {
      if (c.seq > head) break;
      if (only_own && c.node != node) continue;
      if (claimed.count(c.seq) == 0) out.changes.push_back(std::move(c));
    }
    from = page.back().seq;
  }
  return out;
}

}  // namespace arcana::audit
