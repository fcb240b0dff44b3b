// arcana-agent's HTTP interface: the AWS Secrets Manager Agent's and the Lambda
// Parameters-and-Secrets extension's (aws-wire-contracts.md 6.1, 6.2), answered from the
// encrypted cache (value_cache.h) or the upstream (upstream_client.h).
//
//   GET /ping                                   "healthy" (no token)
//   GET /secretsmanager/get?secretId=ID[&versionId=V|&versionStage=S][&refreshNow=true]
//   GET <path_prefix>ID[?versionId=&versionStage=&refreshNow=]      (default /v1/)
//   GET /systemsmanager/parameters/get?name=N[&version=V|&label=L][&withDecryption=true]
//       [&refreshNow=true]
//   GET /health, GET /metrics                   Arcana's: cache and stream state (no token;
//                                               they hold no value)
// Refusals, in the AWS agent's order and words: X-Forwarded-For -> 400 "Forwarded"; token
// missing or wrong in every ssrf_headers header -> 403 "Bad Token"; not GET -> 405 "Not
// allowed"; unknown parameter -> 400 "unknown parameter: P"; no id (the path prefix alone,
// no secretId) -> 400 "missing secret ID" / "missing parameter secretId"; other paths -> 404
// "Not found".
// A secret is answered in the AWS agent's serialization of GetSecretValueOutput (its member
// order; CreatedDate a string of epoch seconds; ARN/Name/VersionId null when absent), a
// parameter as GetParameter's body plus "ResultMetadata": {}. /start_serving needs no token
// and is 404 "Not found" (the AWS agent outside its Lambda mode).
// Upstream AWS errors pass through with their status as {"__type":..., "message":...} (no
// "message" when the error has none); unreachable -> 502 ConnectionError, timeout -> 504
// TimeoutError, else 500 InternalFailure.
// Answers from the cache carry X-Arcana-Cache: hit | miss | refresh | stale; a stale-on-error
// answer also X-Arcana-Stale: true and X-Arcana-Age (seconds since it was fetched).
// No value, token or credential is ever logged.
// Thread-safety: Handle() (worker threads) and TryInline() (I/O threads) run concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "agent/agent_config.h"
#include "agent/agent_metrics.h"
#include "agent/change_subscriber.h"
#include "agent/upstream_client.h"
#include "agent/value_cache.h"
#include "crypto/secure_memory.h"
#include "net/http_server.h"
#include "net/http_types.h"

namespace arcana::agent {

// What the handler fetches from: the Secrets Manager and SSM upstream calls (tests pass fakes).
using UpstreamCall = std::function<Result<UpstreamReply>(std::string_view target,
                                                         std::string_view body)>;

struct AgentDeps {
  UpstreamCall secrets_manager;  // target "secretsmanager.GetSecretValue"
  UpstreamCall ssm;              // target "AmazonSSM.GetParameter"
  ChangeSubscriber* stream = nullptr;  // null: invalidation off (TTL only)
  // The stream follows the Secrets Manager endpoint's store: parameters fetched from another
  // endpoint (ssm_endpoint elsewhere) are not in it, so they keep to their TTL alone.
  bool stream_covers_ssm = true;
};

class AgentHandler {
 public:
  AgentHandler(const AgentConfig& cfg, crypto::SecretString ssrf_token, ValueCache& cache,
               AgentMetrics& metrics, AgentDeps deps);

  void Handle(net::HttpRequest& req, net::HttpResponse& res);
  // The server's try_inline (net/http_server.h), on the I/O thread: answers what needs no
  // waiting right there (/ping, /health, /metrics, refusals, and a fresh cache hit that needs
  // no freshness read: TTL-only, or check_freshness = false) and returns true, having taken
  // and called `respond`. Anything that would wait returns false with `respond` untouched,
  // and a worker runs the request through Handle.
  bool TryInline(net::HttpRequest& req, net::Respond& respond);

 private:
  struct Fetch {
    std::string cache_key;
    UpstreamCall* call;
    std::string target;
    std::string body;
    bool refresh_now = false;
    bool ssm = false;
  };
  void Serve(Fetch& f, net::HttpResponse& res);
  // Latency metric and debug line of an answered request.
  void Finished(const net::HttpRequest& req, const net::HttpResponse& res,
                std::chrono::steady_clock::time_point started);
  void Route(const net::HttpRequest& req, net::HttpResponse& res);
  bool TokenOk(const net::HttpRequest& req) const;
  std::string HealthJson() const;

  AgentConfig cfg_;
  crypto::SecretString token_;
  ValueCache& cache_;
  AgentMetrics& metrics_;
  // Requests being answered by workers now: the AWS agent's max_conn check (server.rs
  // validate_max_conn) counts open connections, this counts the requests among them.
  std::atomic<int> running_{0};
  // True (and `res` the AWS agent's 429) when `running` requests, this one among them, are
  // over max_conn (+2 for /ping and /start_serving, and our /health and /metrics).
  bool OverConnectionLimit(const net::HttpRequest& req, int running,
                           net::HttpResponse& res) const;
  AgentDeps deps_;
};

// The AWS agent's error body: {"__type":"<code>", "message":"<msg>"}; {"__type":"<code>"}
// when the error has no message; always {"__type":"InternalFailure"} for that code.
std::string AgentErrorBody(std::string_view code, std::string_view message);

}  // namespace arcana::agent
