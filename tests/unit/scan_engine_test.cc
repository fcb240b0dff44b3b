// `arcana scan`'s engine and tree walk over a generated corpus: every built-in kind planted in
// several file types is found by the right rule (and only once), decoys are not, and the
// walk honours .gitignore, symlinks, binaries and the size limit.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <set>

#include "scan/builtin_rules.h"
#include "scan/engine.h"
#include "scan/rule_set.h"
#include "scan/tree_scan.h"
#include "scan_corpus.h"

namespace arcana::scan {
namespace {

namespace fs = std::filesystem;
using testing::MakeSecrets;
using testing::PlantCorpus;
using testing::PlantDecoys;
using testing::ScanText;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "arcana-scan-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// One engine for every test (compiling the rules is the slow part; an engine is immutable).
const Engine* Builtin() {
  static const std::unique_ptr<Engine> engine = [] {
    auto e = Engine::Create(BuiltinRuleSet());
    EXPECT_TRUE(e.ok()) << e.status().message();
    return std::move(*e);
  }();
  return engine.get();
}

std::vector<Finding> ScanDir(const Engine& engine, const fs::path& dir, bool gitignore = true) {
  TreeScanOptions opts;
  opts.paths = {dir.string()};
  opts.use_gitignore = gitignore;
  opts.threads = 2;
  ScanProgress progress;
  std::vector<Finding> out;
  Status st = ScanTree(engine, opts, &progress, &out);
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

TEST(ScanEngine, BuiltinRulesAllCompileIntoVectorscan) {
  auto engine = Builtin();
  EXPECT_EQ(engine->stats().rules, BuiltinRules().size());
  EXPECT_EQ(engine->stats().re2_only, 0u);
  EXPECT_EQ(engine->stats().vectorscan_exact + engine->stats().vectorscan_prefilter,
            engine->stats().rules);
}

TEST(ScanEngine, FindsEveryBuiltinKindInEveryFileType) {
  TempDir dir;
  auto secrets = MakeSecrets(1234);
  auto planted = PlantCorpus(dir.path(), secrets);
  auto engine = Builtin();
  auto found = ScanDir(*engine, dir.path());

  std::multiset<std::pair<std::string, std::string>> got;
  for (const auto& f : found) {
    got.emplace(fs::relative(f.file, dir.path()).string(), f.rule_id);
  }
  std::multiset<std::pair<std::string, std::string>> want(planted.begin(), planted.end());
  EXPECT_EQ(got, want);
  // Every built-in rule is exercised.
  std::set<std::string> kinds;
  for (const auto& p : planted) kinds.insert(p.second);
  EXPECT_EQ(kinds.size(), BuiltinRules().size());
  // The value reported is the planted one (not the key or the whole URL).
  for (const auto& f : found) {
    if (f.file.find(".env") == std::string::npos) continue;
    bool match = false;
    for (const auto& s : secrets) match = match || (s.rule_id == f.rule_id && s.value == f.secret);
    EXPECT_TRUE(match) << f.rule_id << " in " << f.file;
  }
}

TEST(ScanEngine, DecoysAreNotReported) {
  TempDir dir;
  PlantDecoys(dir.path());
  auto engine = Builtin();
  auto found = ScanDir(*engine, dir.path());
  for (const auto& f : found) {
    ADD_FAILURE() << "decoy reported: " << f.rule_id << " at " << f.file << ":" << f.line;
  }
}

TEST(ScanEngine, LineColumnAndRedaction) {
  auto engine = Builtin();
  std::string key = "gh" "p_" "Zq8Xv2Lm4Np6Rt9Wy1AbCd3Ef5Gh7Jk9Mn0P";
  std::string text = "first line\n\n  token: " + key + "\n";
  auto found = ScanText(*engine, text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule_id, "github-token");
  EXPECT_EQ(found[0].line, 3u);
  EXPECT_EQ(found[0].column, 10u);
  EXPECT_EQ(found[0].end_column, 10u + key.size() - 1);
  EXPECT_EQ(Redact(found[0].secret), "g*****P");
  EXPECT_EQ(RedactIn(found[0].match, found[0].secret).find(key), std::string::npos);
}

TEST(ScanEngine, AssignmentAtTheStartOfALaterLine) {
  auto engine = Builtin();
  auto found = ScanText(*engine, "x = 1\napi_key = \"Zr9!mQ4vKp2xL7wQ\"\n", "app.py");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule_id, "generic-secret-assignment");
  EXPECT_EQ(found[0].line, 2u);
  EXPECT_EQ(found[0].secret, "Zr9!mQ4vKp2xL7wQ");
}

TEST(ScanEngine, InlineAllowCommentDropsTheLine) {
  auto engine = Builtin();
  std::string key = "gl" "pat-" "Zq8Xv2Lm4Np6Rt9Wy1Ab";
  auto found = ScanText(*engine, "a = \"" + key + "\"  # arcana:allow\nb = \"" + key + "\"\n");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].line, 2u);
}

