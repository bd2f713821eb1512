#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "integrations/http_api/prometheus_text.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(PrometheusText, HelpAndTypeOncePerFamilyBeforeItsSamples) {
  PrometheusText text;
  text.gauge("adrg_container_paused", "Paused by adrg.", {{"container", "a"}}, 1);
  text.counter("adrg_actions_total", "Actions taken.", {{"action", "pause"}}, 3);
  text.gauge("adrg_container_paused", "Paused by adrg.", {{"container", "b"}}, 0);
  EXPECT_EQ(text.render(),
            "# HELP adrg_container_paused Paused by adrg.\n"
            "# TYPE adrg_container_paused gauge\n"
            "adrg_container_paused{container=\"a\"} 1\n"
            "adrg_container_paused{container=\"b\"} 0\n"
            "# HELP adrg_actions_total Actions taken.\n"
            "# TYPE adrg_actions_total counter\n"
            "adrg_actions_total{action=\"pause\"} 3\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  PrometheusText text;
  text.gauge("m", "a \\ b\nc \"q\"", {{"l", "x\\y\"z\nw"}}, 1);
  EXPECT_EQ(text.render(),
            "# HELP m a \\\\ b\\nc \"q\"\n"
            "# TYPE m gauge\n"
            "m{l=\"x\\\\y\\\"z\\nw\"} 1\n");
}

TEST(PrometheusText, DuplicateSeriesKeepOneLineWithTheLastValue) {
  PrometheusText text;
  text.gauge("m", "h", {{"a", "1"}, {"b", "2"}}, 1);
  text.gauge("m", "h", {{"b", "2"}, {"a", "1"}}, 5);  // same set, other order
  text.gauge("m", "h", {}, 7);
  text.gauge("m", "h", {}, 8);
  EXPECT_EQ(text.series_count(), 2u);
  std::string out = text.render();
  EXPECT_EQ(count(out, "m{a=\"1\",b=\"2\"} "), 1);
  EXPECT_NE(out.find("m{a=\"1\",b=\"2\"} 5\n"), std::string::npos);
  EXPECT_NE(out.find("m 8\n"), std::string::npos);
  EXPECT_EQ(count(out, "\nm "), 1);
}

TEST(PrometheusText, RepeatedLabelNameKeepsTheFirst) {
  PrometheusText text;
  text.gauge("m", "h", {{"a", "1"}, {"a", "2"}}, 1);
  EXPECT_NE(text.render().find("m{a=\"1\"} 1\n"), std::string::npos);
}

TEST(PrometheusText, TypeConflictDropsTheSample) {
  PrometheusText text;
  text.gauge("m", "h", {}, 1);
  text.counter("m", "h", {{"x", "y"}}, 2);
  EXPECT_EQ(text.dropped(), 1u);
  EXPECT_EQ(text.series_count(), 1u);
  EXPECT_EQ(count(text.render(), "# TYPE"), 1);
}

TEST(PrometheusText, SanitizesNames) {
  EXPECT_EQ(PrometheusText::sanitize_metric_name("adrg-psi.some"), "adrg_psi_some");
  EXPECT_EQ(PrometheusText::sanitize_metric_name("9lives"), "_9lives");
  EXPECT_EQ(PrometheusText::sanitize_metric_name("a:b"), "a:b");
  EXPECT_EQ(PrometheusText::sanitize_label_name("a:b"), "a_b");
  EXPECT_EQ(PrometheusText::sanitize_label_name(""), "_");
}

TEST(PrometheusText, FormatsValuesTheWayGoParsesThem) {
  EXPECT_EQ(PrometheusText::format_value(0), "0");
  EXPECT_EQ(PrometheusText::format_value(-3), "-3");
  EXPECT_EQ(PrometheusText::format_value(1.5), "1.5");
  EXPECT_EQ(PrometheusText::format_value(1e300), "1e+300");
  EXPECT_EQ(PrometheusText::format_value(std::nan("")), "NaN");
  EXPECT_EQ(PrometheusText::format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(PrometheusText::format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(PrometheusText::format_value(1234567890123.0), "1234567890123");
}

TEST(PrometheusText, EmptyAndFinalNewline) {
  PrometheusText empty;
  EXPECT_EQ(empty.render(), "");
  PrometheusText text;
  text.untyped("m", "", {}, 1);
  std::string out = text.render();
  EXPECT_EQ(out, "# TYPE m untyped\nm 1\n");
  EXPECT_EQ(out.back(), '\n');
}

// The real linter: what promtool accepts, Prometheus scrapes.
TEST(PrometheusText, PromtoolAcceptsARealisticExposition) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  }
  PrometheusText text;
  text.gauge("adrg_up", "Whether the governor loop is running.", {}, 1);
  text.gauge("adrg_psi_some_avg10", "PSI some avg10 in percent.", {{"resource", "memory"}}, 12.5);
  text.gauge("adrg_psi_some_avg10", "PSI some avg10 in percent.", {{"resource", "io"}}, 61);
  text.gauge("adrg_temperature_celsius", "Hottest thermal zone.", {}, 71.25);
  text.gauge("adrg_container_paused", "Whether adrg paused the container.",
             {{"container", "we\"ird\\name\nx"}, {"tier", "3"}}, 1);
  text.counter("adrg_actions_total", "Governance actions taken.", {{"action", "pause"}}, 3);
  text.counter("adrg_actions_total", "Governance actions taken.", {{"action", "pause"}}, 4);
  adrg::testing::TempDir dir;
  std::string file = dir.write("metrics.txt", text.render());
  std::string command = "promtool check metrics < " + file + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << output << "\n" << text.render();
}

}  // namespace
}  // namespace adrg
