// libFuzzer target: EventBridge schedule expressions (domain/events/schedule_expression.h),
// which PutRule's ScheduleExpression reaches from the network: rate() and cron() with their
// lists, ranges, steps and L/W/# forms. Nothing may crash, hang or read out of bounds,
// whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "domain/events/schedule_expression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)arcana::domain::events::ParseScheduleExpression(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
