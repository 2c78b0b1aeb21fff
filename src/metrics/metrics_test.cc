#include "metrics/metrics.h"

#include <gtest/gtest.h>

namespace summit::metrics {
namespace {

TEST(Registry, RendersCountersGaugesAndCumulativeHistograms) {
  Registry r;
  DeclareStandardMetrics(r);
  r.Inc("backup_success_total", {{"set", "full"}});
  r.Inc("backup_success_total", {{"set", "full"}});
  r.Inc("backup_failure_total", {{"set", "tenant"}});
  r.Set("backup_size_bytes", {{"set", "full"}}, 1234567890);
  r.Observe("backup_duration_seconds", {{"set", "full"}}, 12.5);
  r.Observe("backup_duration_seconds", {{"set", "full"}}, 400);
  std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE backup_success_total counter\nbackup_success_total{set=\"full\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("backup_size_bytes{set=\"full\"} 1234567890\n"), std::string::npos);
  EXPECT_NE(text.find("backup_duration_seconds_bucket{set=\"full\",le=\"15\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("backup_duration_seconds_bucket{set=\"full\",le=\"600\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("backup_duration_seconds_bucket{set=\"full\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("backup_duration_seconds_sum{set=\"full\"} 412.5\n"), std::string::npos);
  auto samples = Registry::ParseSamples(text);
  ASSERT_TRUE(samples.has_value());
  EXPECT_EQ(samples->at("backup_failure_total{set=\"tenant\"}"), 1);
}

TEST(Registry, EscapesLabelValues) {
  Registry r;
  r.Declare("x", "gauge", "");
  r.Set("x", {{"path", "a\"b\\c\nd"}}, 1);
  EXPECT_NE(r.Render().find("x{path=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos);
  EXPECT_FALSE(Registry::ParseSamples("x{} notanumber").has_value());
}

}  // namespace
}  // namespace summit::metrics
