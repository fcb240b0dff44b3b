#include "migrate/migrate_command.h"

#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "crypto/hash.h"
#include "migrate/rewrite.h"
#include "migrate/sm_client.h"
#include "migrate/unified_diff.h"
#include "scan/report.h"
#include "scan/scanner.h"

namespace arcana::migrate {

namespace fs = std::filesystem;

namespace {

constexpr const char* kExposedTag = "arcana:exposed";

int Fail(const std::string& msg) {
  std::cerr << "arcana migrate: " << msg << "\n";
  return 2;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return true;
}

// Replaces path atomically, keeping its mode. The temporary file is a fresh one (mkstemp:
// O_EXCL, mode 0600 until the original's mode is copied): a fixed name such as
// "PATH.arcana-migrate.tmp" was opened following links, so a repository shipping a symlink of
// that name made --apply overwrite the file it points to (anywhere the user can write) and
// leave PATH a link to it; and the file, which may still hold secrets not migrated, was
// world-readable while being written.
bool WriteFileAtomic(const std::string& path, const std::string& text) {
  struct stat st {};
  bool have_mode = ::stat(path.c_str(), &st) == 0;
  std::string tmp = path + ".arcana-migrate.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return false;
  bool ok = true;
  if (have_mode) ok = ::fchmod(fd, st.st_mode & 07777) == 0;
  for (size_t done = 0; ok && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) ::unlink(tmp.c_str());
  return ok;
}

// Values (as SHA-256) of every secret the repository's history holds; empty when root is not
// in a git repository.
std::set<std::string> HistoryValues(const scan::ScanRequest& base, const std::string& root) {
  std::set<std::string> out;
  git_libgit2_init();
  git_repository* repo = nullptr;
  bool is_repo = git_repository_open_ext(&repo, root.c_str(), 0, nullptr) == 0;
  if (repo != nullptr) git_repository_free(repo);
  git_libgit2_shutdown();
  if (!is_repo) return out;
  scan::ScanRequest req = base;
  req.git = true;
  req.tree.paths = {root};
  req.baseline_file.clear();
  scan::ScanProgress progress;
  auto run = scan::RunScan(req, &progress);
  if (!run.ok()) return out;
  for (const auto& f : run->findings) out.insert(crypto::Sha256Hex(f.secret));
  return out;
}

std::string RelativeTo(const std::string& file, const std::string& root) {
  std::error_code ec;
  fs::path rel = fs::relative(fs::absolute(file, ec), fs::absolute(root, ec), ec);
  std::string s = ec || rel.empty() ? file : rel.string();
  while (s.rfind("./", 0) == 0) s = s.substr(2);
  return s;
}

bool Ask(const std::string& question) {
  std::cerr << scan::Printable(question) << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

}  // namespace

MigrateCommand::MigrateCommand(CLI::App& app) {
  cmd_ = app.add_subcommand(
      "migrate", "move hard-coded secrets into Arcana and replace them with references "
                 "(dry run unless --apply)");
  cmd_->add_option("paths", paths_, "files or directories to migrate (default .)");
  cmd_->add_flag("--apply", apply_, "store the secrets and rewrite the files");
  cmd_->add_flag("--yes,-y", yes_, "migrate every finding without asking");
  cmd_->add_option("--report", report_, "only the findings of this `arcana scan --format json` "
                                        "report");
  cmd_->add_option("--select", select_, "a JSON report listing the findings to migrate "
                                        "(edit a scan report down to what you keep)");
  cmd_->add_option("--rules", rules_, "a gitleaks-format TOML rule file");
  cmd_->add_flag("--no-gitignore", no_gitignore_, "scan files .gitignore excludes too");
  cmd_->add_option("--name-template", name_template_,
                   "secret names from {repo}, {path}, {key}, {rule}")->capture_default_str();
  cmd_->add_option("--repo", repo_, "the {repo} of names (default: the directory's name)");
  cmd_->add_option("--endpoint-url", endpoint_url_,
                   "Arcana's endpoint (default AWS_ENDPOINT_URL_SECRETS_MANAGER, "
                   "AWS_ENDPOINT_URL, else http://127.0.0.1:7770)");
  cmd_->add_option("--region", region_, "region (default AWS_REGION, AWS_DEFAULT_REGION, "
                                        "us-east-1)");
}

std::optional<int> MigrateCommand::Run() {
  if (!cmd_->parsed()) return std::nullopt;
  if (paths_.empty()) paths_ = {"."};
  const std::string root = fs::is_directory(paths_.front()) ? paths_.front()
                                                            : fs::path(paths_.front()).parent_path().string();
  std::string repo = repo_;
  if (repo.empty()) {
    std::error_code ec;
    repo = fs::weakly_canonical(fs::absolute(root.empty() ? "." : root), ec).filename().string();
  }

  scan::ScanRequest req;
  req.tree.paths = paths_;
  req.tree.use_gitignore = !no_gitignore_;
  req.rules_file = rules_;
  scan::ScanProgress progress;
  auto run = scan::RunScan(req, &progress);
  if (!run.ok()) return Fail(run.status().message());
  std::vector<scan::Finding>& findings = run->findings;
  // Every value the scan found, per file, whether migrated or not: the printed diff's context
  // lines are redacted of all of them (a finding left out by --select / --report or declined
  // at the prompt was printed in plaintext when it sat next to a migrated one).
  std::map<std::string, std::vector<std::string>> found_values;
  // Where each value sits, per file (sorted): a key overlapping one is never used in a name.
  std::map<std::string, std::vector<std::pair<size_t, size_t>>> found_spans;
  for (const auto& f : findings) {
    if (f.secret.empty()) continue;
    found_values[f.file].push_back(f.secret);
    found_spans[f.file].emplace_back(f.offset, f.offset + f.secret.size());
  }
  for (auto& [file, spans] : found_spans) {
    // Sorted by start, each end raised to the largest end so far: whether any value overlaps
    // [b, e) is one binary search (spans ending before b are behind the first reaching it).
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) {
      spans[i].second = std::max(spans[i].second, spans[i - 1].second);
    }
  }

