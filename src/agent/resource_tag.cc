#include "agent/resource_tag.h"

namespace arcana::agent {

std::string CacheTagOf(std::string_view arn) {
  // arn : partition : service : region : account : resource
  constexpr std::string_view kService = "secretsmanager";
  if (arn.substr(0, 4) != "arn:") return std::string(arn);
  const size_t service_at = arn.find(':', 4);
  if (service_at == std::string_view::npos) return std::string(arn);
  const size_t region_at = arn.find(':', service_at + 1);
  if (region_at == std::string_view::npos ||
      arn.substr(service_at + 1, region_at - service_at - 1) != kService) {
    return std::string(arn);
  }
  const size_t account_at = arn.find(':', region_at + 1);
  if (account_at == std::string_view::npos) return std::string(arn);
  std::string tag(arn.substr(0, region_at + 1));
  tag.append(arn.substr(account_at));
  return tag;
}

}  // namespace arcana::agent
