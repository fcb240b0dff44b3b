#include "scan/tree_scan.h"

#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "scan/gitignore.h"

namespace arcana::scan {

namespace fs = std::filesystem;

namespace {

constexpr size_t kKeepBuffer = size_t{16} << 20;  // a worker's read buffer kept between files
constexpr size_t kBinaryProbe = 8192;
constexpr size_t kQueueCap = 4096;
constexpr size_t kStdinChunk = size_t{1} << 20;
// What a stdin fragment repeats of the one before: more than a multi-line match reaches back
// (the engine's kMultiLineBack, 16 KiB; a 4096-bit PEM key is about 3.3 KiB).
constexpr size_t kStdinOverlap = size_t{64} << 10;

struct Job {
  std::string open_path;
  std::string display;
  bool named = false;  // given as an argument: followed even when it is a link
};

// A bounded multi-consumer queue; Close() wakes everyone once the producer is done.
class JobQueue {
 public:
  void Push(Job j) {
    std::unique_lock lk(mu_);
    not_full_.wait(lk, [&] { return q_.size() < kQueueCap; });
    q_.push_back(std::move(j));
    not_empty_.notify_one();
  }
  std::optional<Job> Pop() {
    std::unique_lock lk(mu_);
    not_empty_.wait(lk, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    Job j = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return j;
  }
  void Close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Job> q_;
  bool closed_ = false;
};

// An ignore file's text, or nullopt when it is larger than kMaxIgnoreFileBytes (or unreadable).
std::optional<std::string> ReadIgnoreFile(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) <= kMaxIgnoreFileBytes) {
    std::string text;
    ReadUpTo(fd, static_cast<size_t>(st.st_size), &text);
    out = std::move(text);
  }
  ::close(fd);
  return out;
}

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty() || a == ".") return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

// The files git's index tracks below a walked root, and the directories holding them: ignore
// rules apply to untracked files only, so a file added with `git add -f` past a .gitignore is
// scanned (it is in every clone). Paths are relative to the repository's work tree; `prefix`
// is the walked root's path in it ("" for the work tree itself, "sub/dir/" below it), and
// `common_dir` the repository's common directory (info/exclude), "" outside a repository.
struct TrackedPaths {
  std::set<std::string> files, dirs;
  std::string prefix, common_dir;
  bool in_repo = false;
};

TrackedPaths IndexedBelow(const std::string& root) {
  TrackedPaths out;
  git_libgit2_init();
  git_repository* repo = nullptr;
  git_index* index = nullptr;
  if (git_repository_open_ext(&repo, root.c_str(), 0, nullptr) == 0 &&
      git_repository_workdir(repo) != nullptr && git_repository_index(&index, repo) == 0) {
    std::error_code ec1, ec2;
    fs::path rel = fs::relative(fs::canonical(root, ec1), fs::canonical(git_repository_workdir(repo), ec2), ec1);
    std::string prefix = rel.empty() || rel == "." ? "" : rel.string() + "/";
    if (!ec1 && !ec2 && prefix.rfind("..", 0) != 0) {
      out.in_repo = true;
      out.prefix = prefix;
      out.common_dir = git_repository_commondir(repo);
      for (size_t i = 0, n = git_index_entrycount(index); i < n; ++i) {
        const git_index_entry* e = git_index_get_byindex(index, i);
        if (e == nullptr || e->path == nullptr) continue;
        std::string_view path(e->path);
        if (path.substr(0, prefix.size()) != prefix) continue;
        std::string p(path);
        for (size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
          out.dirs.insert(p.substr(0, slash));
        }
        out.files.insert(std::move(p));
      }
    }
  }
  if (index != nullptr) git_index_free(index);
  if (repo != nullptr) git_repository_free(repo);
  git_libgit2_shutdown();
  return out;
}

class Walker {
 public:
  Walker(const TreeScanOptions& opts, JobQueue& q, ScanProgress* progress)
      : opts_(opts), q_(q), progress_(progress) {}

