// arcana-agent's subscription to arcanad's change stream (net/change_stream_api.h): a thread
// long-polls GET /_arcana/changes?after=APPLIED&wait=W and drops from the cache every entry
// tagged with a changed resource (value_cache.h; a secret in every region: resource_tag.h)
// except for a read's own access record, so a rotation, PutSecretValue, label move or
// deletion through any arcanad node empties the entry within the stream's delivery time.
// Fence() closes that window for a read: one wait=0 read of the stream, shared by every
// request that arrived while it was in flight or before it began, applied before the caller
// answers from the cache.
//
// When the stream is unavailable (upstream unreachable, or not arcanad: AWS has no such
// endpoint) the agent falls back to the TTL; health() says which mode is in force. On
// reconnection it resumes from the last applied sequence number; a stream "Reset" (changes
// trimmed, store replaced) and the first successful read drop the whole cache.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <string>
#include <thread>

#include "agent/agent_metrics.h"
#include "agent/upstream_client.h"
#include "agent/value_cache.h"
#include "common/status.h"

namespace arcana::agent {

// A cache tag every Secrets Manager change drops: SSM entries read through
// /aws/reference/secretsmanager/ depend on a secret whose ARN the answer does not name.
inline constexpr const char* kSecretReferenceTag = "secretsmanager:*";

// The change kind of a secret's LastAccessedDate record (SecretsManagerService::TouchAccessed):
// the only change that leaves every cached answer as it was.
inline constexpr std::string_view kAccessRecordKind = "RecordAccess";

// Applies one answer of the change stream to the cache. Returns the sequence number to
// resume from; *head (when given) gets the stream's head, beyond it when more changes wait.
// *store (when given) is the store the caller followed ("" unknown), updated to the answer's:
// an answer from another store drops everything, as "Reset" does; *reset says whether the
// cache was dropped (the caller then resumes from the returned number, whatever it held).
// Changes numbered up to `applied` were applied by an overlapping read (the stream's long
// poll and a fence both read from the same point): an entry fetched since is at least as new
// as they are, so they are not applied again (unless the answer drops everything anyway).
// Errors: kSerialization (not a change-stream answer).
Result<int64_t> ApplyStreamAnswer(std::string_view body, ValueCache& cache, AgentMetrics& metrics,
                                  int64_t* head = nullptr, std::string* store = nullptr,
                                  bool* reset = nullptr, int64_t applied = -1);

class ChangeSubscriber {
 public:
  ChangeSubscriber(UpstreamClient& upstream, ValueCache& cache, AgentMetrics& metrics,
                   int wait_seconds, std::chrono::milliseconds fence_timeout);
  ~ChangeSubscriber();

  void Start();
  void Stop();

  // OK once every change committed before this call is applied to the cache.
  // Errors: kServiceUnavailable / kDependencyTimeout (upstream unreachable, answering 5xx or
  // throttling, or refusing the credentials: the caller asks the upstream, and may serve stale
  // if that is unreachable too; answered at once while the stream thread's own reads fail,
  // rather than after a timeout of its own), kUnsupportedOperation (the stream answered another
  // 4xx, e.g. AWS has no such endpoint: use the TTL; reads stop fencing until a stream read
  // succeeds).
  Status Fence();

  // False while the stream answers HTTP errors (no such endpoint): reads do not fence then.
  bool fencing() const;

  struct Health {
    bool connected = false;  // the last stream read succeeded
    int64_t applied = -1;    // last applied sequence number (-1: never read)
    std::string last_error;
    int64_t ms_since_ok = -1;
  };
  Health health() const;

 private:
  // One read of the stream (wait seconds), applied. Updates the health.
  Status Poll(int wait, std::chrono::milliseconds timeout);
  void Run();

  UpstreamClient& upstream_;
  ValueCache& cache_;
  AgentMetrics& metrics_;
  const int wait_seconds_;
  const std::chrono::milliseconds fence_timeout_;

  mutable std::mutex mu_;  // guards the fields below and serialises applying answers
  int64_t applied_ = -1;
  int64_t head_ = -1;  // the stream's head as last reported
  std::string store_;  // the store the stream answered from ("" not yet known)
  // The last read got an HTTP error other than those above (no such endpoint: AWS itself):
  // reads do not fence until the stream thread's next successful read.
  bool unsupported_ = false;
  bool connected_ = false;
  std::string last_error_ = "not started";
  std::chrono::steady_clock::time_point last_ok_{};

  std::mutex fence_mu_;
  std::condition_variable fence_cv_;
  bool fence_in_flight_ = false;  // guarded by fence_mu_
  uint64_t fences_started_ = 0;    // guarded by fence_mu_
  uint64_t fence_completed_ = 0;   // id of the newest completed fence
  Status fence_status_;            // its outcome

  std::atomic<bool> stop_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::thread thread_;
};

}  // namespace arcana::agent
