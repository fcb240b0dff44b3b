// The progress line long scans show on a terminal (stderr): files, MiB, MiB/s and commits,
// redrawn four times a second by a thread of its own, erased when the scan ends. Does nothing
// when stderr is not a terminal.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "scan/tree_scan.h"

namespace arcana::scan {

class ProgressLine {
 public:
  explicit ProgressLine(const ScanProgress& progress);
  ~ProgressLine();  // stops the thread and erases the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void Loop();

  const ScanProgress& progress_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace arcana::scan
