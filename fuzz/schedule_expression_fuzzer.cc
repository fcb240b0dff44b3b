// libFuzzer target: EventBridge schedule expressions (domain/events/schedule_expression.h),
// which PutRule's ScheduleExpression reaches from the network: rate() and cron() with their
// lists, ranges, steps and L/W/# forms, and, for the well-formed ones, when they run next
// (domain/events/schedule_times.h: the scheduler computes it at each run). Nothing may crash,
// hang or read out of bounds, whatever the bytes; a run time is a whole minute after `after`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/events/schedule_expression.h"
#include "domain/events/schedule_times.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view expression(reinterpret_cast<const char*>(data), size);
  if (!arcana::domain::events::ParseScheduleExpression(expression)) return 0;
  constexpr int64_t kCreated = 1'700'000'000'000, kAfter = 1'765'000'000'123;
  auto next = arcana::domain::events::NextScheduledRunMs(expression, kCreated, kAfter);
  if (next && *next <= kAfter) std::abort();  // never at or before `after`
  if (next && expression.starts_with("cron(") && *next % 60'000 != 0) std::abort();
  return 0;
}