  for (const std::string* sel : {&report_, &select_}) {
    if (sel->empty()) continue;
    auto keep = scan::LoadBaseline(*sel);
    if (!keep.ok()) return Fail(keep.status().message());
    std::erase_if(findings, [&](const scan::Finding& f) { return keep->count(f.Fingerprint()) == 0; });
  }
  const bool interactive = apply_ && !yes_ && select_.empty() && report_.empty() &&
                           ::isatty(STDIN_FILENO) == 1;
  if (apply_ && !yes_ && select_.empty() && report_.empty() && !interactive) {
    return Fail("--apply needs --yes, --select FILE or --report FILE when not on a terminal");
  }
  if (interactive) {
    std::erase_if(findings, [](const scan::Finding& f) {
      return !Ask("migrate " + f.rule_id + " at " + f.file + ":" + std::to_string(f.line) + " (" +
                  scan::Redact(f.secret) + ")?");
    });
  }
  if (findings.empty()) {
    std::cout << "nothing to migrate\n";
    return 0;
  }

  std::optional<SecretsManagerClient> client;
  std::string endpoint = endpoint_url_;
  if (apply_) {
    auto c = SecretsManagerClient::Create(endpoint_url_, region_);
    if (!c.ok()) return Fail(c.status().message());
    client.emplace(std::move(*c));
    endpoint = client->endpoint_url();
  } else if (endpoint.empty()) {
    const char* e = std::getenv("AWS_ENDPOINT_URL");
    endpoint = e != nullptr ? e : "http://127.0.0.1:7770";
  }
  const std::set<std::string> exposed = HistoryValues(req, root.empty() ? "." : root);

