// Delivery of matched events to targets: to an HTTP(S) endpoint, POST <url> with the body
// (the event, or what the target's Input, InputPath or InputTransformer makes of it) as
// application/json, a 2xx answer delivering it; to a Lambda function (the target is its ARN),
// an asynchronous invocation with the body as its event, accepted delivering it; to an API
// destination (the target is its ARN), the request its resolver (SetApiDestinationResolver:
// the events service, which unseals the connection's credentials) makes of the destination
// as it is at that attempt, a 2xx answer delivering it, at most the destination's
// InvocationRateLimitPerSecond a second from this node (events/rate_limiter.h: a delivery
// over the rate waits in this node's queue for its turn, which is no attempt). Otherwise it
// is retried (the target's MaximumRetryAttempts, default kDefaultRetries, at most 8) with exponential
// backoff (first_backoff, doubling, at most 5 s apart) and, when the retries or the
// target's MaximumEventAgeInSeconds run out, dead-lettered.
//
// Durable and cluster-correct (storage/event_delivery_store.h): Submit queues the delivery
// in memory only until the persister thread writes it to the store (one write for every
// delivery waiting: batched under load), leased to this node; only then is it attempted.
// Every attempt's outcome is recorded there (attempts, next_attempt_ms, last error), the
// delivered row is deleted, and a dead-lettered row stays in the store (dead = true,
// `arcana events dead-letters`) and is also appended to this node's dead-letter file
// <dead_letter_dir>/dead-letter.jsonl (0600) as one JSON line:
//   {"time","rule","targetId","url","attempts","error","event":<body>}
// A node holds a row under a lease (until its next attempt + lease) and renews it, a
// conditional update that fails once another owner holds the row, right before every
// attempt; so a delivery is attempted by one node at a time. A node keeps one copy of a row
// in memory: its own claims skip the rows it has queued or in flight (whose stored lease may
// have expired while they waited behind slow targets), or the copy claimed again would be
// sent a second time under the same owner.
// Rows nobody holds (the node died, stopped, or had no room) are claimed by ClaimDue, which
// the leased job "events.deliveries" (app/events_setup.h) runs on one node at a time. A
// node's owner id is "<node>:<random>": at start it frees the leases of its previous
// process ("<node>:*", dead after kill -9), so they are claimed at once, not at expiry.
// Delivery is at least once: a node that dies after a target's 2xx and before the row's
// deletion is delivered again (the event's "id" is the same).
//
// Bounds: at most max_in_memory deliveries held by this node (the rest wait in the store,
// unleased); at most max_pending pending rows in the store: beyond that a delivery is
// dead-lettered at once (error "backlog full", a warning in the log); while the store is
// unreachable at most max_unsaved wait in memory (beyond: "queue full"). Submit never
// blocks on the network or the store; attempts run on the deliverer's threads, in due
// order, so a dead target delays no other.
// Thread-safety: Submit and ClaimDue from any thread; Stop once (the destructor calls it):
// it writes what is not yet in the store, waits for attempts in flight and frees this
// node's leases (another node, or the next start, continues).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "domain/events/connection.h"
#include "domain/events/target.h"
#include "events/oauth_token_cache.h"
#include "events/rate_limiter.h"
#include "storage/event_delivery_store.h"

namespace arcana::events {

inline constexpr int kDefaultRetries = 3;

// One POST; OK on a 2xx answer. Replaceable for tests.
using PostFn = std::function<Status(const std::string& url, const std::string& body)>;
// One delivery to a Lambda function target (d.url is the function's ARN): OK once the
// invocation is accepted (services/lambda: LambdaService::InvokeForEvent).
using InvokeFn = std::function<Status(const storage::EventDelivery& d)>;
// The request one attempt at an API destination target (d.url is its ARN) makes, its
// credentials included, and the destination's rate limit (services/events:
// EventsService::ApiDestinationRequest).
using ApiDestinationFn =
    std::function<Result<domain::events::ApiDestinationCall>(const storage::EventDelivery& d)>;
// Sends one such request (replaceable for tests): events/oauth_token_cache.h's SendOutgoing.
using SendFn = std::function<Result<OutgoingAnswer>(const domain::events::OutgoingRequest&)>;
// The default PostFn: plain HTTP or TLS (system CAs, or ARCANA_CA_CERT); one attempt takes
// at most 5 s (connect, handshake, request, answer: a target that accepts and never answers
// costs one attempt, not a delivery thread); the answer's body is read up to 64 KiB.
Status HttpPost(const std::string& url, const std::string& body);

// A dead letter as one JSON line's object (no newline): {"id"?,"time","rule","targetId",
// "url","attempts","error","event":<body, as JSON when it parses>}. with_id: the store's
// delivery id first (`arcana events dead-letters --json`); the file has none.
std::string DeadLetterJson(const storage::EventDelivery& d, int64_t time_ms,
                           const std::string& error, bool with_id);

class Deliverer {
 public:
  struct Options {
    std::string dead_letter_dir;                  // <data-dir>/events
    storage::EventDeliveryStore* store = nullptr;  // required
    std::string node = "node";                    // this node's name (--audit-node), unique
    std::chrono::milliseconds first_backoff{100};
    std::chrono::milliseconds lease{30'000};
    size_t max_in_memory = 1000;
    size_t max_pending = 100'000;
    size_t max_unsaved = 10'000;
    int threads = 2;
    PostFn post = HttpPost;
    SendFn send = SendOutgoing;
  };
  explicit Deliverer(Options options);
  ~Deliverer();

