#include "domain/events/schedule_times.h"

#include <bitset>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "domain/events/schedule_expression.h"

namespace arcana::domain::events {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int kMaxYear = 9999;

// Proleptic Gregorian calendar <-> days since 1970-01-01 (H. Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int year, month, day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(yoe + era * 400 + (m <= 2)), m, d};
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Cron's day of the week: 1 = Sunday ... 7 = Saturday (1970-01-01 was a Thursday).
int CronWeekday(int64_t days) { return static_cast<int>(((days % 7) + 7 + 4) % 7) + 1; }

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// One value of a field: digits, or a three-letter name (month and day-of-week fields).
int CronValueOf(std::string_view v, const char* const* names, int first) {
  if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0]))) {
    return std::stoi(std::string(v));
  }
  const int count = names == kMonthNames ? 12 : names == kDayNames ? 7 : 0;
  for (int i = 0; i < count; ++i) {
    bool same = v.size() == 3;
    for (size_t k = 0; same && k < 3; ++k) {
      same = std::toupper(static_cast<unsigned char>(v[k])) == names[i][k];
    }
    if (same) return first + i;
  }
  return -1;
}

// The values a plain field (lists of values, ranges and steps, or "*") selects, in [lo, hi].
std::vector<bool> Select(std::string_view field, int lo, int hi, const char* const* names) {
  std::vector<bool> on(hi + 1, false);
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    if (comma == std::string_view::npos) comma = field.size();
    std::string_view item = field.substr(start, comma - start);
    start = comma + 1;
    int step = 1;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      step = std::stoi(std::string(item.substr(slash + 1)));
      item = item.substr(0, slash);
    }
    int from = lo, to = hi;
    bool single = false;
    if (item != "*") {
      if (size_t dash = item.find('-'); dash != std::string_view::npos) {
        from = CronValueOf(item.substr(0, dash), names, lo);
        to = CronValueOf(item.substr(dash + 1), names, lo);
      } else {
        from = CronValueOf(item, names, lo);
        single = step == 1;  // "5" alone; "5/10" runs from 5 to the end in steps
        to = single ? from : hi;
      }
    }
    if (from < lo || from > hi || to < lo || to > hi) continue;
    // A range whose end is below its start wraps past the field's end (FRI-MON).
    const int span = to >= from ? to - from : (hi - from) + (to - lo) + 1;
    for (int k = 0; k <= span; k += step) {
      int v = from + k;
      if (v > hi) v -= hi - lo + 1;
      on[v] = true;
    }
  }
  return on;
}