TEST(ScanEngine, PemKeyAcrossLinesIsOneFinding) {
  auto engine = Builtin();
  auto secrets = MakeSecrets(7);
  std::string pem;
  for (const auto& s : secrets) {
    if (s.rule_id == "private-key") pem = s.value;
  }
  auto found = ScanText(*engine, "# key\n\n" + pem + "\ntrailer\n", "id_rsa");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule_id, "private-key");
  EXPECT_EQ(found[0].line, 3u);
  EXPECT_EQ(found[0].end_line, 8u);
  EXPECT_EQ(found[0].secret, pem);
}

TEST(ScanEngine, LongMinifiedLineFindsEverySecret) {
  auto engine = Builtin();
  std::string a = "gl" "pat-" "Aq8Xv2Lm4Np6Rt9Wy1Ab", b = "gl" "pat-" "Bq8Xv2Lm4Np6Rt9Wy1Ab";
  std::string line(100000, 'x');
  line.replace(10, a.size() + 2, " " + a + " ");
  line.replace(90000, b.size() + 2, " " + b + " ");
  auto found = ScanText(*engine, line);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].secret, a);
  EXPECT_EQ(found[1].secret, b);
}

TEST(ScanWalk, HonoursGitignoreUnlessTold) {
  TempDir dir;
  fs::create_directories(dir.path() / "sub" / "build");
  fs::create_directories(dir.path() / "logs");
  std::string key = "gl" "pat-" "Zq8Xv2Lm4Np6Rt9Wy1Ab";
  std::ofstream(dir.path() / ".gitignore") << "# comment\n*.log\n/logs/\n!keep.log\n";
  std::ofstream(dir.path() / "sub" / ".gitignore") << "build/\n";
  for (const char* rel : {"a.txt", "x.log", "keep.log", "logs/y.txt", "sub/b.txt",
                          "sub/build/c.txt", "sub/d.log"}) {
    std::ofstream(dir.path() / rel) << "t = " << key << "\n";
  }
  auto engine = Builtin();
  std::set<std::string> files;
  for (const auto& f : ScanDir(*engine, dir.path())) {
    files.insert(fs::relative(f.file, dir.path()).string());
  }
  EXPECT_EQ(files, (std::set<std::string>{"a.txt", "keep.log", "sub/b.txt"}));
  EXPECT_EQ(ScanDir(*engine, dir.path(), /*gitignore=*/false).size(), 7u);
}

TEST(ScanWalk, SkipsSymlinksBinariesAndLargeFiles) {
  TempDir dir, outside;
  std::string key = "gl" "pat-" "Zq8Xv2Lm4Np6Rt9Wy1Ab";
  std::ofstream(outside.path() / "secret.txt") << "t = " << key << "\n";
  fs::create_directories(dir.path() / "tree");
  fs::create_symlink(outside.path() / "secret.txt", dir.path() / "tree" / "link.txt");
  fs::create_directory_symlink(outside.path(), dir.path() / "tree" / "linkdir");
  std::ofstream(dir.path() / "tree" / "bin.dat") << std::string("\0\1\2", 3) << key << "\n";
  std::ofstream(dir.path() / "tree" / "big.txt") << std::string(2 << 20, 'a') << "\n" << key << "\n";
  auto engine = Builtin();
  TreeScanOptions opts;
  opts.paths = {(dir.path() / "tree").string()};
  opts.max_file_bytes = 1 << 20;
  ScanProgress progress;
  std::vector<Finding> out;
  ASSERT_TRUE(ScanTree(*engine, opts, &progress, &out).ok());
  EXPECT_TRUE(out.empty());
  // The binary, the large file and the two links: the links were left out of the count of
  // files not scanned, though the README counts them among them.
  EXPECT_EQ(progress.skipped.load(), 4u);
  opts.max_file_bytes = 8 << 20;
  out.clear();
  ASSERT_TRUE(ScanTree(*engine, opts, &progress, &out).ok());
  ASSERT_EQ(out.size(), 1u);  // the large file once allowed; never the links
  EXPECT_EQ(out[0].line, 2u);
}

