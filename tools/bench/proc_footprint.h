// A process's footprint for the benchmarks: CPU time and context switches of all its threads
// (/proc/PID/task/*), resident memory (/proc/PID/status), and where the memory is
// (smaps_rollup, smaps). Header-only like bench_support.h, for the static VM builds.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tools/bench/bench_support.h"

namespace bench {

struct ProcSample {
  double cpu_seconds = 0;
  long long switches = 0;
  long rss_kb = 0;
  long rss_anon_kb = 0;  // heap, stacks: adrg's own memory
  long rss_file_kb = 0;  // mapped binary and shared libraries (shared with other processes)
  int threads = 0;
};

inline ProcSample sample(pid_t pid) {
  ProcSample s;
  std::string base = "/proc/" + std::to_string(pid);
  std::string status = read_file(base + "/status");
  auto pos = status.find("VmRSS:");
  if (pos != std::string::npos) s.rss_kb = std::atol(status.c_str() + pos + 6);
  pos = status.find("RssAnon:");
  if (pos != std::string::npos) s.rss_anon_kb = std::atol(status.c_str() + pos + 8);
  pos = status.find("RssFile:");
  if (pos != std::string::npos) s.rss_file_kb = std::atol(status.c_str() + pos + 8);
  long ticks = ::sysconf(_SC_CLK_TCK);
  DIR* d = ::opendir((base + "/task").c_str());
  while (d != nullptr) {
    dirent* e = ::readdir(d);
    if (e == nullptr) break;
    if (e->d_name[0] == '.') continue;
    std::string task = base + "/task/" + e->d_name;
    std::string stat = read_file(task + "/stat");
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream in(stat.substr(close_paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    s.cpu_seconds += static_cast<double>(utime + stime) / static_cast<double>(ticks);
    std::string ts = read_file(task + "/status");
    for (const char* key : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"}) {
      auto p = ts.find(std::string("\n") + key);
      if (p != std::string::npos) s.switches += std::atoll(ts.c_str() + p + 1 + std::strlen(key));
    }
    ++s.threads;
  }
  if (d != nullptr) ::closedir(d);
  return s;
}

// Where the resident memory is: totals from smaps_rollup (Rss counts every resident page; Pss
// divides shared pages among their users, so it is this process's fair share), then smaps per
// mapped file (Rss and how much of it is private-dirty, i.e. relocated/written copies that are
// this process's alone) plus [heap], [stack] and anonymous mappings.
inline void print_memory(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid);
  std::string roll = read_file(base + "/smaps_rollup");
  std::printf(
      "| smaps_rollup | Rss %.1f MiB | Pss %.1f MiB (anon %.1f, file %.1f) | Anonymous %.1f MiB |"
      " Private_Dirty %.1f MiB |\n",
      smaps_kb(roll, "Rss") / 1024.0, smaps_kb(roll, "Pss") / 1024.0,
      smaps_kb(roll, "Pss_Anon") / 1024.0, smaps_kb(roll, "Pss_File") / 1024.0,
      smaps_kb(roll, "Anonymous") / 1024.0, smaps_kb(roll, "Private_Dirty") / 1024.0);
  struct Use {
    long rss = 0, pss = 0, dirty = 0;
  };
  std::map<std::string, Use> by_name;
  std::istringstream in(read_file(base + "/smaps"));
  std::string line, name;
  while (std::getline(in, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
        line.find('-') < line.find(' ')) {
      // "addr-addr perms offset dev inode [path]": the path starts at column 6.
      std::istringstream head(line);
      std::string f[5];
      for (auto& x : f) head >> x;
      std::getline(head >> std::ws, name);
      if (name.empty()) name = "[anon]";
      auto slash = name.rfind('/');
      if (slash != std::string::npos) name = name.substr(slash + 1);
      continue;
    }
    if (line.rfind("Rss:", 0) == 0) by_name[name].rss += std::atol(line.c_str() + 4);
    if (line.rfind("Pss:", 0) == 0) by_name[name].pss += std::atol(line.c_str() + 4);
    if (line.rfind("Private_Dirty:", 0) == 0) by_name[name].dirty += std::atol(line.c_str() + 14);
  }
  std::vector<std::pair<std::string, Use>> rows(by_name.begin(), by_name.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.rss > b.second.rss; });
  std::printf("| mapping (top 12 by Rss, %zu in all) | Rss KiB | Pss KiB | Private_Dirty KiB |\n",
              rows.size());
  std::printf("|---|---|---|---|\n");
  for (size_t i = 0; i < rows.size() && i < 12; ++i) {
    std::printf("| %s | %ld | %ld | %ld |\n", rows[i].first.c_str(), rows[i].second.rss,
                rows[i].second.pss, rows[i].second.dirty);
  }
}

}  // namespace bench
