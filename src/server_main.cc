// arcanad: the server process. See app/server_app.cc for the start-up sequence.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/server_app.h"
#include "config/config.h"
#include "crypto/secure_memory.h"

#include <cstdlib>
#include <string_view>

int main(int argc, char** argv) {
  bool exit_now = false;
  auto cfg = arcana::config::LoadConfig(argc, argv, &exit_now);
  if (!cfg.ok()) {
    spdlog::critical("{}", cfg.status().message());
    return 2;
  }
  if (exit_now) return 0;
  // No core dumps: they would hold the root key and opened secrets. ARCANA_ALLOW_CORE_DUMPS=1
  // keeps them possible for debugging (key pages stay excluded: crypto/secure_memory.h).
  const char* allow_dumps = std::getenv("ARCANA_ALLOW_CORE_DUMPS");
  if (allow_dumps == nullptr || std::string_view(allow_dumps) != "1") {
    if (!arcana::crypto::HardenProcess()) spdlog::warn("could not disable core dumps");
  }
  arcana::crypto::InitSecureHeap();
  // Logs (and audit lines) go to stderr; stdout is left to the one-time banners.
  spdlog::set_default_logger(spdlog::stderr_color_mt("arcanad"));
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  return arcana::app::RunServer(*cfg);
}