  // Walks dir (openable path), reporting files as display/rel.
  void Walk(const std::string& root_open, const std::string& root_display) {
    std::vector<std::unique_ptr<IgnoreRules>> owned;
    std::vector<const IgnoreRules*> stack;
    tracked_ = {};
    std::string root_rel;  // the root's path in the work tree: what ignore rules match
    if (opts_.use_gitignore) {
      tracked_ = IndexedBelow(root_open);
      auto push = [&](const fs::path& file, const std::string& base) {
        std::error_code ec;
        auto st = fs::symlink_status(file, ec);
        if (ec || !fs::is_regular_file(st)) return;
        if (auto text = ReadIgnoreFile(file)) {
          owned.push_back(std::make_unique<IgnoreRules>(IgnoreRules::Parse(*text, base)));
          stack.push_back(owned.back().get());
        } else {
          progress_->ignore_files_unread++;
        }
      };
      if (tracked_.in_repo) {
        // A subdirectory of a work tree is judged as git judges it: by the repository's
        // info/exclude and the .gitignore files of the directories above it too (a scan of
        // `repo/sub` read only sub's own, and reported files git ignores).
        push(fs::path(tracked_.common_dir) / "info" / "exclude", "");
        root_rel = tracked_.prefix.empty() ? "" : tracked_.prefix.substr(0, tracked_.prefix.size() - 1);
        fs::path up = fs::path(root_open);
        std::vector<std::pair<fs::path, std::string>> above;  // (dir, its path in the tree)
        std::string rel = root_rel;
        while (!rel.empty()) {
          size_t slash = rel.rfind('/');
          rel = slash == std::string::npos ? "" : rel.substr(0, slash);
          up /= "..";
          above.emplace_back(up, rel);
        }
        for (auto it = above.rbegin(); it != above.rend(); ++it) push(it->first / ".gitignore", it->second);
      } else {
        push(fs::path(root_open) / ".git" / "info" / "exclude", "");
      }
    }
    Recurse(root_open, root_display, root_rel, stack, /*ignored=*/false);
  }

