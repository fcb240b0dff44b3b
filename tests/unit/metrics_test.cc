// Metrics: label values are escaped per the Prometheus text format, and no sequence of
// Record() calls can grow the series set without bound.
#include "net/metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace arcana::net {
namespace {

size_t CountLines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(MetricsTest, EscapesBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue("plain.Op"), "plain.Op");
  EXPECT_EQ(EscapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapeLabelValue("a\"b"), "a\\\"b");
  EXPECT_EQ(EscapeLabelValue("a\nb"), "a\\nb");
  EXPECT_EQ(EscapeLabelValue("\"} 1\nevil_metric{x=\""), "\\\"} 1\\nevil_metric{x=\\\"");
}

TEST(MetricsTest, HostileLabelCannotInjectLines) {
  Metrics m;
  m.Record("ok.Op", "", 0.001);
  const size_t baseline = CountLines(m.RenderPrometheus());
  Metrics hostile;
  hostile.Record("x\"} 1\nfake_total{a=\"", "", 0.001);
  std::string out = hostile.RenderPrometheus();
  EXPECT_EQ(CountLines(out), baseline);  // same shape: nothing injected
  EXPECT_EQ(out.find("\nfake_total"), std::string::npos);
  EXPECT_NE(out.find("operation=\"x\\\"} 1\\nfake_total{a=\\\"\""), std::string::npos) << out;
}

TEST(MetricsTest, DistinctOperationsAreCapped) {
  Metrics m;
  for (size_t i = 0; i < Metrics::kMaxOperations + 500; ++i) {
    m.Record("op" + std::to_string(i), "", 0.001);
  }
  std::string out = m.RenderPrometheus();
  size_t series = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("arcana_requests_total{", 0) == 0) ++series;
  }
  EXPECT_LE(series, Metrics::kMaxOperations + 1);  // + "unknown"
  EXPECT_NE(out.find("operation=\"unknown\",code=\"OK\"} 500"), std::string::npos);
}

TEST(MetricsTest, ErrorCodeLabelAndCounts) {
  Metrics m;
  m.Record("secretsmanager.GetSecretValue", "", 0.001);
  m.Record("secretsmanager.GetSecretValue", "ResourceNotFoundException", 0.001);
  m.Record("secretsmanager.GetSecretValue", "ResourceNotFoundException", 0.001);
  std::string out = m.RenderPrometheus();
  EXPECT_NE(out.find("arcana_requests_total{operation=\"secretsmanager.GetSecretValue\","
                     "code=\"OK\"} 1\n"),
            std::string::npos);
  EXPECT_NE(out.find("arcana_requests_total{operation=\"secretsmanager.GetSecretValue\","
                     "code=\"ResourceNotFoundException\"} 2\n"),
            std::string::npos);
  EXPECT_NE(out.find("arcana_request_duration_seconds_count{operation="
                     "\"secretsmanager.GetSecretValue\"} 3\n"),
            std::string::npos);
}

}  // namespace
}  // namespace arcana::net
