#include "tools/adrgctl/render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace adrg::ctl {

std::string format_number(double value) {
  char buffer[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.1f", value);
  }
  return buffer;
}

simdjson::simdjson_result<simdjson::dom::element> wrap(simdjson::dom::element element) {
  return simdjson::simdjson_result<simdjson::dom::element>(simdjson::dom::element(element));
}

// Any JSON scalar as short text; "-" for null or absent.
std::string scalar(simdjson::simdjson_result<simdjson::dom::element> result) {
  simdjson::dom::element value;
  if (result.get(value) != simdjson::SUCCESS) return "-";
  switch (value.type()) {
    case simdjson::dom::element_type::STRING:
      return std::string(std::string_view(value));
    case simdjson::dom::element_type::INT64:
      return std::to_string(int64_t(value));
    case simdjson::dom::element_type::UINT64:
      return std::to_string(uint64_t(value));
    case simdjson::dom::element_type::DOUBLE:
      return format_number(double(value));
    case simdjson::dom::element_type::BOOL:
      return bool(value) ? "yes" : "no";
    case simdjson::dom::element_type::NULL_VALUE:
      return "-";
    default:
      return simdjson::minify(value);
  }
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

}  // namespace adrg::ctl
