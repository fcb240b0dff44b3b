// A user id of its own for each run of a function made through the Lambda API (arcanad running
// as root), so that no function can reach another: not its environment (its role's
// credentials), its answer file or its memory through /proc (the kernel lets only the same
// user, or root, read those), not the files it leaves in /tmp, and not the processes it leaves
// behind, which would otherwise watch every later run.
//
// The ids come from a range no account uses (--function-uids, default 1879048192-1879113727:
// the range systemd's UIDS-GIDS.md leaves unused, away from its dynamic users and containers);
// an id with an entry in the user database is skipped. An id is leased for one run: a lock
// file per id in a host-wide folder (kFunctionUidLockDir, flock) keeps two runs, also of two
// arcanad processes on one host, from sharing it. The next id is taken round-robin, so an id
// comes back only after the whole range has been used once.
//
// When a lease ends (and before one starts on an id whose lock file an earlier holder left,
// e.g. an arcanad killed mid-run), every process of that id is killed (kill(-1) as the id: what
// a function started in a new session or process group too) and what the id owns at the top
// of /tmp, /var/tmp and /dev/shm is removed, as that id (it cannot remove anything else).
// Only then is the lock released.
//
// The group stays the function user's (--function-user's primary group): the unpacked
// packages are readable by that group (function_package.h).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"

namespace arcana::rotation {

inline constexpr const char* kFunctionUidLockDir = "/run/arcana-function-uids";

struct UidRange {
  uid_t first = 0;
  uid_t last = 0;
};

// "FIRST-LAST" (decimal, FIRST <= LAST, neither 0 nor 65534/65535 nor (uid_t)-1 inside), or
// "none": std::nullopt, every function runs as the function user itself.
// kInvalidParameter with a message naming what is wrong otherwise.
Result<std::optional<UidRange>> ParseFunctionUids(const std::string& text);

class FunctionUidPool {
 public:
  // gid: the group every leased id runs with. lock_dir: made (0700) by Prepare.
  FunctionUidPool(UidRange range, gid_t gid, std::string lock_dir = kFunctionUidLockDir);
  // Makes the lock folder. Fails when it cannot (not root, no /run).
  Status Prepare() const;

  // One run's id. Destroying it ends every process of the id and removes its files (above),
  // then frees the id. Not copyable or movable: it lives for one run.
  class Lease {
   public:
    Lease(const FunctionUidPool& pool, uid_t uid, int lock_fd);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    uid_t uid() const { return uid_; }
    gid_t gid() const { return pool_.gid_; }

   private:
    const FunctionUidPool& pool_;
    uid_t uid_;
    int lock_fd_;
  };

  // A free id, cleaned first if an earlier holder may have left something. kInternalFailure
  // when every id of the range is in use (or the lock folder is gone).
  Result<std::unique_ptr<Lease>> Acquire() const;

 private:
  std::string LockPath(uid_t uid) const;
  // Kills every process of uid and removes its files at the top of the temporary folders,
  // as uid (a child process). Bounded: gives up after a few seconds.
  void Clean(uid_t uid) const;

  UidRange range_;
  gid_t gid_;
  std::string lock_dir_;
  mutable std::atomic<uint64_t> cursor_;
};

}  // namespace arcana::rotation
