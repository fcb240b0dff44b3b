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

bool ValidCron(std::string_view body) {
  int fields = 0;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find(' ', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view field = body.substr(start, end - start);
    if (field.empty()) return false;  // leading, trailing or doubled space
    for (char c : field) {
      if (!std::isalnum(static_cast<unsigned char>(c)) &&
          std::string_view("*?,-/#").find(c) == std::string_view::npos) {
        return false;
      }
    }
    ++fields;
    start = end + 1;
  }
  return fields == 6;
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
