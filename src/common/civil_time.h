// UTC calendar time: fields to Unix time, for the parsers of ISO 8601 dates (policy Date
// conditions, Parameter Store expiration policies; fields are taken as given: callers range-
// check them first, as timegm normalizes out-of-range fields instead of refusing them), and
// Unix time to text (FormatUtc, IsoUtcSeconds).
#pragma once

#include <climits>
#include <cstdint>
#include <ctime>
#include <string>

namespace arcana {

// Seconds since the Unix epoch of year-month-day hour:minute:second UTC (month 1-12).
inline int64_t EpochSecondsUtc(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

// Unix seconds as UTC text in a strftime format ("%Y-%m-%dT%H:%M:%S"); at most 63 bytes.
inline std::string FormatUtc(int64_t epoch_seconds, const char* format) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof(buf), format, &tm));
}

// Unix milliseconds as "YYYY-MM-DDTHH:MM:SSZ" (seconds, UTC), as CloudTrail and IAM's
// aws:CurrentTime write it. Every audited call and every authorization formats the time of
// the call: the text of the last second seen is kept per thread (gmtime_r and strftime cost
// about 3,000 instructions, a copy of the kept text a few dozen).
inline std::string IsoUtcSeconds(int64_t epoch_ms) {
  thread_local int64_t kept_seconds = INT64_MIN;
  thread_local std::string kept;
  const int64_t seconds = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
  if (seconds != kept_seconds) {
    kept = FormatUtc(seconds, "%Y-%m-%dT%H:%M:%SZ");
    kept_seconds = seconds;
  }
  return kept;
}

}  // namespace arcana
