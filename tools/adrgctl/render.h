// Text output shared by adrgctl's subcommands: JSON scalars as short text, aligned tables.
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

namespace adrg::ctl {

// 3 -> "3", 2.25 -> "2.2" (one decimal is enough for PSI and temperatures).
std::string format_number(double value);

simdjson::simdjson_result<simdjson::dom::element> wrap(simdjson::dom::element element);

// Any JSON scalar as short text; "-" for null or absent.
std::string scalar(simdjson::simdjson_result<simdjson::dom::element> result);

// Left-aligned columns, two spaces apart.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace adrg::ctl
