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
#include "tools/bench/proc_footprint.h"

namespace bench {
namespace {

// ------------------------------------------------------------------------------------ pause
int bench_pause(const std::string& adrg, const std::string& cg, int n, int runs) {
  Units units(cg, "pause");
  std::vector<std::string> bulk;
  bulk.reserve(static_cast<std::size_t>(n));
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