 private:
  // `ignored`: the directory itself is ignored, and entered only for the tracked files in it.
  void Recurse(const std::string& open_dir, const std::string& display_dir,
               const std::string& rel_dir, std::vector<const IgnoreRules*>& stack, bool ignored) {
    std::unique_ptr<IgnoreRules> mine;
    if (opts_.use_gitignore && !ignored) {
      fs::path gi = fs::path(open_dir) / ".gitignore";
      std::error_code ec;
      auto st = fs::symlink_status(gi, ec);
      if (!ec && fs::is_regular_file(st)) {
        if (auto text = ReadIgnoreFile(gi)) {
          mine = std::make_unique<IgnoreRules>(IgnoreRules::Parse(*text, rel_dir));
          stack.push_back(mine.get());
        } else {
          progress_->ignore_files_unread++;
        }
      }
    }
    std::error_code ec;
    std::vector<std::pair<std::string, bool>> entries;  // name, is_dir
    // A directory that cannot be listed (permission denied, a path past PATH_MAX) or whose
    // listing fails part way is counted as not scanned: it was skipped silently ("no secrets
    // found" for files never read).
    for (fs::directory_iterator it(open_dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code sec;
      auto st = it->symlink_status(sec);
      std::string name = it->path().filename().string();
      if (sec || fs::is_symlink(st)) {  // never followed; counted unless ignored
        if (!ignored && (!opts_.use_gitignore || !IsIgnored(stack, Rel(rel_dir, name), false))) {
          progress_->skipped++;
        }
        continue;
      }
      if (fs::is_directory(st)) {
        if (name == ".git") continue;
        entries.emplace_back(std::move(name), true);
      } else if (fs::is_regular_file(st)) {
        entries.emplace_back(std::move(name), false);
      }
    }
    if (ec) progress_->skipped++;
    std::sort(entries.begin(), entries.end());
    for (const auto& [name, is_dir] : entries) {
      std::string rel = Rel(rel_dir, name);
      bool is_ignored = ignored || (opts_.use_gitignore && IsIgnored(stack, rel, is_dir));
      if (is_ignored && (is_dir ? tracked_.dirs : tracked_.files).count(rel) == 0) continue;
      std::string open = open_dir + "/" + name;
      std::string display = Join(display_dir, name);
      if (is_dir) {
        Recurse(open, display, rel, stack, is_ignored);
      } else {
        q_.Push(Job{std::move(open), std::move(display)});
      }
    }
    if (mine) stack.pop_back();
  }

  static std::string Rel(const std::string& rel_dir, const std::string& name) {
    return rel_dir.empty() ? name : rel_dir + "/" + name;
  }

  const TreeScanOptions& opts_;
  JobQueue& q_;
  ScanProgress* progress_;
  TrackedPaths tracked_;
};

// Reads or maps one file and scans it.
void ScanFile(const Engine& engine, Engine::Scratch& scratch, const Job& job,
              const TreeScanOptions& opts, ScanProgress* progress, std::string& buf,
              std::vector<Finding>* out) {
  // O_NONBLOCK: a FIFO put in place after the walk saw a regular file must not block the
  // open (fstat below skips it). A named argument is followed even when it is a link, as a
  // named directory is (it was skipped silently: "no secrets found", exit 0).
  int fd = ::open(job.open_path.c_str(),
                  O_RDONLY | O_CLOEXEC | O_NONBLOCK | (job.named ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    progress->skipped++;
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) > opts.max_file_bytes) {
    ::close(fd);
    progress->skipped++;
    return;
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    progress->files++;
    return;
  }
  // Read, never mapped: a mapped file truncated while it is scanned (a log rotated, a build
  // rewriting its output, a hostile tree) raised SIGBUS on the first page past the new end
  // and killed the whole scan. read(2) just returns less; what was read is scanned.
  bool binary = false;
  size = ReadTextUpTo(fd, size, &buf, &binary);
  ::close(fd);
  if (size == 0) {
    progress->files++;
    return;
  }
  if (binary) {
    progress->skipped++;
  } else {
    Fragment frag;
    frag.data = std::string_view(buf.data(), size);
    frag.path = job.display;
    engine.Scan(scratch, frag, out);
    progress->files++;
    progress->bytes += size;
  }
  // A worker keeps its buffer for the next file; one very large file's is not kept for good.
  if (buf.capacity() > kKeepBuffer) std::string().swap(buf);
}

void ScanStdin(const Engine& engine, Engine::Scratch& scratch, ScanProgress* progress,
               std::vector<Finding>* out) {
  // Each fragment starts with the last kStdinOverlap bytes (from a line start) of the one
  // before: a match crossing a chunk's end (a PEM key's BEGIN in one chunk, its END in the
  // next) was in neither, so `scan -` missed what scanning the same bytes as a file found.
  // A finding ending inside the overlap was the previous fragment's (the same bytes): dropped.
  std::string carry;    // [0, overlap): scanned already; then bytes not scanned yet
  size_t overlap = 0;
  std::vector<char> chunk(kStdinChunk);
  size_t line_base = 0;  // the line number of carry[0], 0-based
  std::vector<Finding> found;
  for (;;) {
    std::cin.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    size_t n = static_cast<size_t>(std::cin.gcount());
    bool eof = n == 0;
    carry.append(chunk.data(), n);
    size_t cut = eof ? carry.size() : carry.rfind('\n');
    if (cut == std::string::npos || (!eof && cut < overlap)) {
      if (carry.size() - overlap < 4 * kStdinChunk) continue;  // a very long line: keep reading
      cut = carry.size();
    } else if (!eof) {
      cut += 1;
    }
    if (cut > overlap) {
      Fragment frag;
      frag.data = std::string_view(carry).substr(0, cut);
      frag.path = "-";
      frag.line_base = line_base;
      found.clear();
      engine.Scan(scratch, frag, &found);
      for (auto& f : found) {
        if (f.offset + f.secret.size() > overlap) out->push_back(std::move(f));
      }
      progress->bytes += cut - overlap;
    }
    if (eof) break;
    // The next overlap: from the first line start in the last kStdinOverlap bytes (else, one
    // long line, from that many bytes back).
    size_t keep = cut > kStdinOverlap ? cut - kStdinOverlap : 0;
    if (keep > 0) {
      size_t nl = carry.find('\n', keep - 1);
      if (nl != std::string::npos && nl + 1 < cut) keep = nl + 1;
    }
    line_base += static_cast<size_t>(std::count(carry.begin(), carry.begin() + static_cast<long>(keep), '\n'));
    carry.erase(0, keep);
    overlap = cut - keep;
  }
  progress->files++;
}

// Reads fd into (*buf)[got, limit), keeping what is already in [0, got).
size_t ReadFrom(int fd, size_t got, size_t limit, std::string* buf) {
  buf->resize(limit);
  while (got < limit) {
    ssize_t n = ::read(fd, buf->data() + got, limit - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of file (it shrank since fstat) or an error: keep what was read
    got += static_cast<size_t>(n);
  }
  buf->resize(got);
  return got;
}

}  // namespace

size_t ReadUpTo(int fd, size_t limit, std::string* buf) { return ReadFrom(fd, 0, limit, buf); }

size_t ReadTextUpTo(int fd, size_t limit, std::string* buf, bool* binary) {
  // The head alone decides: a binary file of up to the size limit (4 GiB) was read whole
  // before its first 8 KiB were looked at, so each worker held that much memory for nothing.
  size_t head = ReadFrom(fd, 0, std::min(limit, kBinaryProbe), buf);
  *binary = std::memchr(buf->data(), '\0', head) != nullptr;
  if (*binary || head < std::min(limit, kBinaryProbe)) return head;
  return ReadFrom(fd, head, limit, buf);
}

void SortFindings(std::vector<Finding>* f) {
  std::stable_sort(f->begin(), f->end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.file, a.commit, a.line, a.column, a.rule_id) <
           std::tie(b.file, b.commit, b.line, b.column, b.rule_id);
  });
}

