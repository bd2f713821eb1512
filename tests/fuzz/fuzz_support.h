// Shared by the libFuzzer targets of this folder (built with ADRG_FUZZ=ON, run by tools/fuzz.sh).
#pragma once

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace adrg::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Rejected input is logged as a warning by design; at thousands of inputs a second that would
// drown the fuzzer's own output and slow it down.
inline void quiet_logging() { spdlog::set_level(spdlog::level::off); }

// Splits at the first '\n': the line (a content type, a header) and the rest. Lets one input
// carry a small side channel while the body stays the raw bytes the parser sees.
inline std::pair<std::string_view, std::string_view> split_first_line(std::string_view text) {
  std::size_t newline = text.find('\n');
  if (newline == std::string_view::npos) return {text, {}};
  return {text.substr(0, newline), text.substr(newline + 1)};
}

}  // namespace adrg::fuzz
