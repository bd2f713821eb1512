// Memory sizes as ADRG's config.yaml writes them ("1.5G", "512M", 1073741824).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace adrg {

// Parses a memory size into bytes.
//   - plain bytes: "1048576" (a YAML integer arrives here as its text);
//   - a number with a binary unit: K, M, G, T, P with an optional "i" and/or "B" ("1.5G", "512Mi",
//     "2GB", "1gib"), case-insensitive, one optional space before the unit. Every unit is a power
//     of 1024, as in Docker's RAMInBytes and ADRG ("1G" == 1073741824, "1GB" too);
//   - decimal fractions are computed exactly in integers, never through a double, so "1.5G" is
//     exactly 1610612736. A result that is not a whole number of bytes is rounded DOWN (floor):
//     "0.1K" is 102.4 bytes and gives 102. Rounding down means a limit is never looser than what
//     was written.
// Rejected: empty text, signs ("-1G", "+1G"), a fraction without a unit ("1.5" bytes), ".5G",
// "1.G", unknown units, "max" (no limit is written by omitting the key), and anything above
// 2^64-1 bytes.
Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace adrg
