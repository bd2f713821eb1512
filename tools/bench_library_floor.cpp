// bench_library_floor: the resident memory any process linked like adrg has before it does any
// work of its own. It is linked against exactly adrg's libraries (tools/CMakeLists.txt links
// every tool with adrg_daemon), initialises libcurl as adrg does (curl_global_init, one multi
// handle, one easy handle), then prints its own VmRSS / RssAnon / RssFile and Pss as a table
// row. run-benchmarks.sh footprint prints it under adrg's idle row, so the part of adrg's RSS
// that is the shared libraries' (mostly libcurl's ~30 dependencies: TLS, Kerberos, LDAP, SSH,
// IDN...) and the part that is adrg's own can be told apart.
#include <curl/curl.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

long kb_field(const std::string& text, const std::string& key) {
  auto pos = text.find(key);
  return pos == std::string::npos ? 0 : std::atol(text.c_str() + pos + key.size());
}

std::string read_all(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  CURLM* multi = curl_multi_init();
  CURL* easy = curl_easy_init();
  std::string status = read_all("/proc/self/status");
  std::string rollup = read_all("/proc/self/smaps_rollup");
  std::printf(
      "| floor: a no-op linked like adrg, libcurl initialised | VmRSS %.1f MiB (anon %.1f, file "
      "%.1f) | Pss %.1f MiB | %s |\n",
      static_cast<double>(kb_field(status, "VmRSS:")) / 1024.0,
      static_cast<double>(kb_field(status, "RssAnon:")) / 1024.0,
      static_cast<double>(kb_field(status, "RssFile:")) / 1024.0,
      static_cast<double>(kb_field(rollup, "Pss:")) / 1024.0, curl_version());
  curl_easy_cleanup(easy);
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return 0;
}
