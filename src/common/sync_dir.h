// Making a file's name durable: after creating or renaming a file, its directory entry
// reaches the disk only when the directory itself is fsync'd (POSIX leaves it to the
// filesystem otherwise). Best effort: a directory that cannot be opened is left as it is,
// since the callers' own data syncs already succeeded or reported their error.
// Thread-safety: free functions.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace arcana {

inline void SyncDirectory(const std::string& dir) {
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    ::fsync(d);
    ::close(d);
  }
}

// The directory holding path ("." for a bare name).
inline void SyncDirectoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  SyncDirectory(slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace arcana
