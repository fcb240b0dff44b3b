#include "scan/git_history.h"

#include <git2.h>

#include <algorithm>
#include <charconv>
#include <atomic>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <unordered_set>

#include "common/civil_time.h"

namespace arcana::scan {

namespace {

std::string GitError(const std::string& what) {
  const git_error* e = git_error_last();
  return what + ": " + (e != nullptr && e->message != nullptr ? e->message : "libgit2 error");
}

// RAII for the library and its objects.
struct LibGit {
  LibGit() { git_libgit2_init(); }
  ~LibGit() { git_libgit2_shutdown(); }
};
template <class T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  ~Owned() {
    if (p != nullptr) Free(p);
  }
};
using Repo = Owned<git_repository, git_repository_free>;
using Commit = Owned<git_commit, git_commit_free>;
using Tree = Owned<git_tree, git_tree_free>;
using Diff = Owned<git_diff, git_diff_free>;
using Object = Owned<git_object, git_object_free>;

// Commits are scanned on several threads at once: std::gmtime's shared buffer handed one
// commit's date to another's finding, and its null (a commit time past what struct tm holds,
// from a hostile repository) crashed strftime. FormatUtc is gmtime_r.
std::string IsoTime(git_time_t t) { return FormatUtc(t, "%Y-%m-%dT%H:%M:%SZ"); }

// Collects one commit's added lines file by file and scans each file's lines.
struct DiffCollector {
  const Engine* engine;
  Engine::Scratch* scratch;
  const GitScanOptions* opts;
  ScanProgress* progress;
  std::vector<Finding>* out;
  Fragment frag;
  std::string buf;
  bool skip = false;

