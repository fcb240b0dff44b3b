#include "app/events_setup.h"

namespace arcana::app {

events::EventBus* OpenEventBus(const config::Config& cfg, storage::Stores& stores,
                               audit::AuditTrail& trail) {
  storage::SecretStore& secrets = stores.secrets();
  auto stages = [&secrets](const std::string&, const std::string&, const std::string& arn,
                           const std::string& version_id)
      -> std::optional<std::vector<std::string>> {
    auto secret = secrets.GetSecretByArn(arn);
    if (!secret.ok() || !secret->has_value()) return std::nullopt;
    const auto* v = (*secret)->FindVersion(version_id);
    if (v == nullptr) return std::nullopt;
    return v->stages;
  };
  events::Deliverer::Options options;
  options.dead_letter_dir = cfg.data_dir + "/events";
  auto bus = std::make_unique<events::EventBus>(
      std::make_unique<events::RuleCache>(stores.event_rules(), stores.follower()),
      std::make_unique<events::Detector>(stages),
      std::make_unique<events::Deliverer>(std::move(options)), cfg.account_id);
  events::EventBus* raw = bus.get();
  trail.AddSink(std::move(bus));
  return raw;
}

}  // namespace arcana::app