TEST(ScanWalk, ReadUpToReturnsWhatIsLeftOfAFileTruncatedAfterItsSizeWasTaken) {
  // ScanFile takes the size with fstat, then reads: a file cut meanwhile is read to its new
  // end (a mapping of the old size faulted with SIGBUS past it).
  TempDir dir;
  const fs::path p = dir.path() / "shrinking.log";
  std::ofstream(p) << std::string(1 << 20, 'a');
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  fs::resize_file(p, 1000);
  std::string buf;
  EXPECT_EQ(ReadUpTo(fd, 1 << 20, &buf), 1000u);
  EXPECT_EQ(buf, std::string(1000, 'a'));
  ::close(fd);
}

TEST(ScanWalk, ABinaryFileIsJudgedByItsHeadWithoutReadingTheRest) {
  // The whole file (up to the size limit, 4 GiB) was read before its first 8 KiB were probed
  // for a NUL byte. A sparse 64 MiB file of zeros: only its head is read.
  TempDir dir;
  const fs::path p = dir.path() / "image.bin";
  std::ofstream(p).close();
  fs::resize_file(p, size_t{64} << 20);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string buf;
  bool binary = false;
  EXPECT_EQ(ReadTextUpTo(fd, size_t{64} << 20, &buf, &binary), 8192u);
  EXPECT_TRUE(binary);
  EXPECT_EQ(buf.size(), 8192u);
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 8192);
  ::close(fd);
}

TEST(ScanWalk, ATextFileIsReadWholeEvenWithANulPastItsHead) {
  TempDir dir;
  const fs::path p = dir.path() / "notes.txt";
  std::string text(20000, 'a');
  text[10000] = '\0';
  std::ofstream(p, std::ios::binary) << text;
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string buf;
  bool binary = true;
  EXPECT_EQ(ReadTextUpTo(fd, 1 << 20, &buf, &binary), text.size());
  EXPECT_FALSE(binary);
  EXPECT_EQ(buf, text);
  ::close(fd);
  // A short file and a limit below the probe size.
  fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(ReadTextUpTo(fd, 100, &buf, &binary), 100u);
  EXPECT_FALSE(binary);
  EXPECT_EQ(buf, text.substr(0, 100));
  ::close(fd);
}

TEST(ScanEngine, ARejectedPemMatchDoesNotHideARealKeyInsideIt) {
  // A placeholder block's BEGIN (body too short to end at its own END) starts a match running
  // to the real key's END: rejected for its "..." body, it hid the real key's BEGIN..END.
  const std::string dash = "-----";
  std::string text = dash + "BEGIN RSA PRIVATE KEY" + dash + "\n...\n" + dash +
                     "END RSA PRIVATE KEY" + dash + "\n";
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 146; ++j) text += "Some words about keys and where they are kept. ";
    text += "\nThe armour ends with " + dash + "END RSA PRIVATE KEY, as documented.\n";
  }
  const size_t begin = text.size();
  text += dash + "BEGIN RSA PRIVATE KEY" + dash + "\n";
  for (int i = 0; i < 8; ++i) text += "MIIEow" + std::string(58, static_cast<char>('A' + i)) + "\n";
  text += dash + "END RSA PRIVATE KEY" + dash + "\n";
  auto found = ScanText(*Builtin(), text, "doc.md");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule_id, "private-key");
  EXPECT_EQ(found[0].match_offset, begin);
}

