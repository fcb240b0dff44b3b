// arcanad: the server process. See app/server_app.cc for the start-up sequence.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/server_app.h"
#include "config/config.h"

int main(int argc, char** argv) {
  bool exit_now = false;
  auto cfg = arcana::config::LoadConfig(argc, argv, &exit_now);
  if (!cfg.ok()) {
    spdlog::critical("{}", cfg.status().message());
    return 2;
  }
  if (exit_now) return 0;
  // Logs (and audit lines) go to stderr; stdout is left to the one-time banners.
  spdlog::set_default_logger(spdlog::stderr_color_mt("arcanad"));
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  return arcana::app::RunServer(*cfg);
}
