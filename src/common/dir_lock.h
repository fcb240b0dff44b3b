// One process per directory: <dir>/arcanad.lock, held with flock(LOCK_EX | LOCK_NB) for as long
// as the process lives (the descriptor is left open on purpose; the lock goes with the
// process). arcanad takes it on its data dir and SQLite store dir; `arcana store copy` takes
// the SQLite store dir's, so it never copies a store a running node writes.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>

namespace arcana {

// False when another process holds the lock (or the file cannot be made).
inline bool LockDirForThisProcess(const std::string& dir) {
  int fd = ::open((dir + "/arcanad.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
  ::close(fd);
  return false;
}

}  // namespace arcana