// git applies ignore rules to untracked files only: a file force-added past a .gitignore is in
// every clone and was never scanned. An ignored directory holding a tracked file is entered
// for that file alone.
TEST(ScanWalk, TrackedFilesAreScannedWhateverTheIgnoreRulesSay) {
  TempDir dir;
  std::string key = "gl" "pat-" "Tq8Xv2Lm4Np6Rt9Wy1Ab";
  std::ofstream(dir.path() / ".gitignore") << ".env\nbuild/\n";
  std::ofstream(dir.path() / ".env") << "GITLAB_TOKEN=" << key << "\n";
  fs::create_directories(dir.path() / "build");
  std::ofstream(dir.path() / "build" / "kept.env") << "GITLAB_TOKEN=" << key << "\n";
  std::ofstream(dir.path() / "build" / "junk.env") << "GITLAB_TOKEN=" << key << "\n";
  std::ofstream(dir.path() / "other.env.untracked") << "x\n";
  std::string cmd = "cd '" + dir.path().string() + "' && git init -q && git add -f .env build/kept.env";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::set<std::string> files;
  for (const auto& f : ScanDir(*Builtin(), dir.path())) {
    files.insert(fs::path(f.file).lexically_relative(dir.path()).string());
  }
  EXPECT_EQ(files, (std::set<std::string>{".env", "build/kept.env"}));
}

// A directory that cannot be listed (here a path past PATH_MAX) was skipped silently: its
// files are counted as not scanned, and the walk goes on with the rest of the tree.
TEST(ScanWalk, ADirectoryThatCannotBeListedIsCountedAndTheWalkGoesOn) {
  TempDir dir;
  std::string key = "gl" "pat-" "Uq8Xv2Lm4Np6Rt9Wy1Ab";
  std::ofstream(dir.path() / "z.env") << "GITLAB_TOKEN=" << key << "\n";
  int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  const std::string name(200, 'd');
  for (int depth = 0; depth < 24; ++depth) {  // 24 * 201 bytes: past PATH_MAX (4096)
    ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
    int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(fd);
    ASSERT_GE(next, 0);
    fd = next;
  }
  ::close(fd);
  TreeScanOptions opts;
  opts.paths = {dir.path().string()};
  ScanProgress progress;
  std::vector<Finding> out;
  ASSERT_TRUE(ScanTree(*Builtin(), opts, &progress, &out).ok());
  ASSERT_EQ(out.size(), 1u);  // z.env, walked after the deep directory
  EXPECT_GE(progress.skipped.load(), 1u);
  // remove_all cannot go that deep either: taken apart level by level through descriptors.
  std::function<void(int)> remove_chain = [&](int parent) {
    int child = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY);
    if (child < 0) return;
    remove_chain(child);
    ::close(child);
    ::unlinkat(parent, name.c_str(), AT_REMOVEDIR);
  };
  fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  remove_chain(fd);
  ::close(fd);
}

// A .gitignore over the limit is not read (a 1 GB one took 2 GB of memory, then bad_alloc):
// its patterns are not applied, so more is scanned, and it is counted.
TEST(ScanWalk, AnOversizedIgnoreFileIsNotApplied) {
  TempDir dir;
  std::string key = "gl" "pat-" "Vq8Xv2Lm4Np6Rt9Wy1Ab";
  {
    std::ofstream gi(dir.path() / ".gitignore");
    gi << "*.env\n";
    std::string filler = "# " + std::string(1022, 'x') + "\n";
    for (uint64_t n = 0; n <= kMaxIgnoreFileBytes / filler.size(); ++n) gi << filler;
  }
  std::ofstream(dir.path() / "a.env") << "GITLAB_TOKEN=" << key << "\n";
  TreeScanOptions opts;
  opts.paths = {dir.path().string()};
  ScanProgress progress;
  std::vector<Finding> out;
  ASSERT_TRUE(ScanTree(*Builtin(), opts, &progress, &out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(progress.ignore_files_unread.load(), 1u);
}

TEST(ScanWalk, MissingPathIsAnError) {
  auto engine = Builtin();
  TreeScanOptions opts;
  opts.paths = {"/nonexistent/arcana-scan"};
  ScanProgress progress;
  std::vector<Finding> out;
  EXPECT_EQ(ScanTree(*engine, opts, &progress, &out).code(), ErrorCode::kInvalidParameter);
}

}  // namespace
}  // namespace arcana::scan
