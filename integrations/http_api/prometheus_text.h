// A small writer for the Prometheus text exposition format 0.0.4, which the governor fills for
// GET /metrics. It takes care of what promtool and Prometheus 2.42 are strict or silent
// about: HELP and TYPE exactly once per family, in front of its
// samples; label values escaped (\\ \" \n), since a raw newline is a parse error; duplicate series
// collapsed here, because promtool does not flag them and Prometheus silently keeps the first;
// and a final newline, whose absence is a parse error.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adrg {

enum class MetricType { kGauge, kCounter, kUntyped };

class PrometheusText {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Declares a family explicitly (optional: gauge()/counter() declare on first use). A second
  // declaration of the same name keeps the first help and type.
  void declare(std::string_view name, MetricType type, std::string_view help);

  // Sets one series. The same name + label set written twice keeps the LAST value (set
  // semantics: the governor overwrites a reading, it never means two samples). Label order does
  // not matter for identity; labels are rendered sorted by name. A sample whose family was
  // declared with another type is dropped (counted in dropped()).
  void gauge(std::string_view name, std::string_view help, const Labels& labels, double value);
  void counter(std::string_view name, std::string_view help, const Labels& labels, double value);
  void untyped(std::string_view name, std::string_view help, const Labels& labels, double value);

  // Families in first-declared order, series in first-written order.
  std::string render() const;

  std::size_t series_count() const;
  std::size_t dropped() const { return dropped_; }

  // Exposed for tests and for callers that build names from container names.
  static std::string escape_label_value(std::string_view value);
  static std::string escape_help(std::string_view help);
  // Replaces every character not allowed in a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) by '_'.
  static std::string sanitize_metric_name(std::string_view name);
  // Same for label names ([a-zA-Z_][a-zA-Z0-9_]*).
  static std::string sanitize_label_name(std::string_view name);
  // Go-compatible sample value: NaN, +Inf, -Inf, integers without exponent up to 2^53.
  static std::string format_value(double value);

 private:
  struct Family {
    MetricType type;
    std::string help;
    std::vector<std::string> order;        // rendered label sets in first-written order
    std::map<std::string, double> values;  // rendered label set -> value
  };

  void set(MetricType type, std::string_view name, std::string_view help, const Labels& labels,
           double value);

  std::vector<std::string> order_;  // family names in first-declared order
  std::map<std::string, Family> families_;
  std::size_t dropped_ = 0;
};

std::string_view to_string(MetricType type);

}  // namespace adrg