Status ScanTree(const Engine& engine, const TreeScanOptions& opts, ScanProgress* progress,
                std::vector<Finding>* out) {
  for (const auto& p : opts.paths) {
    std::error_code ec;
    if (p != "-" && !fs::exists(p, ec)) {
      return Status(ErrorCode::kInvalidParameter, p + ": no such file or directory");
    }
    // A FIFO or device named on the command line held the scan forever in open(2) or
    // read(2) (or was skipped as clean): it is no file to scan.
    if (p != "-" && !fs::is_directory(p, ec) && !fs::is_regular_file(p, ec)) {
      return Status(ErrorCode::kInvalidParameter, p + ": not a regular file or directory");
    }
  }
  unsigned n = opts.threads != 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  JobQueue queue;
  std::vector<std::vector<Finding>> per_thread(n);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < n; ++t) {
    workers.emplace_back([&, t] {
      auto scratch = engine.NewScratch();
      std::string buf;
      while (auto job = queue.Pop()) {
        ScanFile(engine, *scratch, *job, opts, progress, buf, &per_thread[t]);
      }
    });
  }
  std::vector<Finding> from_stdin;
  Walker walker(opts, queue, progress);
  for (const auto& p : opts.paths) {
    if (p == "-") {
      auto scratch = engine.NewScratch();
      ScanStdin(engine, *scratch, progress, &from_stdin);
      continue;
    }
    std::error_code ec;
    // An explicit argument is followed even when it is a link: it is the tree's root.
    if (fs::is_directory(p, ec)) {
      walker.Walk(p, p == "." ? "" : p);
    } else {
      queue.Push(Job{p, p, true});
    }
  }
  queue.Close();
  for (auto& w : workers) w.join();
  for (auto& v : per_thread) {
    for (auto& f : v) out->push_back(std::move(f));
  }
  for (auto& f : from_stdin) out->push_back(std::move(f));
  SortFindings(out);
  return Status();
}

}  // namespace arcana::scan
