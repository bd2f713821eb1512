// A small streaming JSON writer for what the daemon emits: /status, decision event lines,
// journal records. Commas are placed automatically; strings are escaped per RFC 8259.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace adrg {

// Appends text as a quoted JSON string. escape_non_ascii also writes bytes >= 0x7f as \u00XX,
// so arbitrary bytes (not necessarily UTF-8, e.g. a cgroup file's original content) survive a
// round trip byte-exact and the output is pure ASCII.
void append_json_string(std::string& out, std::string_view text, bool escape_non_ascii = false);

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(bool flag);
  JsonWriter& value(double number);  // NaN and infinities become null (JSON has neither)
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(std::uint64_t number);
  JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
  JsonWriter& null();
  JsonWriter& raw(std::string_view json);  // an already serialized JSON value
  JsonWriter& strings(const std::vector<std::string>& items);

  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace adrg
