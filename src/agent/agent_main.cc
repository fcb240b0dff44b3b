// arcana-agent: a local caching agent with the AWS Secrets Manager Agent's and the Lambda
// Parameters-and-Secrets extension's interface (agent_handler.h), kept fresh by arcanad's
// change stream (change_subscriber.h). Start-up: config -> SSRF token -> credentials ->
// upstream clients -> cache -> stream -> listener. See README.md, "Caching agent".
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "agent/agent_config.h"
#include "agent/agent_handler.h"
#include "agent/change_subscriber.h"
#include "agent/credentials.h"
#include "agent/upstream_client.h"
#include "agent/value_cache.h"
#include "crypto/secure_memory.h"
#include "net/http_server.h"

namespace {

using namespace arcana;

// As the AWS agent's start-up errors: logged, and on stderr whatever the log settings (with
// log_to_file the log alone would hide why the agent did not start). Exit status 1.
int Fail(const std::string& what) {
  spdlog::critical("{}", what);
  std::cerr << what << "\n";
  return 1;
}

constexpr const char* kUsage =
    "usage: arcana-agent [--config FILE]\n"
    "  A local caching agent for Arcana (and AWS Secrets Manager / SSM Parameter Store):\n"
    "  GET http://localhost:2773/secretsmanager/get?secretId=ID with the SSRF token header\n"
    "  X-Aws-Parameters-Secrets-Token. See README.md (Caching agent).\n";

void SetUpLogging(const agent::AgentConfig& cfg) {
  std::shared_ptr<spdlog::logger> logger;
  if (cfg.log_to_file) {
    // As the AWS agent: logs/secrets_manager_agent.log under the working directory, 10 MB x 5.
    std::error_code ec;
    std::filesystem::create_directories("logs", ec);
    logger = spdlog::rotating_logger_mt("arcana-agent", "logs/secrets_manager_agent.log",
                                        10 * 1024 * 1024, 5);
    logger->flush_on(spdlog::level::info);
  } else {
    logger = spdlog::stderr_color_mt("arcana-agent");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(cfg.log_level == "none" ? spdlog::level::off
                                            : spdlog::level::from_str(cfg.log_level));
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" || a == "-c") {
      if (i + 1 >= argc) {
        std::cerr << "Argument expected\n" << kUsage;  // the AWS agent's words and status
        return 1;
      }
      config_file = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_file = a.substr(9);
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "Unknown option " << a << "\n" << kUsage;  // the AWS agent's words and status
      return 1;
    }
  }
  const agent::EnvLookup env = agent::ProcessEnv();
  auto cfg = agent::LoadAgentConfig(config_file, env);
  if (!cfg.ok()) {
    std::cerr << "arcana-agent: " << cfg.status().message() << "\n";
    return 1;  // the AWS agent's status for a refused configuration
  }
  // The cache holds values only sealed, but requests and answers pass through memory in the
  // clear: no core dumps (as arcanad).
  if (!crypto::HardenProcess()) std::cerr << "arcana-agent: could not disable core dumps\n";
  crypto::InitSecureHeap();
  SetUpLogging(*cfg);

  auto token = agent::ReadSsrfToken(*cfg, env);
  if (!token.ok()) return Fail(token.status().message());
  agent::CredentialSource credentials(*cfg, env);
  if (auto c = credentials.Current(); !c.ok()) return Fail(c.status().message());
  const std::string region = agent::ResolveRegion(*cfg, env);
  std::string ca_file = cfg->ca_file;
  if (ca_file.empty()) ca_file = env("AWS_CA_BUNDLE").value_or("");
  auto endpoint_of = [&](const std::string& service) -> Result<cli::Endpoint> {
    std::string url = agent::ResolveEndpoint(*cfg, env, service, region);
    ARCANA_ASSIGN_OR_RETURN(cli::Endpoint ep, cli::ParseEndpoint(url));
    ep.ca_file = ca_file;
    return ep;
  };
  auto sm_endpoint = endpoint_of("secretsmanager");
  if (!sm_endpoint.ok()) return Fail(sm_endpoint.status().message());
  auto ssm_endpoint = endpoint_of("ssm");
  if (!ssm_endpoint.ok()) return Fail(ssm_endpoint.status().message());
  const auto timeout = std::chrono::milliseconds(cfg->upstream_timeout_millis);