  // Per file, in report order; names unique per value.
  std::map<std::string, std::vector<const scan::Finding*>> by_file;
  for (const auto& f : findings) by_file[f.file].push_back(&f);
  std::map<std::string, std::string> name_value;  // name -> sha256 of its value
  std::map<std::pair<std::string, std::string>, std::string> numbered;  // (name, sha256) -> variant
  std::map<std::string, size_t> next_number;  // name -> the next variant to try
  // --apply: what Arcana holds under a name (looked up once per name). A name a previous run
  // gave to another value (migrating part of a file, then the rest) was planned again for
  // this run's value and refused as "already exists with a different value": numbering only
  // knew this run's names. Such a name is taken like one of this run's.
  struct Remote {
    bool exists = false;
    std::string hash;   // sha256 of its value, when read
    std::string error;  // the value could not be read (type: message)
  };
  std::map<std::string, Remote> remote;
  std::optional<std::string> remote_failure;  // a network failure: the run stops
  auto lookup = [&](const std::string& name) -> const Remote& {
    auto it = remote.find(name);
    if (it != remote.end()) return it->second;
    Remote r;
    crypto::SecretString current;
    auto got = client->GetSecretString(name, &current);
    if (!got.ok()) {
      remote_failure = got.status().message();
    } else if (!got->has_value()) {
      r.exists = true;
      r.hash = crypto::Sha256Hex(current.view());
    } else if ((*got)->type != "ResourceNotFoundException") {
      r.exists = true;
      r.error = (*got)->type + ": " + (*got)->message;
    }
    return remote.emplace(name, std::move(r)).first->second;
  };

