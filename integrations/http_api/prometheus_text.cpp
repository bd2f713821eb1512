#include "integrations/http_api/prometheus_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace adrg {

namespace {

bool is_name_start(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool is_name_char(char c, bool allow_colon) {
  return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
}

std::string sanitize(std::string_view name, bool allow_colon) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) out.push_back(is_name_char(c, allow_colon) ? c : '_');
  if (out.empty() || !is_name_start(out.front(), allow_colon)) out.insert(out.begin(), '_');
  return out;
}

}  // namespace

std::string_view to_string(MetricType type) {
  switch (type) {
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kCounter:
      return "counter";
    case MetricType::kUntyped:
      return "untyped";
  }
  return "untyped";
}

std::string PrometheusText::escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string PrometheusText::escape_help(std::string_view help) {
  // HELP text escapes only backslash and newline (a quote is literal there).
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PrometheusText::sanitize_metric_name(std::string_view name) {
  return sanitize(name, true);
}

std::string PrometheusText::sanitize_label_name(std::string_view name) {
  return sanitize(name, false);
}

std::string PrometheusText::format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return fmt::format("{}", value);  // shortest round-trip form; Go's ParseFloat reads it
}

void PrometheusText::declare(std::string_view name, MetricType type, std::string_view help) {
  std::string key = sanitize_metric_name(name);
  if (families_.count(key) != 0) return;
  order_.push_back(key);
  families_.emplace(std::move(key), Family{type, std::string(help), {}, {}});
}

void PrometheusText::gauge(std::string_view name, std::string_view help, const Labels& labels,
                           double value) {
  set(MetricType::kGauge, name, help, labels, value);
}

void PrometheusText::counter(std::string_view name, std::string_view help, const Labels& labels,
                             double value) {
  set(MetricType::kCounter, name, help, labels, value);
}

void PrometheusText::untyped(std::string_view name, std::string_view help, const Labels& labels,
                             double value) {
  set(MetricType::kUntyped, name, help, labels, value);
}

void PrometheusText::set(MetricType type, std::string_view name, std::string_view help,
                         const Labels& labels, double value) {
  declare(name, type, help);
  Family& family = families_.at(sanitize_metric_name(name));
  if (family.type != type) {
    ++dropped_;
    return;
  }
  // Identity of a series is its label set: sort by name, drop duplicates of a name (first wins,
  // a repeated label name is a parse error for Prometheus).
  Labels sorted;
  sorted.reserve(labels.size());
  for (const auto& [label, label_value] : labels) {
    sorted.emplace_back(sanitize_label_name(label), label_value);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  sorted.erase(std::unique(sorted.begin(), sorted.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; }),
               sorted.end());
  std::string rendered;
  if (!sorted.empty()) {
    rendered.push_back('{');
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      if (i != 0) rendered.push_back(',');
      rendered += sorted[i].first;
      rendered += "=\"";
      rendered += escape_label_value(sorted[i].second);
      rendered.push_back('"');
    }
    rendered.push_back('}');
  }
  auto [it, inserted] = family.values.insert_or_assign(rendered, value);
  if (inserted) family.order.push_back(it->first);
}

std::string PrometheusText::render() const {
  std::string out;
  for (const std::string& name : order_) {
    const Family& family = families_.at(name);
    if (!family.help.empty()) {
      out += fmt::format("# HELP {} {}\n", name, escape_help(family.help));
    }
    out += fmt::format("# TYPE {} {}\n", name, to_string(family.type));
    for (const std::string& labels : family.order) {
      out += name;
      out += labels;
      out.push_back(' ');
      out += format_value(family.values.at(labels));
      out.push_back('\n');
    }
  }
  return out;  // every line, the last included, ends in '\n'
}

std::size_t PrometheusText::series_count() const {
  std::size_t count = 0;
  for (const auto& [name, family] : families_) count += family.values.size();
  return count;
}

}  // namespace adrg
