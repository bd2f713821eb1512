#include "integrations/downloads/download_util.h"

#include <cctype>
#include <charconv>

#include "core/fs.h"

namespace adrg::downloads {

std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string strip_trailing_slash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string session_cookie(const HttpResponse& response) {
  std::string cookie;
  for (const auto& [name, value] : response.headers) {
    if (name.size() != 10) continue;
    std::string lowered;
    for (unsigned char c : name) lowered.push_back(static_cast<char>(std::tolower(c)));
    if (lowered != "set-cookie") continue;
    std::string_view v = value;
    cookie = trim(v.substr(0, v.find(';')));
  }
  return cookie;
}

}  // namespace adrg::downloads