  std::map<std::string, std::string> planned_tf;  // .tf file (canonical) -> its planned text
  size_t stored = 0, unchanged = 0, rewritten = 0, exposed_count = 0, errors = 0;
  for (const auto& [file, fs_in_file] : by_file) {
    std::string content;
    if (!ReadFile(file, &content)) {
      std::cerr << "arcana migrate: cannot read " << scan::Printable(file) << "\n";
      ++errors;
      continue;
    }
    const std::string rel = RelativeTo(file, root.empty() ? "." : root);
    // Every value the scan found in this file, the migrated ones among them: what is printed
    // goes through it.
    const scan::Redactor redact(found_values[file]);
    const auto& spans = found_spans[file];
    std::vector<Replacement> reps;
    struct Naming {
      std::string key, base, hash;
    };
    std::vector<Naming> namings;  // per rep
    for (const auto* f : fs_in_file) {
      if (f->secret.empty() || f->offset + f->secret.size() > content.size() ||
          content.compare(f->offset, f->secret.size(), f->secret) != 0) {
        continue;  // a path-only finding, or the file changed since the scan
      }
      // A secret used as a key (`sk_live_...: billing`) is no name for itself: the name is
      // printed, tagged and listed by anyone allowed to list secrets.
      size_t kb = 0;
      std::string key = AssignmentKey(content, f->offset, &kb);
      auto past = std::lower_bound(spans.begin(), spans.end(),
                                   std::make_pair(kb + key.size(), size_t{0}));
      bool tainted = SecretIsKey(content, f->offset, f->secret.size()) || redact(key) != key ||
                     (!key.empty() && past != spans.begin() && std::prev(past)->second > kb);
      if (key.empty() || tainted) key = f->rule_id;
      const std::string base = SecretName(name_template_, repo, rel, key, f->rule_id);
      const std::string hash = crypto::Sha256Hex(f->secret);
      std::string name = base;
      auto taken = [&](const std::string& n) {
        auto it = name_value.find(n);
        return it != name_value.end() && it->second != hash;
      };
      if (taken(name)) {
        // Another value has this name: the same variant as this value's earlier occurrence,
        // else the next free "-n" (key-n as before, or on the end when the limit cut it off).
        auto& known = numbered[{base, hash}];
        if (known.empty()) {
          size_t& n = next_number.try_emplace(base, 2).first->second;
          for (;; ++n) {
            known = SecretName(name_template_, repo, rel, key + "-" + std::to_string(n), f->rule_id);
            if (taken(known) || known == base) known = NumberedName(base, n);
            if (!taken(known)) break;
          }
          ++n;
        }
        name = known;
      }
      name_value[name] = hash;
      reps.push_back({f, name});
      namings.push_back({key, base, hash});
    }
    if (reps.empty()) continue;
    // Terraform: the module's other .tf files (as this run leaves them), for the data sources
    // it already declares.
    std::string module_text;
    if (fs::path(file).extension() == ".tf") {
      std::error_code ec;
      fs::path dir = fs::path(file).parent_path();
      for (fs::directory_iterator it(dir.empty() ? "." : dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        if (it->path().extension() != ".tf" || !it->is_regular_file(ec)) continue;
        if (fs::equivalent(it->path(), file, ec)) continue;
        auto done = planned_tf.find(fs::weakly_canonical(it->path(), ec).string());
        std::string text;
        if (done != planned_tf.end()) {
          text = done->second;
        } else if (!ReadFile(it->path().string(), &text)) {
          continue;
        }
        module_text += text;
        module_text += '\n';
      }
    }
    FilePlan plan = PlanFile(file, content, reps, endpoint, module_text);
    if (client) {
      // A name Arcana holds with another value (a previous run's) moves on to the next free
      // variant, found the way this run numbers its own: the same names on every run.
      bool renamed = false;
      std::map<const scan::Finding*, size_t> rep_of;
      for (size_t i = 0; i < reps.size(); ++i) rep_of.emplace(reps[i].finding, i);
      for (const auto& item : plan.items) {
        auto found = rep_of.find(item.finding);
        if (found == rep_of.end()) continue;
        auto at = reps.begin() + static_cast<long>(found->second);
        if (at->name != item.name) continue;
        const std::string value_hash = crypto::Sha256Hex(item.value);
        const Remote& held = lookup(item.name);
        if (remote_failure) return Fail(*remote_failure);
        if (!held.exists || !held.error.empty() || held.hash == value_hash) continue;
        const Naming& nm = namings[static_cast<size_t>(at - reps.begin())];
        const std::string& rule = item.finding->rule_id;
        auto taken_here = [&](const std::string& n) {
          auto it = name_value.find(n);
          return it != name_value.end() && it->second != nm.hash;
        };
        std::string variant;
        for (size_t n = 2;; ++n) {
          variant = SecretName(name_template_, repo, rel, nm.key + "-" + std::to_string(n), rule);
          if (variant == nm.base || variant == item.name || taken_here(variant)) {
            variant = NumberedName(nm.base, n);
          }
          if (variant == item.name || taken_here(variant)) continue;
          const Remote& there = lookup(variant);
          if (remote_failure) return Fail(*remote_failure);
          if (!there.exists || (there.error.empty() && there.hash == value_hash)) break;
        }
        name_value[variant] = nm.hash;
        numbered[{nm.base, nm.hash}] = variant;
        for (auto& r : reps) {
          if (r.name == item.name && crypto::Sha256Hex(r.finding->secret) == nm.hash) r.name = variant;
        }
        renamed = true;
      }
      if (renamed) plan = PlanFile(file, content, reps, endpoint, module_text);
    }

    if (plan.kind == FileKind::kTerraform && !apply_) {
      // A dry run writes nothing: the next .tf file of the module is planned against this
      // plan (--apply reads the files as written; one not written keeps its old text).
      std::error_code ec;
      planned_tf[fs::weakly_canonical(file, ec).string()] = plan.new_content;
    }
    // What is printed never holds a value: removed lines are redacted.
    const std::string before = redact(content);
    const std::string after = redact(plan.new_content);
    // The repository's names and lines go to the terminal: no control bytes (scan::Printable).
    std::cout << "# " << scan::Printable(redact(file)) << " (" << KindName(plan.kind) << ")\n";
    for (const auto& item : plan.items) {
      bool is_exposed = exposed.count(crypto::Sha256Hex(item.finding ? item.finding->secret : item.value)) != 0;
      std::cout << "#   " << scan::Printable(redact(item.name)) << " <- "
                << (item.finding ? item.finding->rule_id + " line " + std::to_string(item.finding->line) : "")
                << (is_exposed ? " (in git history: rotate it)" : "") << "\n";
    }
    std::cout << scan::Printable(UnifiedDiff(before, after, redact(rel)), /*keep_layout=*/true);
    for (const std::string& note : plan.notes) {  // a source line shown whole: redacted
      // Multi-line notes (code snippets) keep their lines: not "\x0a".
      std::cout << scan::Printable(redact(note), /*keep_layout=*/true) << "\n";
    }
    if (!apply_) continue;
    // A file named through a symbolic link (scan follows a named link): replacing the link
    // with the rewritten text would leave the secret in the file it points to while saying
    // "rewritten". Refused before anything is stored.
    if (struct stat lst {}; plan.new_content != content && ::lstat(file.c_str(), &lst) == 0 &&
                            S_ISLNK(lst.st_mode)) {
      std::cerr << "arcana migrate: " << scan::Printable(file)
                << " is a symbolic link: migrate the file it points to\n";
      ++errors;
      continue;
    }

    bool file_ok = true;
    for (const auto& item : plan.items) {
      bool is_exposed = exposed.count(crypto::Sha256Hex(item.finding ? item.finding->secret : item.value)) != 0;
      exposed_count += is_exposed ? 1 : 0;
      SecretsManagerClient::Tags tags = {{"arcana:source-file", rel.substr(0, 256)},
                                         {"arcana:rule", item.finding ? item.finding->rule_id : "kubernetes"}};
      if (is_exposed) tags.emplace_back(kExposedTag, "true");
      auto created = client->CreateSecret(item.name, item.value, tags);
      if (!created.ok()) return Fail(created.status().message());
      if (!created->has_value()) {
        ++stored;
        continue;
      }
      if ((*created)->type != "ResourceExistsException") {
        std::cerr << "arcana migrate: " << scan::Printable(redact(item.name)) << ": "
                  << (*created)->type << ": "
                  << (*created)->message << "\n";
        file_ok = false;
        continue;
      }
      // Already there: the same value is fine (a re-run); another value is a conflict.
      crypto::SecretString current;
      auto got = client->GetSecretString(item.name, &current);
      if (!got.ok()) return Fail(got.status().message());
      if (got->has_value()) {
        // Not readable (DecryptionFailure, AccessDenied...): that is what is wrong, not its value.
        std::cerr << "arcana migrate: " << scan::Printable(redact(item.name))
                  << " already exists and its value cannot be read: " << (*got)->type << ": "
                  << scan::Printable((*got)->message) << "\n";
        file_ok = false;
        continue;
      }
      if (current.view() != item.value) {
        std::cerr << "arcana migrate: " << scan::Printable(redact(item.name))
                  << " already exists with a different value; not overwritten (choose another "
                     "--name-template)\n";
        file_ok = false;
        continue;
      }
      ++unchanged;
      if (is_exposed) {
        auto tagged = client->TagResource(item.name, {{kExposedTag, "true"}});
        if (!tagged.ok()) return Fail(tagged.status().message());
      }
    }
    if (!file_ok) {
      ++errors;
      continue;
    }
    if (plan.new_content != content) {
      if (!WriteFileAtomic(file, plan.new_content)) {
        std::cerr << "arcana migrate: cannot write " << scan::Printable(file) << "\n";
        ++errors;
        continue;
      }
      ++rewritten;
    }
  }
  if (apply_) {
    std::cout << stored << " stored, " << unchanged << " already in Arcana, " << rewritten
              << " files rewritten";
    if (exposed_count != 0) {
      std::cout << ", " << exposed_count << " found in git history (tagged " << kExposedTag
                << "=true: rotate them)";
    }
    std::cout << "\n";
  } else {
    std::cout << "dry run: nothing stored or written (--apply to do it)\n";
  }
  // A diff that did not reach its reader (a full disk, a closed pipe) is no dry run.
  std::cout.flush();
  if (!std::cout) return Fail("cannot write to standard output");
  return errors == 0 ? 0 : 2;
}

}  // namespace arcana::migrate
