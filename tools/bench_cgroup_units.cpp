// bench_cgroup_units: measures the real adrg binary governing real cgroup v2 units
// (general.cgroup_units_root) on this machine's cgroup2 mount. Not a test: prints tables.
//
//   bench_cgroup_units ADRG pause     [UNITS=30] [RUNS=20]
//       POST /trigger media_start -> every tier-3 unit "frozen 1" in cgroup.events (inotify),
//       and media_stop -> every unit "frozen 0". p50/p95 over RUNS.
//   bench_cgroup_units ADRG footprint [UNITS=50] [SECONDS=60]
//       adrg idle with UNITS units: VmRSS, CPU % (utime+stime of all threads) and wake-ups/s
//       (voluntary + involuntary context switches of all threads) over SECONDS, and where the
//       resident memory is (smaps_rollup: Rss/Pss/anon; smaps: file-backed Rss per mapping).
// The reaction to a PSI storm is tools/bench_reaction.cpp.
#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tools/bench/bench_support.h"

namespace bench {
namespace {

// ------------------------------------------------------------------------------------ pause
int bench_pause(const std::string& adrg, const std::string& cg, int n, int runs) {
  Units units(cg, "pause");
  std::vector<std::string> bulk;
  for (int i = 0; i < n; ++i) bulk.push_back(units.add("bulk-" + std::to_string(i)));
  std::string dir = make_temp_dir();
  Adrg daemon(adrg, dir, units.root(),
              "media_mode: {enabled: true, provider: webhook, cooldown_seconds: 0}\n");
  if (!daemon.healthy()) {
    std::fprintf(stderr, "adrg not healthy; log in %s/adrg.log\n", dir.c_str());
    return 1;
  }
  FrozenWatch watch(bulk);
  std::vector<double> pause_ms, resume_ms;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    if (http(daemon.port(), "POST", "/trigger", "{\"event\":\"media_start\"}") != 200) return 1;
    auto t1 = watch.wait_all(true, std::chrono::seconds(20));
    if (!t1) return std::fprintf(stderr, "not all frozen after 20 s\n"), 1;
    pause_ms.push_back(Ms(*t1 - t0).count());
    auto t2 = Clock::now();
    if (http(daemon.port(), "POST", "/trigger", "{\"event\":\"media_stop\"}") != 200) return 1;
    auto t3 = watch.wait_all(false, std::chrono::seconds(20));
    if (!t3) return std::fprintf(stderr, "not all thawed after 20 s\n"), 1;
    resume_ms.push_back(Ms(*t3 - t2).count());
  }
  std::printf("| /trigger media_start -> %d units frozen 1 | %d | %8.1f | %8.1f | %8.1f |\n", n,
              runs, percentile(pause_ms, 50), percentile(pause_ms, 95),
              *std::max_element(pause_ms.begin(), pause_ms.end()));
  std::printf("| /trigger media_stop  -> %d units frozen 0 | %d | %8.1f | %8.1f | %8.1f |\n", n,
              runs, percentile(resume_ms, 50), percentile(resume_ms, 95),
              *std::max_element(resume_ms.begin(), resume_ms.end()));
  remove_temp_dir(dir);
  return 0;
}

// -------------------------------------------------------------------------------- footprint
struct ProcSample {
  double cpu_seconds = 0;
  long long switches = 0;
  long rss_kb = 0;
  long rss_anon_kb = 0;  // heap, stacks: adrg's own memory
  long rss_file_kb = 0;  // mapped binary and shared libraries (shared with other processes)
  int threads = 0;
};

ProcSample sample(pid_t pid) {
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
void print_memory(pid_t pid) {
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

int bench_footprint(const std::string& adrg, const std::string& cg, int n, int seconds) {
  Units units(cg, "footprint");
  for (int i = 0; i < n; ++i) {
    units.add(std::string(i % 2 == 0 ? "bg-" : "bulk-") + std::to_string(i));
  }
  std::string dir = make_temp_dir();
  Adrg daemon(adrg, dir, units.root(),
              "media_mode: {enabled: true, provider: webhook, cooldown_seconds: 0}\n");
  if (!daemon.healthy()) return std::fprintf(stderr, "adrg not healthy (%s)\n", dir.c_str()), 1;
  // Let start-up (baselines, first evaluation) settle before measuring idle.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  ProcSample a = sample(daemon.pid());
  auto t0 = Clock::now();
  long max_rss = a.rss_kb;
  for (int i = 0; i < seconds; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    max_rss = std::max(max_rss, sample(daemon.pid()).rss_kb);
  }
  ProcSample b = sample(daemon.pid());
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "| idle adrg, %d cgroup units, %d s | VmRSS %.1f MiB (max %.1f; anon %.1f, file %.1f) | "
      "CPU %.3f %% | %.2f wakeups/s | %d threads |\n",
      n, seconds, static_cast<double>(b.rss_kb) / 1024.0, static_cast<double>(max_rss) / 1024.0,
      static_cast<double>(b.rss_anon_kb) / 1024.0, static_cast<double>(b.rss_file_kb) / 1024.0,
      (b.cpu_seconds - a.cpu_seconds) / wall * 100,
      static_cast<double>(b.switches - a.switches) / wall, b.threads);
  print_memory(daemon.pid());
  remove_temp_dir(dir);
  return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ADRG pause [UNITS RUNS] | footprint [UNITS SECONDS]\n",
                 argv[0]);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  std::string adrg = argv[1], mode = argv[2];
  auto arg = [&](int i, const char* def) { return std::string(argc > i ? argv[i] : def); };
  std::string cg = bench::find_cgroup2();
  if (cg.empty()) return std::fprintf(stderr, "no writable cgroup2 with cgroup.freeze\n"), 77;
  if (mode == "pause")
    return bench::bench_pause(adrg, cg, std::stoi(arg(3, "30")), std::stoi(arg(4, "20")));
  if (mode == "footprint") {
    return bench::bench_footprint(adrg, cg, std::stoi(arg(3, "50")), std::stoi(arg(4, "60")));
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
