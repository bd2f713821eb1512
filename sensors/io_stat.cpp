#include "sensors/io_stat.h"

#include <charconv>

#include "core/fs.h"

namespace adrg {

IoBytes parse_io_stat(std::string_view content) {
  IoBytes total;
  auto add = [](std::string_view value, std::uint64_t& sum) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec == std::errc{} && end == value.data() + value.size()) sum += v;
  };
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    pos = eol + 1;
    std::size_t field = line.find(' ');  // past "MAJ:MIN"
    while (field != std::string_view::npos) {
      std::size_t start = field + 1;
      field = line.find(' ', start);
      std::string_view kv =
          line.substr(start, field == std::string_view::npos ? field : field - start);
      if (kv.starts_with("rbytes=")) add(kv.substr(7), total.read);
      if (kv.starts_with("wbytes=")) add(kv.substr(7), total.written);
    }
  }
  return total;
}

std::optional<IoBytes> read_io_stat(const std::string& cgroup_dir) {
  auto content = read_text_file(join_path(cgroup_dir, "io.stat"));
  if (!content) return std::nullopt;
  return parse_io_stat(*content);
}

}  // namespace adrg
