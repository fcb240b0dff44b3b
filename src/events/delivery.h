// Delivery of matched events to HTTP(S) targets: POST <url> with the event (or the target's
// Input) as an application/json body; a 2xx answer delivers it. Otherwise it is retried
// (the target's MaximumRetryAttempts, default kDefaultRetries, at most 8) with exponential
// backoff (first_backoff, doubling, at most 5 s apart) and, when the retries or the
// target's MaximumEventAgeInSeconds run out, appended to the dead-letter file
// <dead_letter_dir>/dead-letter.jsonl (0600) as one JSON line:
//   {"time","rule","targetId","url","attempts","error","event":<body>}
// Submit never blocks on the network: attempts run on the deliverer's own threads, in due
// order, so a dead target delays no other. At most max_pending deliveries wait; beyond that
// a delivery goes straight to the dead-letter file ("queue full").
// Thread-safety: Submit from any thread; Stop once (the destructor calls it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "domain/events/target.h"

namespace arcana::events {

inline constexpr int kDefaultRetries = 3;

// One POST; OK on a 2xx answer. Replaceable for tests.
using PostFn = std::function<Status(const std::string& url, const std::string& body)>;
// The default PostFn: plain HTTP or TLS (system CAs, or ARCANA_CA_CERT); one attempt takes
// at most 5 s (connect, handshake, request, answer: a target that accepts and never answers
// costs one attempt, not a delivery thread); the answer's body is read up to 64 KiB.
Status HttpPost(const std::string& url, const std::string& body);

class Deliverer {
 public:
  struct Options {
    std::string dead_letter_dir;  // <data-dir>/events
    std::chrono::milliseconds first_backoff{100};
    size_t max_pending = 10000;
    int threads = 2;
    PostFn post = HttpPost;
  };
  explicit Deliverer(Options options);
  ~Deliverer();

  void Submit(const std::string& rule_arn, const domain::events::HttpTarget& target,
              std::string body);
  // Deliveries still waiting are written to the dead-letter file ("shutdown").
  void Stop();
  // Deliveries that went to the dead-letter file so far (for tests and metrics).
  uint64_t dead_lettered() const;

 private:
  struct Delivery {
    std::chrono::steady_clock::time_point due;
    std::chrono::steady_clock::time_point first;
    std::string rule_arn;
    domain::events::HttpTarget target;
    std::string body;
    int attempts = 0;
    bool operator>(const Delivery& o) const { return due > o.due; }
  };
  void Run();
  void DeadLetter(const Delivery& d, const std::string& error);

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Delivery, std::vector<Delivery>, std::greater<Delivery>> queue_;
  size_t in_flight_ = 0;
  bool stopping_ = false;
  uint64_t dead_lettered_ = 0;
  std::mutex file_mu_;
  std::vector<std::thread> threads_;
};

}  // namespace arcana::events