std::vector<std::string_view> Fields(std::string_view body) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find(' ', start);
    if (end == std::string_view::npos) end = body.size();
    out.push_back(body.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class Cron {
 public:
  // body: the six fields of a well-formed cron expression.
  explicit Cron(std::string_view body) {
    auto f = Fields(body);
    minutes_ = Select(f[0], 0, 59, nullptr);
    hours_ = Select(f[1], 0, 23, nullptr);
    months_ = Select(f[3], 1, 12, kMonthNames);
    years_ = Select(f[5], 0, kMaxYear, nullptr);
    by_weekday_ = f[2] == "?";
    if (by_weekday_) {
      std::string_view dow = f[4];
      if (dow == "L") {
        weekdays_ = Select("7", 1, 7, kDayNames);
      } else if (dow.size() > 1 && dow.back() == 'L') {
        last_weekday_ = CronValueOf(dow.substr(0, dow.size() - 1), kDayNames, 1);
      } else if (size_t hash = dow.find('#'); hash != std::string_view::npos) {
        nth_weekday_ = CronValueOf(dow.substr(0, hash), kDayNames, 1);
        nth_ = dow[hash + 1] - '0';
      } else {
        weekdays_ = Select(dow, 1, 7, kDayNames);
      }
    } else {
      std::string_view dom = f[2];
      if (dom == "L") {
        last_day_ = true;
      } else if (dom == "LW") {
        last_workday_ = true;
      } else if (dom.size() > 1 && dom.back() == 'W') {
        nearest_workday_to_ = CronValueOf(dom.substr(0, dom.size() - 1), nullptr, 1);
      } else {
        days_ = Select(dom, 1, 31, nullptr);
      }
    }
  }

  std::optional<int64_t> NextAfter(int64_t after_ms) const {
    // The first whole minute strictly after after_ms.
    int64_t minute = (after_ms >= 0 ? after_ms / kMinuteMs : (after_ms - kMinuteMs + 1) / kMinuteMs) + 1;
    int64_t days = minute >= 0 ? minute / 1440 : (minute - 1439) / 1440;
    int first_minute_of_day = static_cast<int>(minute - days * 1440);
    // Every pass moves to a later day, month or year; years end at kMaxYear.
    for (;;) {
      const Civil c = CivilFromDays(days);
      if (c.year > kMaxYear) return std::nullopt;
      if (c.year < 0 || !years_[c.year]) {
        days = DaysFromCivil(c.year + 1, 1, 1);
        first_minute_of_day = 0;
        continue;
      }
      if (!months_[c.month]) {
        days = c.month == 12 ? DaysFromCivil(c.year + 1, 1, 1) : DaysFromCivil(c.year, c.month + 1, 1);
        first_minute_of_day = 0;
        continue;
      }
      if (DayMatches(c, days)) {
        for (int m = first_minute_of_day; m < 1440; ++m) {
          if (hours_[m / 60] && minutes_[m % 60]) return (days * 1440 + m) * kMinuteMs;
        }
      }
      ++days;
      first_minute_of_day = 0;
    }
  }

 private:
  bool DayMatches(const Civil& c, int64_t days) const {
    const int dim = DaysInMonth(c.year, c.month);
    if (by_weekday_) {
      const int wd = CronWeekday(days);
      if (last_weekday_ > 0) return wd == last_weekday_ && c.day + 7 > dim;
      if (nth_weekday_ > 0) return wd == nth_weekday_ && (c.day - 1) / 7 + 1 == nth_;
      return weekdays_[wd];
    }
    if (last_day_) return c.day == dim;
    if (last_workday_) return c.day == Workday(c, days, dim, dim);
    if (nearest_workday_to_ > 0) {
      return nearest_workday_to_ <= dim && c.day == Workday(c, days, nearest_workday_to_, dim);
    }
    return days_[c.day];
  }

  // The weekday (Monday-Friday) nearest day `target` of c's month, never leaving the month
  // (Quartz's rule: the 1st on a Saturday moves to Monday the 3rd).
  static int Workday(const Civil& c, int64_t days, int target, int dim) {
    const int wd = CronWeekday(days - c.day + target);
    if (wd == 7) return target == 1 ? 3 : target - 1;    // Saturday
    if (wd == 1) return target == dim ? target - 2 : target + 1;  // Sunday
    return target;
  }

  std::vector<bool> minutes_, hours_, months_, years_;
  bool by_weekday_ = false;
  std::vector<bool> days_ = std::vector<bool>(32, false);
  std::vector<bool> weekdays_ = std::vector<bool>(8, false);
  bool last_day_ = false, last_workday_ = false;
  int nearest_workday_to_ = 0;
  int last_weekday_ = 0;
  int nth_weekday_ = 0, nth_ = 0;
};

int64_t RatePeriodMs(std::string_view body) {
  const size_t space = body.find(' ');
  const int64_t n = std::stoll(std::string(body.substr(0, space)));
  const std::string_view unit = body.substr(space + 1);
  const int64_t unit_ms = unit.starts_with("minute") ? kMinuteMs
                          : unit.starts_with("hour") ? 60 * kMinuteMs
                                                     : 1440 * kMinuteMs;
  return n * unit_ms;
}

}  // namespace

std::optional<int64_t> NextScheduledRunMs(std::string_view expression, int64_t created_ms,
                                          int64_t after_ms) {
  auto kind = ParseScheduleExpression(expression);
  if (!kind) return std::nullopt;
  // The body between "rate(" or "cron(" (both five characters) and the closing ")".
  const std::string_view body = expression.substr(5, expression.size() - 6);
  if (*kind == ScheduleKind::kRate) {
    const int64_t period = RatePeriodMs(body);
    if (after_ms < created_ms) return created_ms + period;
    return created_ms + ((after_ms - created_ms) / period + 1) * period;
  }
  return Cron(body).NextAfter(after_ms);
}

}  // namespace arcana::domain::events
