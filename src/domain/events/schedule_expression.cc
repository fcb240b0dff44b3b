#include "domain/events/schedule_expression.h"

#include <cctype>
#include <string>

namespace arcana::domain::events {
namespace {

bool InParens(std::string_view& s, std::string_view head) {
  if (!s.starts_with(head) || !s.ends_with(')')) return false;
  s = s.substr(head.size(), s.size() - head.size() - 1);
  return true;
}

bool ValidRate(std::string_view body) {
  size_t space = body.find(' ');
  if (space == std::string_view::npos || space == 0) return false;
  std::string_view number = body.substr(0, space), unit = body.substr(space + 1);
  // At most 9 digits: the value must fit the 32-bit count EventBridge keeps.
  if (number.size() > 9) return false;
  for (char c : number) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  const long value = std::stol(std::string(number));
  if (value < 1) return false;
  if (value == 1) return unit == "minute" || unit == "hour" || unit == "day";
  return unit == "minutes" || unit == "hours" || unit == "days";
}

// One cron field's values, as EventBridge's cron expressions document them
// (eb-scheduled-rule-pattern, "Cron expressions"): a number in [lo, hi] or, for month and
// day-of-week, a three-letter name (JAN-DEC, SUN-SAT; any letter case).
struct CronField {
  int lo, hi;
  const char* const* names;  // nullptr, or hi - lo + 1 names for lo..hi
};

constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 4) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool CronValue(std::string_view v, const CronField& f) {
  if (AllDigits(v)) {
    int n = std::stoi(std::string(v));
    return n >= f.lo && n <= f.hi;
  }
  if (f.names == nullptr || v.size() != 3) return false;
  for (int i = 0; i <= f.hi - f.lo; ++i) {
    bool same = true;
    for (size_t k = 0; k < 3; ++k) {
      if (std::toupper(static_cast<unsigned char>(v[k])) != f.names[i][k]) same = false;
    }
    if (same) return true;
  }
  return false;
}

// value | value-value, optionally /step (the start may be * too).
bool CronRangeStep(std::string_view item, const CronField& f) {
  if (size_t slash = item.find('/'); slash != std::string_view::npos) {
    std::string_view step = item.substr(slash + 1);
    if (!AllDigits(step) || std::stoi(std::string(step)) < 1) return false;
    item = item.substr(0, slash);
    if (item == "*") return true;
  }
  if (size_t dash = item.find('-'); dash != std::string_view::npos) {
    return CronValue(item.substr(0, dash), f) && CronValue(item.substr(dash + 1), f);
  }
  return CronValue(item, f);
}

// A field: "*", or a comma-separated list of items. Day-of-month may also be "L", "LW" or
// "<day>W"; day-of-week "L", "<day>L" or "<day>#<1-5>" (the documented L, W and # forms).
enum class Which { kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek, kYear };

bool CronFieldOk(std::string_view field, Which which) {
  static const CronField kFields[] = {{0, 59, nullptr}, {0, 23, nullptr}, {1, 31, nullptr},
                                      {1, 12, kMonths}, {1, 7, kDays},
                                      // The year's documented 1970-2199 is not enforced by
                                      // AWS; any four digits are taken.
                                      {0, 9999, nullptr}};
  const CronField& f = kFields[static_cast<int>(which)];
  if (field == "*") return true;
  if (which == Which::kDayOfMonth) {
    if (field == "L" || field == "LW") return true;
    if (field.size() > 1 && field.back() == 'W') {
      return CronValue(field.substr(0, field.size() - 1), f);
    }
  }
  if (which == Which::kDayOfWeek) {
    if (field == "L") return true;
    if (field.size() > 1 && field.back() == 'L') {
      return CronValue(field.substr(0, field.size() - 1), f);
    }
    if (size_t hash = field.find('#'); hash != std::string_view::npos) {
      std::string_view nth = field.substr(hash + 1);
      return CronValue(field.substr(0, hash), f) && nth.size() == 1 && nth[0] >= '1' &&
             nth[0] <= '5';
    }
  }
  size_t start = 0;
  while (true) {
    size_t comma = field.find(',', start);
    std::string_view item =
        field.substr(start, comma == std::string_view::npos ? field.npos : comma - start);
    if (!CronRangeStep(item, f)) return false;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

// Six space-separated fields: minutes hours day-of-month month day-of-week year. Exactly one of
// day-of-month and day-of-week is "?" (AWS: "If you specify a value or a * in one of the fields,
// you must use a ? in the other").
bool ValidCron(std::string_view body) {
  std::string_view fields[6];
  int n = 0;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find(' ', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view field = body.substr(start, end - start);
    if (field.empty() || n == 6) return false;  // doubled/edge space, or a seventh field
    fields[n++] = field;
    start = end + 1;
  }
  if (n != 6) return false;
  const bool dom_any = fields[2] == "?", dow_any = fields[4] == "?";
  if (dom_any == dow_any) return false;
  for (int i = 0; i < 6; ++i) {
    if ((i == 2 && dom_any) || (i == 4 && dow_any)) continue;
    if (!CronFieldOk(fields[i], static_cast<Which>(i))) return false;
  }
  return true;
}

}  // namespace

std::optional<ScheduleKind> ParseScheduleExpression(std::string_view expression) {
  std::string_view body = expression;
  if (InParens(body, "rate(")) {
    if (ValidRate(body)) return ScheduleKind::kRate;
    return std::nullopt;
  }
  body = expression;
  if (InParens(body, "cron(") && ValidCron(body)) return ScheduleKind::kCron;
  return std::nullopt;
}

}  // namespace arcana::domain::events