  void Flush() {
    if (!buf.empty() && !skip) {
      frag.data = buf;
      engine->Scan(*scratch, frag, out);
      progress->bytes += buf.size();
    }
    buf.clear();
    frag.line_numbers.clear();
  }
};

int OnFile(const git_diff_delta* delta, float, void* payload) {
  auto* c = static_cast<DiffCollector*>(payload);
  c->Flush();
  c->frag.path = delta->new_file.path != nullptr ? delta->new_file.path : "";
  c->skip = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0 ||
            delta->new_file.size > c->opts->max_file_bytes || delta->status == GIT_DELTA_DELETED;
  return 0;
}

int OnLine(const git_diff_delta*, const git_diff_hunk*, const git_diff_line* line, void* payload) {
  auto* c = static_cast<DiffCollector*>(payload);
  if (c->skip || line->origin != GIT_DIFF_LINE_ADDITION) return 0;
  if (c->buf.size() + line->content_len > c->opts->max_file_bytes) {
    c->skip = true;
    return 0;
  }
  c->buf.append(line->content, line->content_len);
  if (c->buf.empty() || c->buf.back() != '\n') c->buf.push_back('\n');
  c->frag.line_numbers.push_back(static_cast<uint32_t>(std::max(0, line->new_lineno)));
  return 0;
}

// A merge commit's lines added against one parent, per file (new line number -> text).
struct AddedLines {
  const GitScanOptions* opts;
  std::map<std::string, std::map<uint32_t, std::string>> files;
  std::map<std::string, size_t> bytes;
  std::string path;
  bool skip = true;
};

int OnMergeFile(const git_diff_delta* delta, float, void* payload) {
  auto* a = static_cast<AddedLines*>(payload);
  a->path = delta->new_file.path != nullptr ? delta->new_file.path : "";
  a->skip = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0 ||
            delta->new_file.size > a->opts->max_file_bytes || delta->status == GIT_DELTA_DELETED;
  return 0;
}

int OnMergeLine(const git_diff_delta*, const git_diff_hunk*, const git_diff_line* line,
                void* payload) {
  auto* a = static_cast<AddedLines*>(payload);
  if (a->skip || line->origin != GIT_DIFF_LINE_ADDITION || line->new_lineno <= 0) return 0;
  size_t& total = a->bytes[a->path];
  total += line->content_len;
  if (total > a->opts->max_file_bytes) {  // as DiffCollector: a file past the limit is skipped
    a->files.erase(a->path);
    a->skip = true;
    return 0;
  }
  a->files[a->path][static_cast<uint32_t>(line->new_lineno)] = std::string(line->content, line->content_len);
  return 0;
}

// The commits a shallow clone lists as its boundary (.git/shallow): their parents are not in
// the repository.
std::set<std::string> ShallowBoundary(git_repository* repo) {
  std::set<std::string> out;
  std::ifstream in(std::string(git_repository_commondir(repo)) + "shallow");
  std::string line;
  git_oid oid;
  while (std::getline(in, line)) {
    if (line.size() >= GIT_OID_HEXSZ && git_oid_fromstrn(&oid, line.data(), GIT_OID_HEXSZ) == 0) {
      out.emplace(reinterpret_cast<const char*>(oid.id), GIT_OID_RAWSZ);
    }
  }
  return out;
}

std::string RawId(const git_oid& oid) {
  return std::string(reinterpret_cast<const char*>(oid.id), GIT_OID_RAWSZ);
}

// A commit to scan; a boundary one is diffed against the empty tree (its whole tree is new as
// far as the clone knows, as gitleaks reports it).
struct ToScan {
  git_oid oid;
  bool boundary = false;
};

Status ScanCommit(git_repository* repo, const ToScan& item, DiffCollector& c) {
  const git_oid& oid = item.oid;
  Commit commit;
  if (git_commit_lookup(&commit.p, repo, &oid) != 0) {
    return Status(ErrorCode::kInternalFailure, GitError("commit lookup"));
  }
  Tree tree, parent_tree;
  if (git_commit_tree(&tree.p, commit.p) != 0) {
    return Status(ErrorCode::kInternalFailure, GitError("commit tree"));
  }
  git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
  dopts.context_lines = 0;
  dopts.interhunk_lines = 0;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof(hex), &oid);
  const git_signature* author = git_commit_author(commit.p);
  c.frag.commit = hex;
  c.frag.author = author != nullptr && author->name != nullptr ? author->name : "";
  c.frag.email = author != nullptr && author->email != nullptr ? author->email : "";
  c.frag.date = IsoTime(author != nullptr ? author->when.time : git_commit_time(commit.p));
  const unsigned parents = git_commit_parentcount(commit.p);
  if (!item.boundary && parents > 1) {
    // A merge: the lines it adds that no parent had (a conflict's resolution, an "evil merge"),
    // which is what `git diff --cc` shows: lines added against every parent. A line added
    // against some parents only came from another, scanned in its own commit. Merges were
    // skipped, so a secret first written in a conflict resolution was never reported.
    std::optional<AddedLines> common;
    for (unsigned k = 0; k < parents; ++k) {
      Commit parent;
      Tree ptree;
      if (git_commit_parent(&parent.p, commit.p, k) != 0 ||
          git_commit_tree(&ptree.p, parent.p) != 0) {
        return Status(ErrorCode::kInternalFailure, GitError("parent tree"));
      }
      Diff diff;
      if (git_diff_tree_to_tree(&diff.p, repo, ptree.p, tree.p, &dopts) != 0) {
        return Status(ErrorCode::kInternalFailure, GitError("diff"));
      }
      AddedLines added{c.opts, {}, {}, {}, true};
      if (git_diff_foreach(diff.p, OnMergeFile, nullptr, nullptr, OnMergeLine, &added) != 0) {
        return Status(ErrorCode::kInternalFailure, GitError("diff walk"));
      }
      if (!common) {
        common = std::move(added);
        continue;
      }
      for (auto it = common->files.begin(); it != common->files.end();) {
        auto other = added.files.find(it->first);
        if (other == added.files.end()) {
          it = common->files.erase(it);
          continue;
        }
        std::erase_if(it->second, [&](const auto& line) { return other->second.count(line.first) == 0; });
        it = it->second.empty() ? common->files.erase(it) : std::next(it);
      }
    }
    for (auto& [path, lines] : common->files) {
      c.Flush();
      c.frag.path = path;
      c.skip = false;
      for (const auto& [number, text] : lines) {
        c.buf += text;
        if (c.buf.empty() || c.buf.back() != '\n') c.buf.push_back('\n');
        c.frag.line_numbers.push_back(number);
      }
    }
    c.Flush();
    c.skip = true;
    c.progress->commits++;
    return Status();
  }
  if (!item.boundary && parents > 0) {
    Commit parent;
    if (git_commit_parent(&parent.p, commit.p, 0) != 0 ||
        git_commit_tree(&parent_tree.p, parent.p) != 0) {
      return Status(ErrorCode::kInternalFailure, GitError("parent tree"));
    }
  }
  Diff diff;
  if (git_diff_tree_to_tree(&diff.p, repo, parent_tree.p, tree.p, &dopts) != 0) {
    return Status(ErrorCode::kInternalFailure, GitError("diff"));
  }
  c.skip = true;
  if (git_diff_foreach(diff.p, OnFile, nullptr, nullptr, OnLine, &c) != 0) {
    return Status(ErrorCode::kInternalFailure, GitError("diff walk"));
  }
  c.Flush();
  c.progress->commits++;
  return Status();
}

}  // namespace