  std::unique_ptr<agent::UpstreamClient> sm, ssm;
  try {
    auto own = [&timeout](int millis) {
      return millis > 0 ? std::chrono::milliseconds(millis) : timeout;
    };
    sm = std::make_unique<agent::UpstreamClient>(*sm_endpoint, region, credentials,
                                                 own(cfg->sm_timeout_millis));
    ssm = std::make_unique<agent::UpstreamClient>(*ssm_endpoint, region, credentials,
                                                  own(cfg->ssm_timeout_millis));
  } catch (const std::exception& e) {
    return Fail(std::string("cannot set up TLS for the upstream: ") + e.what());
  }
  // The handler gives each entry its service's TTL (ttl_seconds, ssm_ttl_seconds).
  agent::ValueCache cache(static_cast<size_t>(cfg->cache_size),
                          std::chrono::seconds(cfg->ttl_seconds));
  agent::AgentMetrics metrics;
  std::unique_ptr<agent::ChangeSubscriber> stream;
  if (cfg->invalidation && (cfg->ttl_seconds > 0 || cfg->ssm_ttl_seconds > 0)) {
    stream = std::make_unique<agent::ChangeSubscriber>(*sm, cache, metrics,
                                                       cfg->change_wait_seconds, timeout);
  }
  agent::AgentDeps deps;
  deps.secrets_manager = [&sm](std::string_view target, std::string_view body) {
    return sm->CallJson("secretsmanager", target, body);
  };
  deps.ssm = [&ssm](std::string_view target, std::string_view body) {
    return ssm->CallJson("ssm", target, body);
  };
  deps.stream = stream.get();
  deps.stream_covers_ssm = sm_endpoint->tls == ssm_endpoint->tls &&
                           sm_endpoint->host == ssm_endpoint->host &&
                           sm_endpoint->port == ssm_endpoint->port;
  agent::AgentHandler handler(*cfg, std::move(token).value(), cache, metrics, std::move(deps));

  net::ServerOptions so;
  so.host = cfg->http_address;
  so.port = static_cast<unsigned short>(cfg->http_port);
  so.threads = 1;
  so.workers = 16;
  so.single_hop = true;  // as the AWS agent: IP TTL 1 on accepted sockets
  // The AWS agent accepts every connection and answers a request over max_conn (plus two for
  // health checks) 429 "Connection limit exceeded" (AgentHandler): the listener's own cap
  // stays the system's (0: derived from RLIMIT_NOFILE), so such a request is answered rather
  // than its connection closed.
  so.max_connections = 0;
  so.body_limit = 321 * 1024;
  so.request_timeout_seconds = 61;
  so.idle_timeout_seconds = 61;
  so.shutdown_grace_seconds = 5;
  so.on_stop = [&] {
    // In-flight upstream calls (the stream's long-poll among them) end now.
    sm->Shutdown();
    ssm->Shutdown();
  };
  net::Handlers handlers;
  handlers.handle = [&handler](net::HttpRequest& q, net::HttpResponse& r) { handler.Handle(q, r); };
  handlers.too_large = [](net::HttpResponse& r) {
    r.status = 413;
    r.body = "Request too large";
  };
  handlers.busy = [](net::HttpRequest&, net::HttpResponse& r) {
    r.status = 429;
    r.body = "Connection limit exceeded";
  };
  handlers.try_inline = [&handler](net::HttpRequest& q, net::Respond& respond) {
    return handler.TryInline(q, respond);
  };
  net::HttpServer server(so, std::move(handlers));
  auto bound = server.Bind();
  if (!bound.ok()) return Fail(bound.status().message());
  if (stream) stream->Start();
  // The AWS agent's start-up line on stdout, whatever the log settings: with http_port = 0
  // it is how a caller learns the port.
  std::cout << "Agent/arcana listening on http://" << cfg->http_address << ":" << *bound
            << std::endl;
  spdlog::info("arcana-agent listening on http://{}:{} (upstream {}://{}:{}, region {}, ttl {} s "
               "(parameters {} s), cache {} entries, invalidation {})",
               cfg->http_address, *bound, sm_endpoint->tls ? "https" : "http", sm_endpoint->host,
               sm_endpoint->port, region, cfg->ttl_seconds, cfg->ssm_ttl_seconds,
               cfg->cache_size,
               stream ? (cfg->check_freshness ? "stream + freshness check" : "stream")
                      : "off (TTL only)");
  const bool clean = server.Run(true);
  if (stream) stream->Stop();
  const size_t wiped = cache.Clear();  // every sealed value and then the key go
  spdlog::info("arcana-agent stopped; {} cached values wiped", wiped);
  spdlog::shutdown();
  if (!clean) std::_Exit(1);
  return 0;
}
