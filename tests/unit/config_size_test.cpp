#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "config/size.h"

namespace adrg {
namespace {

constexpr std::uint64_t kKi = 1024;
constexpr std::uint64_t kMi = kKi * 1024;
constexpr std::uint64_t kGi = kMi * 1024;
constexpr std::uint64_t kTi = kGi * 1024;

std::uint64_t size_of(std::string_view text) {
  auto r = parse_size(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : 0;
}

TEST(ConfigSize, PlainBytes) {
  EXPECT_EQ(size_of("0"), 0u);
  EXPECT_EQ(size_of("1048576"), 1048576u);
  EXPECT_EQ(size_of("  42  "), 42u);
  EXPECT_EQ(size_of("42B"), 42u);
  EXPECT_EQ(size_of("42b"), 42u);
}

TEST(ConfigSize, UnitsArePowersOf1024InEverySpelling) {
  for (const char* s : {"1K", "1k", "1KB", "1kb", "1Ki", "1KiB", "1kib"})
    EXPECT_EQ(size_of(s), kKi);
  for (const char* s : {"1M", "1m", "1MB", "1Mi", "1MiB"}) EXPECT_EQ(size_of(s), kMi);
  for (const char* s : {"1G", "1g", "1GB", "1Gi", "1GiB", "1gB"}) EXPECT_EQ(size_of(s), kGi);
  for (const char* s : {"1T", "1TB", "1Ti", "1TiB"}) EXPECT_EQ(size_of(s), kTi);
  EXPECT_EQ(size_of("3G"), 3 * kGi);
  EXPECT_EQ(size_of("512M"), 512 * kMi);
  EXPECT_EQ(size_of("1.5 G"), 3 * kGi / 2);  // one space before the unit, as Docker allows
}

TEST(ConfigSize, FractionsAreExact) {
  EXPECT_EQ(size_of("1.5G"), 1610612736u);
  EXPECT_EQ(size_of("1.5G"), 3ull << 29);  // config.h's default for tier 2
  EXPECT_EQ(size_of("0.5K"), 512u);
  EXPECT_EQ(size_of("2.25M"), 2359296u);
  EXPECT_EQ(size_of("0.001T"), 1099511627u);  // 1099511627.776 floored
  // A double would give 1.1 * 2^30 = 1181116006.4 with rounding noise; the exact floor is this.
  EXPECT_EQ(size_of("1.1G"), 1181116006u);
  // More fraction digits than a double holds still floor exactly: 1023.999...9 → 1023.
  EXPECT_EQ(size_of("0.99999999999999999999999999999K"), 1023u);
  EXPECT_EQ(size_of("1.00000000000000000000000000001K"), 1024u);
}

TEST(ConfigSize, NonWholeResultsRoundDown) {
  EXPECT_EQ(size_of("0.1K"), 102u);   // 102.4
  EXPECT_EQ(size_of("0.9K"), 921u);   // 921.6: floor, not nearest
  EXPECT_EQ(size_of("0.001K"), 1u);   // 1.024
  EXPECT_EQ(size_of("0.0001K"), 0u);  // 0.1024
}

TEST(ConfigSize, LimitsOfUint64) {
  EXPECT_EQ(size_of("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(size_of("16777215T"), 16777215ull * kTi);
  EXPECT_EQ(size_of("15.99999999T"), 17592186033420ull);  // floor(15.99999999 * 2^40)
  EXPECT_EQ(size_of("16383P"), 16383ull << 50);
}

TEST(ConfigSize, Rejects) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "empty"},
      {"   ", "empty"},
      {"-1G", "negative"},
      {"+1G", "expected a number"},
      {"max", "'max' is not a size"},
      {"MAX", "'max' is not a size"},
      {"abc", "expected a number"},
      {".5G", "expected a number"},
      {"1.G", "digits after the decimal point"},
      {"1.5", "whole number"},
      {"1.5B", "whole number"},
      {"1X", "unknown unit 'X'"},
      {"1GG", "unknown unit"},
      {"1Gx", "unknown unit"},
      {"1 2G", "expected a number followed by"},
      {"1  G", "expected a number followed by"},
      {"1G ", ""},  // trailing blanks are trimmed: accepted, checked below
      {"1e9", "expected a number followed by"},
      {"18446744073709551616", "too large"},
      {"16777216T", "too large"},
      {"16384P", "too large"},
      {"99999999999999999999999G", "too large"},
  };
  for (const auto& c : cases) {
    auto r = parse_size(c.text);
    if (std::string(c.message).empty()) {
      EXPECT_TRUE(r.ok()) << c.text;
      continue;
    }
    ASSERT_FALSE(r.ok()) << "'" << c.text << "' parsed as " << *r;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos)
        << c.text << " -> " << r.error().message;
    EXPECT_NE(r.error().message.find(std::string("'") + c.text + "'"), std::string::npos);
  }
}

}  // namespace
}  // namespace adrg
