#include "rotation/function_uids.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace arcana::rotation {

namespace {

Status BadRange(const std::string& text, const std::string& why) {
  return Status(ErrorCode::kInvalidParameter,
                "'" + text + "' is not a range of user ids FIRST-LAST or none: " + why);
}

bool ParseId(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// How many ids one Acquire tries before it says none is free (each try is a passwd lookup and
// at most an open and a flock).
constexpr uint64_t kMaxTries = 4096;

}  // namespace

Result<std::optional<UidRange>> ParseFunctionUids(const std::string& text) {
  if (text == "none") return std::optional<UidRange>();
  const size_t dash = text.find('-');
  uint64_t first = 0, last = 0;
  if (dash == std::string::npos || !ParseId(std::string_view(text).substr(0, dash), &first) ||
      !ParseId(std::string_view(text).substr(dash + 1), &last)) {
    return BadRange(text, "two decimal numbers joined by '-'");
  }
  if (first == 0 || first > last) return BadRange(text, "FIRST must be at least 1 and at most LAST");
  if (last >= 0xFFFFFFFFull) return BadRange(text, "LAST must be below 4294967295");
  if (first <= 65535 && last >= 65534) {
    return BadRange(text, "65534 (nobody) and 65535 are not function ids");
  }
  return std::optional<UidRange>(UidRange{static_cast<uid_t>(first), static_cast<uid_t>(last)});
}

FunctionUidPool::FunctionUidPool(UidRange range, gid_t gid, std::string lock_dir)
    : range_(range),
      gid_(gid),
      lock_dir_(std::move(lock_dir)),
      // Two arcanad processes of one host start at different places of the range.
      cursor_(static_cast<uint64_t>(::getpid()) * 2654435761ull) {}

Status FunctionUidPool::Prepare() const {
  if (::mkdir(lock_dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status(ErrorCode::kInternalFailure,
                  "cannot make " + lock_dir_ + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(lock_dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
    return Status(ErrorCode::kInternalFailure, lock_dir_ + " is not a folder of arcanad's user");
  }
  ::chmod(lock_dir_.c_str(), 0700);
  return Status::Ok();
}

std::string FunctionUidPool::LockPath(uid_t uid) const {
  return lock_dir_ + "/" + std::to_string(uid);
}

Result<std::unique_ptr<FunctionUidPool::Lease>> FunctionUidPool::Acquire() const {
  const uint64_t size = static_cast<uint64_t>(range_.last) - range_.first + 1;
  std::vector<char> buf(16384);
  for (uint64_t i = 0; i < std::min(size, kMaxTries); ++i) {
    const auto uid = static_cast<uid_t>(range_.first + cursor_.fetch_add(1) % size);
    passwd pw {};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      continue;  // someone's account: its files and processes are not ours to run beside
    }
    const std::string path = LockPath(uid);
    bool left_by_another = false;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) {
      left_by_another = true;
      fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);  // in use by another run
      continue;
    }
    // A holder removes its file before it lets go of the lock: the lock taken may be on a
    // file that was removed in between (and that another run may have made again).
    struct stat held {}, now {};
    if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &now) != 0 ||
        held.st_ino != now.st_ino || held.st_dev != now.st_dev) {
      ::close(fd);
      continue;
    }
    // A lock file whose holder is gone without removing it: an arcanad killed during a run,
    // whose function's processes and files may still be there.
    if (left_by_another) Clean(uid);
    return std::make_unique<Lease>(*this, uid, fd);
  }
  return Status(ErrorCode::kInternalFailure,
                "no function user id free in " + std::to_string(range_.first) + "-" +
                    std::to_string(range_.last));
}

FunctionUidPool::Lease::Lease(const FunctionUidPool& pool, uid_t uid, int lock_fd)
    : pool_(pool), uid_(uid), lock_fd_(lock_fd) {}

FunctionUidPool::Lease::~Lease() {
  pool_.Clean(uid_);
  // Removed while still locked, so that the next holder cannot lock a removed file unknowingly
  // (Acquire compares the inode it locked with the path's).
  ::unlink(pool_.LockPath(uid_).c_str());
  ::close(lock_fd_);
}

void FunctionUidPool::Clean(uid_t uid) const {
  // Everything the child needs is made before fork (arcanad has other threads: no allocation
  // after it). find and rm run as uid: they can only remove what uid may.
  const std::string uid_text = std::to_string(uid);
  std::vector<std::string> args = {"/usr/bin/find", "/tmp", "/var/tmp", "/dev/shm", "-mindepth",
                                   "1", "-maxdepth", "1", "-user", uid_text, "-exec", "/bin/rm",
                                   "-rf", "--", "{}", "+"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char path_env[] = "PATH=/usr/bin:/bin";
  char* envp[] = {path_env, nullptr};
  const gid_t gid = gid_;
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::close_range(3, ~0U, 0);
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(127);
    // kill(-1) as uid reaches every process of uid but this one, whatever its session or
    // group, and no fork escapes it (the kernel fails a fork whose parent it is killing). A
    // process killed in a system call ends that call first (it may still make a file): a
    // pause, and once more, before its files are looked for.
    ::kill(-1, SIGKILL);
    timespec pause{0, 10'000'000};
    ::nanosleep(&pause, nullptr);
    ::kill(-1, SIGKILL);
    ::execve(argv[0], argv.data(), envp);
    ::_exit(127);
  }
  if (devnull >= 0) ::close(devnull);
  if (pid < 0) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace arcana::rotation
