#include "domain/secretsmanager/rotation_rules.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace arcana::domain::sm {
namespace {

constexpr int64_t kSecondsPerHour = 3600;
constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMaxDays = 1000;
constexpr int64_t kMinRateHours = 4;
constexpr int64_t kSearchDays = 366 * 8 + 2;  // covers every leap-year pattern

Status Invalid(std::string msg) { return Status(ErrorCode::kInvalidParameter, std::move(msg)); }

// ---- calendar (proleptic Gregorian, UTC; H. Hinnant's algorithms) ----

struct Civil {
  int64_t y;
  unsigned m, d;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// ---- small parsing helpers ----

bool ParseUint(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 9) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::vector<std::string_view> Split(std::string_view s, char sep, bool skip_empty) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    std::string_view part = s.substr(start, p == std::string_view::npos ? p : p - start);
    if (!skip_empty || !part.empty()) out.push_back(part);
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// ---- cron model ----

struct Item {
  // kNearestWorkday: "nW" (DoM), the Monday-Friday closest to day n within its month;
  // kLastWorkday: "LW" (DoM), the month's last Monday-Friday.
  enum Kind { kRange, kLast, kLastWeekday, kNthWeekday, kNearestWorkday, kLastWorkday } kind = kRange;
  int64_t lo = 0, hi = 0, step = 1;  // kRange
  int64_t weekday = 0, nth = 0;      // kLastWeekday / kNthWeekday
};

struct Cron {
  std::array<bool, 24> hours{};
  std::array<bool, 13> months{};  // index 1..12
  bool use_dom = true;            // false: DoM is '?', DoW decides
  std::vector<Item> dom, dow;
};

struct Schedule {
  enum Kind { kNone, kRateHours, kRateDays, kCron } kind = kNone;
  int64_t n = 0;
  Cron cron;
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

template <size_t N>
bool ParseValue(std::string_view s, int64_t lo, int64_t hi,
                const std::array<std::string_view, N>* names, int64_t* out) {
  if (names) {
    std::string up = Upper(s);
    for (size_t i = 0; i < N; ++i) {
      if (up == (*names)[i]) {
        *out = static_cast<int64_t>(i) + 1;
        return true;
      }
    }
  }
  return ParseUint(s, out) && *out >= lo && *out <= hi;
}

// Parses one comma-separated element of the `* N N-M */S N/S N-M/S` family.
template <size_t N>
bool ParseRangeItem(std::string_view s, int64_t lo, int64_t hi,
                    const std::array<std::string_view, N>* names, Item* item) {
  item->kind = Item::kRange;
  item->step = 1;
  std::string_view base = s;
  size_t slash = s.find('/');
  bool has_step = slash != std::string_view::npos;
  if (has_step) {
    base = s.substr(0, slash);
    if (!ParseUint(s.substr(slash + 1), &item->step) || item->step < 1) return false;
  }
  if (base == "*") {
    item->lo = lo;
    item->hi = hi;
    return true;
  }
  size_t dash = base.find('-');
  if (dash == std::string_view::npos) {
    if (!ParseValue(base, lo, hi, names, &item->lo)) return false;
    item->hi = has_step ? hi : item->lo;  // "N/S" means from N every S
    return true;
  }
  if (!ParseValue(base.substr(0, dash), lo, hi, names, &item->lo) ||
      !ParseValue(base.substr(dash + 1), lo, hi, names, &item->hi)) {
    return false;
  }
  return item->lo <= item->hi;
}

bool InItem(const Item& it, int64_t v) {
  return v >= it.lo && v <= it.hi && (v - it.lo) % it.step == 0;
}

Status ParseCron(std::string_view body, Cron* cron) {
  auto fields = Split(body, ' ', /*skip_empty=*/true);
  if (fields.size() != 6) {
    return Invalid(
        "Invalid ScheduleExpression: a cron expression needs 6 fields: "
        "cron(Minutes Hours Day-of-month Month Day-of-week Year).");
  }
  const std::array<std::string_view, 0>* no_names = nullptr;
  if (fields[0] != "0") return Invalid("Invalid ScheduleExpression: the Minutes field must be 0.");
  if (fields[5] != "*") return Invalid("Invalid ScheduleExpression: the Year field must be *.");

  for (auto part : Split(fields[1], ',', false)) {
    Item it;
    if (!ParseRangeItem(part, 0, 23, no_names, &it)) {
      return Invalid("Invalid ScheduleExpression: bad Hours field '" + std::string(fields[1]) + "'.");
    }
    for (int64_t h = it.lo; h <= it.hi; h += it.step) cron->hours[h] = true;
  }
  for (auto part : Split(fields[3], ',', false)) {
    Item it;
    if (!ParseRangeItem(part, 1, 12, &kMonthNames, &it)) {
      return Invalid("Invalid ScheduleExpression: bad Month field '" + std::string(fields[3]) + "'.");
    }
    for (int64_t m = it.lo; m <= it.hi; m += it.step) cron->months[m] = true;
  }

  std::string_view dom = fields[2], dow = fields[4];
  if ((dom == "?") == (dow == "?")) {
    return Invalid(
        "Invalid ScheduleExpression: exactly one of Day-of-month and Day-of-week must be ?.");
  }
  cron->use_dom = dow == "?";
  if (cron->use_dom) {
    for (auto part : Split(dom, ',', false)) {
      Item it;
      int64_t n = 0;
      if (part == "L") {
        it.kind = Item::kLast;
      } else if (part == "LW") {
        it.kind = Item::kLastWorkday;
      } else if (part.size() > 1 && part.back() == 'W' && ParseUint(part.substr(0, part.size() - 1), &n) &&
                 n >= 1 && n <= 31) {
        it.kind = Item::kNearestWorkday;
        it.lo = n;
      } else if (!ParseRangeItem(part, 1, 31, no_names, &it)) {
        return Invalid("Invalid ScheduleExpression: bad Day-of-month field '" + std::string(dom) + "'.");
      }
      cron->dom.push_back(it);
    }
  } else {
    for (auto part : Split(dow, ',', false)) {
      Item it;
      size_t hash = part.find('#');
      bool ok = true;
      if (part == "L") {  // bare L in DoW = the last day of the week, Saturday
        it.lo = it.hi = 7;
      } else if (hash != std::string_view::npos) {
        it.kind = Item::kNthWeekday;
        ok = ParseValue(part.substr(0, hash), 1, 7, &kDayNames, &it.weekday) &&
             ParseUint(part.substr(hash + 1), &it.nth) && it.nth >= 1 && it.nth <= 5;
      } else if (part.size() > 1 && (part.back() == 'L' || part.back() == 'l')) {
        it.kind = Item::kLastWeekday;
        ok = ParseValue(part.substr(0, part.size() - 1), 1, 7, &kDayNames, &it.weekday);
      } else {
        ok = ParseRangeItem(part, 1, 7, &kDayNames, &it);
      }
      if (!ok) {
        return Invalid("Invalid ScheduleExpression: bad Day-of-week field '" + std::string(dow) + "'.");
      }
      cron->dow.push_back(it);
    }
  }
  if (std::none_of(cron->hours.begin(), cron->hours.end(), [](bool b) { return b; }) ||
      std::none_of(cron->months.begin() + 1, cron->months.end(), [](bool b) { return b; })) {
    return Invalid("Invalid ScheduleExpression: the cron expression selects no time.");
  }
  return Status::Ok();
}

// 1970-01-01 was a Thursday; AWS numbers weekdays 1=SUN..7=SAT.
int64_t WeekdayOf(int64_t days_since_epoch) { return ((days_since_epoch % 7 + 7 + 4) % 7) + 1; }

// The day of the month (1..dim) of the Monday-Friday nearest to day n of the month that
// starts at first_day (days since epoch); never leaves the month. 0 when n > dim.
int64_t NearestWorkday(int64_t first_day, int64_t n, int64_t dim) {
  if (n > dim) return 0;
  const int64_t wd = WeekdayOf(first_day + n - 1);
  if (wd == 7) return n == 1 ? n + 2 : n - 1;    // Saturday: Friday, or Monday after the 1st
  if (wd == 1) return n == dim ? n - 2 : n + 1;  // Sunday: Monday, or Friday before the last
  return n;
}

bool DayMatches(const Cron& c, int64_t days_since_epoch) {
  Civil cv = CivilFromDays(days_since_epoch);
  if (!c.months[cv.m]) return false;
  const int64_t d = cv.d, dim = DaysInMonth(cv.y, cv.m);
  const int64_t first_day = days_since_epoch - d + 1;
  if (c.use_dom) {
    for (const auto& it : c.dom) {
      switch (it.kind) {
        case Item::kLast:
          if (d == dim) return true;
          break;
        case Item::kNearestWorkday:
          if (d == NearestWorkday(first_day, it.lo, dim)) return true;
          break;
        case Item::kLastWorkday: {
          const int64_t wd = WeekdayOf(first_day + dim - 1);
          if (d == dim - (wd == 7 ? 1 : wd == 1 ? 2 : 0)) return true;
          break;
        }
        default:
          if (InItem(it, d)) return true;
      }
    }
    return false;
  }
  const int64_t wd = WeekdayOf(days_since_epoch);
  for (const auto& it : c.dow) {
    switch (it.kind) {
      case Item::kRange:
        if (InItem(it, wd)) return true;
        break;
      case Item::kLastWeekday:
        if (wd == it.weekday && d + 7 > dim) return true;
        break;
      case Item::kNthWeekday:
        if (wd == it.weekday && (d - 1) / 7 + 1 == it.nth) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

bool AllDaysMatch(const Cron& c) {
  bool all_months = std::all_of(c.months.begin() + 1, c.months.end(), [](bool b) { return b; });
  auto full = [](const std::vector<Item>& items, int64_t lo, int64_t hi) {
    return items.size() == 1 && items[0].kind == Item::kRange && items[0].lo == lo &&
           items[0].hi == hi && items[0].step == 1;
  };
  return all_months && (c.use_dom ? full(c.dom, 1, 31) : full(c.dow, 1, 7));
}

int64_t NextCron(const Cron& c, int64_t from) {
  const int64_t t = (FloorDiv(from, kSecondsPerHour) + 1) * kSecondsPerHour;  // strictly after
  const int64_t first_day = FloorDiv(t, kSecondsPerDay);
  for (int64_t day = first_day; day < first_day + kSearchDays; ++day) {
    if (!DayMatches(c, day)) continue;
    const int64_t day_start = day * kSecondsPerDay;
    for (int64_t h = 0; h < 24; ++h) {
      int64_t at = day_start + h * kSecondsPerHour;
      if (c.hours[h] && at >= t) return at;
    }
  }
  return -1;
}

Status ParseRate(std::string_view body, Schedule* s) {
  auto parts = Split(body, ' ', /*skip_empty=*/true);
  int64_t n = 0;
  if (parts.size() != 2 || !ParseUint(parts[0], &n) || n < 1) {
    return Invalid("Invalid ScheduleExpression: use rate(N hours) or rate(N days).");
  }
  std::string unit = Upper(parts[1]);
  if (unit == "HOUR" || unit == "HOURS") {
    if (n < kMinRateHours || n > kMaxDays * 24) {
      return Invalid(
          "Invalid ScheduleExpression: a rotation schedule in hours must be between 4 and "
          "24000 hours; Secrets Manager rotates at most every four hours.");
    }
    s->kind = Schedule::kRateHours;
  } else if (unit == "DAY" || unit == "DAYS") {
    if (n > kMaxDays) {
      return Invalid("Invalid ScheduleExpression: a rotation schedule in days must be between 1 and 1000 days.");
    }
    s->kind = Schedule::kRateDays;
  } else {
    return Invalid("Invalid ScheduleExpression: the rate unit must be hours or days.");
  }
  s->n = n;
  return Status::Ok();
}

Status ParseSchedule(std::string_view expr, Schedule* s) {
  if (expr.empty() || expr.size() > 256) {
    return Invalid("Invalid ScheduleExpression: it must be between 1 and 256 characters.");
  }
  for (char c : expr) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              std::string_view("()#?*-/, ").find(c) != std::string_view::npos;
    if (!ok) return Invalid("Invalid ScheduleExpression: it contains an invalid character.");
  }
  auto body_of = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (expr.size() < prefix.size() + 1 || expr.substr(0, prefix.size()) != prefix ||
        expr.back() != ')') {
      return std::nullopt;
    }
    return expr.substr(prefix.size(), expr.size() - prefix.size() - 1);
  };
  if (auto body = body_of("rate(")) return ParseRate(*body, s);
  if (auto body = body_of("cron(")) {
    s->kind = Schedule::kCron;
    return ParseCron(*body, &s->cron);
  }
  return Invalid("Invalid ScheduleExpression: it must be rate(...) or cron(...).");
}

// Hours of the window; nullopt when no Duration was given.
Result<std::optional<int64_t>> ParseDuration(const std::optional<std::string>& duration) {
  if (!duration) return std::optional<int64_t>();
  std::string_view d = *duration;
  int64_t h = 0;
  if (d.size() < 2 || d.back() != 'h' || !ParseUint(d.substr(0, d.size() - 1), &h) || h < 1 ||
      h > 24) {
    return Invalid("Invalid Duration: use <N>h with N between 1 and 24, for example 3h.");
  }
  return std::optional<int64_t>(h);
}

Status ParseRules(const RotationRules& r, Schedule* s, std::optional<int64_t>* dur_hours) {
  if (r.automatically_after_days && r.schedule_expression) {
    // AWS's words (recorded in terraform-provider-aws issues #30540 and #33329).
    return Invalid("You cannot specify both rotation frequency and schedule expression together.");
  }
  if (r.automatically_after_days &&
      (*r.automatically_after_days < 1 || *r.automatically_after_days > kMaxDays)) {
    return Invalid("AutomaticallyAfterDays must be between 1 and 1000.");
  }
  if (r.schedule_expression) ARCANA_RETURN_IF_ERROR(ParseSchedule(*r.schedule_expression, s));
  ARCANA_ASSIGN_OR_RETURN(*dur_hours, ParseDuration(r.duration));
  return Status::Ok();
}

Status CheckCronSpacing(const Cron& c, std::optional<int64_t> dur) {
  std::vector<int64_t> hours;
  for (int64_t h = 0; h < 24; ++h) {
    if (c.hours[h]) hours.push_back(h);
  }
  for (size_t i = 0; i < hours.size(); ++i) {
    bool last = i + 1 == hours.size();
    if (!last && hours[i + 1] - hours[i] < kMinRateHours) {
      return Invalid(
          "Invalid ScheduleExpression: Secrets Manager rotates at most every four hours.");
    }
    if (last && hours.size() > 1 && AllDaysMatch(c) && 24 - hours[i] + hours[0] < kMinRateHours) {
      return Invalid(
          "Invalid ScheduleExpression: Secrets Manager rotates at most every four hours.");
    }
    if (dur) {
      int64_t limit = last ? 24 - hours[i] : hours[i + 1] - hours[i];
      if (*dur > limit) {
        return Invalid(
            "The rotation window (Duration) overlaps the next rotation window or extends "
            "into the next UTC day.");
      }
    }
  }
  if (NextCron(c, 0) < 0) {
    return Invalid("Invalid ScheduleExpression: the cron expression never matches a date.");
  }
  return Status::Ok();
}

// Windows start on the hour and `end` is their last second (AWS documents NextRotationDate as
// the latest time rotation will happen). Without Duration a window closes after one hour for
// schedules in hours and at the end of its UTC day for schedules in days (AWS's defaults).
RotationWindow WindowFrom(int64_t start, std::optional<int64_t> dur, bool in_hours) {
  if (dur) return {start, start + *dur * kSecondsPerHour - 1};
  if (in_hours) return {start, start + kSecondsPerHour - 1};
  return {start, FloorDiv(start, kSecondsPerDay) * kSecondsPerDay + kSecondsPerDay - 1};
}

// AutomaticallyAfterDays N and rate(N days): the UTC day containing from + N days.
RotationWindow DailyWindow(int64_t from, int64_t days, std::optional<int64_t> dur) {
  int64_t day_start = FloorDiv(from + days * kSecondsPerDay, kSecondsPerDay) * kSecondsPerDay;
  return WindowFrom(day_start, dur, /*in_hours=*/false);
}

// rate(N hours): windows start every N hours from 1970-01-01T00:00Z, so on the hour and, when
// N divides 24, at the same hours every day starting at midnight ("the rotation window starts
// at midnight"). The next one is the window after the one `from` falls in (as days-based
// schedules take the day containing from + N days).
RotationWindow HourlyWindow(int64_t from, int64_t hours, std::optional<int64_t> dur) {
  const int64_t period = hours * kSecondsPerHour;
  return WindowFrom((FloorDiv(from, period) + 1) * period, dur, /*in_hours=*/true);
}

// A cron expression "represents a schedule in hours" when it fires at more than one hour of
// the day; one firing hour a day (or less often) is a schedule in days.
bool CronInHours(const Cron& c) {
  return std::count(c.hours.begin(), c.hours.end(), true) > 1;
}

}  // namespace

Status ValidateRotationRules(const RotationRules& rules) {
  Schedule s;
  std::optional<int64_t> dur;
  ARCANA_RETURN_IF_ERROR(ParseRules(rules, &s, &dur));
  if (s.kind == Schedule::kRateHours && dur && *dur > s.n) {
    return Invalid("The rotation window (Duration) is longer than the rotation interval.");
  }
  if (s.kind == Schedule::kCron) ARCANA_RETURN_IF_ERROR(CheckCronSpacing(s.cron, dur));
  return Status::Ok();
}

std::optional<RotationWindow> NextRotationWindow(const RotationRules& rules,
                                                int64_t from_epoch_seconds) {
  Schedule s;
  std::optional<int64_t> dur;
  if (!ParseRules(rules, &s, &dur).ok()) return std::nullopt;
  if (rules.automatically_after_days) {
    return DailyWindow(from_epoch_seconds, *rules.automatically_after_days, dur);
  }
  switch (s.kind) {
    case Schedule::kRateHours:
      return HourlyWindow(from_epoch_seconds, s.n, dur);
    case Schedule::kRateDays:
      return DailyWindow(from_epoch_seconds, s.n, dur);
    case Schedule::kCron: {
      const int64_t start = NextCron(s.cron, from_epoch_seconds);
      if (start < 0) return std::nullopt;
      return WindowFrom(start, dur, CronInHours(s.cron));
    }
    case Schedule::kNone:
      break;
  }
  return std::nullopt;
}

int64_t NextRotationDate(const RotationRules& rules, int64_t from_epoch_seconds) {
  auto w = NextRotationWindow(rules, from_epoch_seconds);
  return w ? w->end : -1;
}

bool CountsFromLastRotation(const RotationRules& rules) {
  if (rules.automatically_after_days) return true;
  if (!rules.schedule_expression) return false;
  Schedule s;
  if (!ParseSchedule(*rules.schedule_expression, &s).ok()) return false;
  return s.kind == Schedule::kRateHours || s.kind == Schedule::kRateDays;
}

std::optional<int64_t> DerivedAutomaticallyAfterDays(const RotationRules& rules) {
  if (rules.automatically_after_days) return rules.automatically_after_days;
  if (!rules.schedule_expression) return std::nullopt;
  Schedule s;
  if (!ParseSchedule(*rules.schedule_expression, &s).ok() || s.kind != Schedule::kRateDays) {
    return std::nullopt;
  }
  return s.n;
}

}  // namespace arcana::domain::sm
