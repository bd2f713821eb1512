// bench_library_floor: the resident memory any process linked like adrg has before it does any
// work of its own. It is linked against exactly adrg's libraries (tools/CMakeLists.txt links
// every tool with adrg_daemon), initialises libcurl as adrg does (curl_global_init, one multi
// handle, one easy handle), then prints its own VmRSS / RssAnon / RssFile and Pss as a table
// row. run-benchmarks.sh footprint prints it under adrg's idle row, so the part of adrg's RSS
// that is the shared libraries' (mostly libcurl's ~30 dependencies: TLS, Kerberos, LDAP, SSH,
// IDN...) and the part that is adrg's own can be told apart.
#include <curl/curl.h>

#include <cstdio>
#include <string>

#include "tools/bench/bench_support.h"

using bench::read_file;
using bench::smaps_kb;

int main() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  CURLM* multi = curl_multi_init();
  CURL* easy = curl_easy_init();
  std::string status = read_file("/proc/self/status");
  std::string rollup = read_file("/proc/self/smaps_rollup");
  std::printf(
      "| floor: a no-op linked like adrg, libcurl initialised | VmRSS %.1f MiB (anon %.1f, file "
      "%.1f) | Pss %.1f MiB | %s |\n",
      static_cast<double>(smaps_kb(status, "VmRSS")) / 1024.0,
      static_cast<double>(smaps_kb(status, "RssAnon")) / 1024.0,
      static_cast<double>(smaps_kb(status, "RssFile")) / 1024.0,
      static_cast<double>(smaps_kb(rollup, "Pss")) / 1024.0, curl_version());
  curl_easy_cleanup(easy);
  curl_multi_cleanup(multi);
  curl_global_cleanup();
  return 0;
}