  void Submit(const std::string& rule_arn, const domain::events::HttpTarget& target,
              std::string body);
  // A delivery that cannot be made (its body would be over the size limit): dead-lettered at
  // once, to the dead-letter file as "queue full" is, with `event` (the matched event) as its
  // body and `error` as the reason; nothing is sent or stored.
  void Fail(const std::string& rule_arn, const domain::events::HttpTarget& target,
            std::string event, const std::string& error);
  // Sets (or, with nullptr, clears) how Lambda function targets are invoked; without it their
  // attempts fail ("no Lambda service") and are retried. Clearing waits for an invocation in
  // progress, so whatever the function refers to may be destroyed once it returns.
  void SetLambdaInvoker(InvokeFn invoke);
  // Sets (or, with nullptr, clears) how API destination targets' requests are made; without
  // it their attempts fail and are retried. Clearing waits as SetLambdaInvoker's does.
  void SetApiDestinationResolver(ApiDestinationFn resolve);
  // Claims due deliveries nobody holds, as many as this node has room for, and attempts
  // them. Returns how many. A no-op once stopping.
  size_t ClaimDue();
  void Stop();
  // Deliveries dead-lettered by this node so far (for tests and metrics).
  uint64_t dead_lettered() const;
  // Submit calls so far; WaitSettled: until the first `upto` of them are stored (or
  // dead-lettered), so that a crash can no longer lose them; false at the deadline.
  uint64_t submitted() const;
  bool WaitSettled(uint64_t upto, std::chrono::steady_clock::time_point deadline);
  const std::string& owner() const { return owner_; }

 private:
  struct Held {
    storage::EventDelivery row;
    int64_t lease_until_ms = 0;
    int64_t due_ms = 0;
    // An API destination delivery whose turn under the destination's rate limit is due_ms:
    // sent then without asking the limiter again.
    bool turn_reserved = false;
    bool operator>(const Held& o) const { return due_ms > o.due_ms; }
  };
  // A delivery of body to target, due now (retries and age limits left to the caller).
  storage::EventDelivery NewDelivery(const std::string& rule_arn,
                                     const domain::events::HttpTarget& target,
                                     std::string body) const;
  void Persist();
  // n more submitted deliveries are stored or dead-lettered (WaitSettled).
  void Settle(size_t n);
  void Run();
  // One attempt of d (under its lease) and its outcome, recorded. True when d went back to
  // the queue (a retry, its rate-limit turn, an unreachable store): it is still held here.
  bool Attempt(Held d);
  void Push(Held d);
  void DeadLetterFile(const storage::EventDelivery& d, const std::string& error);
  // One attempt's send: the POST, or the Lambda invocation of a function ARN target, or the
  // API destination's request. *wait_ms > 0 (nothing sent, no attempt): an API destination
  // delivery over the destination's rate, whose turn is that far off (d.turn_reserved).
  Status Send(Held& d, int64_t* wait_ms);

  Options options_;
  std::string owner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;        // attempt threads
  std::condition_variable persist_cv_;
  std::vector<storage::EventDelivery> unsaved_;
  std::priority_queue<Held, std::vector<Held>, std::greater<Held>> queue_;
  // The ids of the rows in queue_ or being attempted: ClaimDue queues none of them again.
  std::unordered_set<std::string> held_ids_;
  size_t in_flight_ = 0;
  bool stopping_ = false;
  bool recovered_ = false;  // the previous start's leases were freed (Persist)
  uint64_t dead_lettered_ = 0;
  uint64_t backlog_full_ = 0;
  uint64_t submitted_ = 0;  // Submit calls
  // Of them, stored or dead-lettered. Stored in Submit order (unsaved_ is FIFO); only one
  // dead-lettered at once ("queue full") can pass earlier ones still unsaved.
  uint64_t settled_ = 0;
  std::condition_variable settled_cv_;
  std::mutex file_mu_;
  // Held shared by an invocation, exclusively by SetLambdaInvoker.
  std::shared_mutex invoke_mu_;
  InvokeFn invoke_;
  ApiDestinationFn resolve_;
  RateLimiter rate_limits_;  // by API destination ARN
  std::thread persister_;
  std::vector<std::thread> threads_;
};

}  // namespace arcana::events
