#include "scan/tree_scan.h"

#include <fcntl.h>
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
#include <thread>

#include "scan/gitignore.h"

namespace arcana::scan {

namespace fs = std::filesystem;

namespace {

constexpr size_t kKeepBuffer = size_t{16} << 20;  // a worker's read buffer kept between files
constexpr size_t kBinaryProbe = 8192;
constexpr size_t kQueueCap = 4096;
constexpr size_t kStdinChunk = size_t{1} << 20;

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

std::string ReadSmallFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return s;
}

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty() || a == ".") return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

class Walker {
 public:
  Walker(const TreeScanOptions& opts, JobQueue& q) : opts_(opts), q_(q) {}

  // Walks dir (openable path), reporting files as display/rel.
  void Walk(const std::string& root_open, const std::string& root_display) {
    std::vector<std::unique_ptr<IgnoreRules>> owned;
    std::vector<const IgnoreRules*> stack;
    if (opts_.use_gitignore) {
      fs::path exclude = fs::path(root_open) / ".git" / "info" / "exclude";
      std::error_code ec;
      if (fs::is_regular_file(exclude, ec)) {
        owned.push_back(std::make_unique<IgnoreRules>(IgnoreRules::Parse(ReadSmallFile(exclude), "")));
        stack.push_back(owned.back().get());
      }
    }
    Recurse(root_open, root_display, "", stack);
  }

 private:
  void Recurse(const std::string& open_dir, const std::string& display_dir,
               const std::string& rel_dir, std::vector<const IgnoreRules*>& stack) {
    std::unique_ptr<IgnoreRules> mine;
    if (opts_.use_gitignore) {
      fs::path gi = fs::path(open_dir) / ".gitignore";
      std::error_code ec;
      auto st = fs::symlink_status(gi, ec);
      if (!ec && fs::is_regular_file(st)) {
        mine = std::make_unique<IgnoreRules>(IgnoreRules::Parse(ReadSmallFile(gi), rel_dir));
        stack.push_back(mine.get());
      }
    }
    std::error_code ec;
    std::vector<std::pair<std::string, bool>> entries;  // name, is_dir
    for (fs::directory_iterator it(open_dir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      std::error_code sec;
      auto st = it->symlink_status(sec);
      if (sec || fs::is_symlink(st)) continue;  // never follow a link
      std::string name = it->path().filename().string();
      if (fs::is_directory(st)) {
        if (name == ".git") continue;
        entries.emplace_back(std::move(name), true);
      } else if (fs::is_regular_file(st)) {
        entries.emplace_back(std::move(name), false);
      }
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& [name, is_dir] : entries) {
      std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      if (opts_.use_gitignore && IsIgnored(stack, rel, is_dir)) continue;
      std::string open = open_dir + "/" + name;
      std::string display = Join(display_dir, name);
      if (is_dir) {
        Recurse(open, display, rel, stack);
      } else {
        q_.Push(Job{std::move(open), std::move(display)});
      }
    }
    if (mine) stack.pop_back();
  }

  const TreeScanOptions& opts_;
  JobQueue& q_;
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
  std::string carry;
  std::vector<char> chunk(kStdinChunk);
  size_t line_base = 0;
  for (;;) {
    std::cin.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    size_t n = static_cast<size_t>(std::cin.gcount());
    bool eof = n == 0;
    carry.append(chunk.data(), n);
    size_t cut = eof ? carry.size() : carry.rfind('\n');
    if (cut == std::string::npos) {
      if (carry.size() < 4 * kStdinChunk) continue;  // a very long line: keep reading
      cut = carry.size();
    } else if (!eof) {
      cut += 1;
    }
    Fragment frag;
    frag.data = std::string_view(carry).substr(0, cut);
    frag.path = "-";
    frag.line_base = line_base;
    engine.Scan(scratch, frag, out);
    progress->bytes += cut;
    line_base += static_cast<size_t>(std::count(frag.data.begin(), frag.data.end(), '\n'));
    carry.erase(0, cut);
    if (eof) break;
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
  Walker walker(opts, queue);
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