std::optional<int64_t> ParseSince(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit) && text.size() != 8) {
    // Epoch seconds; a number past int64 is no date (std::stoll threw out of the CLI: abort).
    int64_t secs = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return secs;
  }
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || !(*end == '\0' || (end[0] == 'Z' && end[1] == '\0'))) {
    tm = std::tm{};
    end = strptime(text.c_str(), "%Y-%m-%d", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm));
}

Status ScanGitHistory(const Engine& engine, const GitScanOptions& opts, ScanProgress* progress,
                      std::vector<Finding>* out) {
  LibGit lib;
  Repo repo;
  if (git_repository_open_ext(&repo.p, opts.repo.c_str(), 0, nullptr) != 0) {
    return Status(ErrorCode::kInvalidParameter, GitError(opts.repo + " is not a git repository"));
  }
  git_oid start;
  if (opts.branch.empty()) {
    if (git_reference_name_to_id(&start, repo.p, "HEAD") != 0) {
      // An empty repository has no history to scan.
      if (git_repository_is_empty(repo.p) == 1) return Status();
      return Status(ErrorCode::kInternalFailure, GitError("HEAD"));
    }
  } else {
    Object obj;
    if (git_revparse_single(&obj.p, repo.p, opts.branch.c_str()) != 0) {
      return Status(ErrorCode::kInvalidParameter, GitError("unknown revision " + opts.branch));
    }
    Object peeled;
    if (git_object_peel(&peeled.p, obj.p, GIT_OBJECT_COMMIT) != 0) {
      return Status(ErrorCode::kInvalidParameter, GitError(opts.branch + " is not a commit"));
    }
    git_oid_cpy(&start, git_object_id(peeled.p));
  }
  // Every commit reachable from start. Walked by hand, not with git_revwalk: libgit2 1.5's
  // walk fails at a shallow clone's boundary (the parent it loads is not there), and that
  // error, taken for the walk's end, reported history never read as clean. Here the walk
  // stops at the boundary commits the clone lists, and any other missing commit is an error.
  const std::set<std::string> boundary = ShallowBoundary(repo.p);
  std::vector<ToScan> oids;
  std::unordered_set<std::string> seen;
  std::vector<git_oid> stack = {start};
  while (!stack.empty()) {
    git_oid oid = stack.back();
    stack.pop_back();
    if (!seen.insert(RawId(oid)).second) continue;
    Commit c;
    if (git_commit_lookup(&c.p, repo.p, &oid) != 0) {
      char hex[GIT_OID_HEXSZ + 1];
      git_oid_tostr(hex, sizeof(hex), &oid);
      return Status(ErrorCode::kInternalFailure, GitError(std::string("commit ") + hex));
    }
    const bool at_boundary = boundary.count(RawId(oid)) != 0;
    const unsigned parents = git_commit_parentcount(c.p);
    if (!at_boundary) {
      for (unsigned k = 0; k < parents; ++k) stack.push_back(*git_commit_parent_id(c.p, k));
    }
    if (opts.since != 0 && git_commit_time(c.p) < opts.since) continue;
    oids.push_back({oid, at_boundary && parents > 0});
    if (at_boundary && parents > 0) progress->shallow++;
  }
  unsigned n = opts.threads != 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  n = std::max(1u, std::min<unsigned>(n, static_cast<unsigned>(oids.size())));
  std::atomic<size_t> next{0};
  std::vector<std::vector<Finding>> per_thread(n);
  std::vector<Status> errors(n);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < n; ++t) {
    workers.emplace_back([&, t] {
      Repo r;
      if (git_repository_open_ext(&r.p, opts.repo.c_str(), 0, nullptr) != 0) {
        errors[t] = Status(ErrorCode::kInternalFailure, GitError("open"));
        return;
      }
      auto scratch = engine.NewScratch();
      DiffCollector c{&engine, scratch.get(), &opts, progress, &per_thread[t], {}, {}, true};
      for (size_t i = next++; i < oids.size(); i = next++) {
        Status st = ScanCommit(r.p, oids[i], c);
        if (!st.ok()) {
          errors[t] = st;
          return;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  for (const auto& st : errors) {
    if (!st.ok()) return st;
  }
  for (auto& v : per_thread) {
    for (auto& f : v) out->push_back(std::move(f));
  }
  SortFindings(out);
  return Status();
}

}  // namespace arcana::scan
