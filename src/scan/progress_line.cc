#include "scan/progress_line.h"

#include <unistd.h>

#include <cstdio>

namespace arcana::scan {

ProgressLine::ProgressLine(const ScanProgress& progress)
    : progress_(progress), start_(std::chrono::steady_clock::now()) {
  if (::isatty(STDERR_FILENO) == 1) thread_ = std::thread([this] { Loop(); });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

void ProgressLine::Loop() {
  std::unique_lock lk(mu_);
  while (!cv_.wait_for(lk, std::chrono::milliseconds(250), [&] { return stop_; })) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double mib = static_cast<double>(progress_.bytes.load()) / (1024.0 * 1024.0);
    std::fprintf(stderr, "\r\033[Kscanning: %llu files, %.1f MiB, %.1f MiB/s",
                 static_cast<unsigned long long>(progress_.files.load()), mib,
                 secs > 0 ? mib / secs : 0.0);
    if (uint64_t c = progress_.commits.load(); c != 0) {
      std::fprintf(stderr, ", %llu commits", static_cast<unsigned long long>(c));
    }
    std::fflush(stderr);
  }
}

}  // namespace arcana::scan
