#include <gtest/gtest.h>

#include <limits>

#include "core/json_writer.h"

namespace adrg {
namespace {

TEST(JsonWriter, NestedObjectsAndArraysGetCommasRight) {
  JsonWriter w;
  w.begin_object()
      .field("a", 1)
      .key("b")
      .begin_array()
      .value("x")
      .begin_object()
      .field("c", true)
      .end_object()
      .null()
      .end_array()
      .key("d")
      .strings({"p", "q"})
      .end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":["x",{"c":true},null],"d":["p","q"]})");
}

TEST(JsonWriter, EscapesControlCharactersQuotesAndBackslashes) {
  JsonWriter w;
  w.value(std::string_view("q\"b\\n\nt\t\x01", 9));
  EXPECT_EQ(w.str(), R"("q\"b\\n\nt\t\u0001")");
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
  JsonWriter w;
  w.begin_array()
      .value(std::numeric_limits<double>::quiet_NaN())
      .value(std::numeric_limits<double>::infinity())
      .value(71.5)
      .end_array();
  EXPECT_EQ(w.str(), "[null,null,71.5]");
}

TEST(JsonWriter, LargeUnsignedValuesAreExact) {
  JsonWriter w;
  w.value(std::uint64_t{18446744073709551615ull});
  EXPECT_EQ(w.str(), "18446744073709551615");
}

}  // namespace
}  // namespace adrg
