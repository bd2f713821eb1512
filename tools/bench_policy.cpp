// bench_policy: the cost of one evaluation at scale, without I/O noise.
//   inventory : CgroupInventory rescan (directory listing + tier globs) and refresh_memory
//               (memory.current of every unit) over N unit directories in a temp dir
//   policy    : GovernorPolicy::evaluate (every rule + the planner) over N synthetic units, in
//               the steady state, with media mode active, and under memory + io pressure
// Prints one table row per measurement: p50 / p95 / mean microseconds per call.
// Usage: bench_policy [UNITS=500] [ITERATIONS=2000]
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/reactor.h"
#include "enforcers/governor_policy.h"
#include "enforcers/tiers.h"
#include "sensors/cgroup_inventory.h"

namespace {

using adrg::Config;
using adrg::GovernorPolicy;
using adrg::Snapshot;
using adrg::TimePoint;
using adrg::UnitSnapshot;
using Micros = std::chrono::duration<double, std::micro>;

struct Stats {
  double p50 = 0, p95 = 0, mean = 0;
};

Stats summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  Stats s;
  double sum = 0;
  for (double v : samples) sum += v;
  s.mean = sum / static_cast<double>(samples.size());
  s.p50 = samples[samples.size() / 2];
  s.p95 = samples[std::min(samples.size() - 1, samples.size() * 95 / 100)];
  return s;
}

void row(const std::string& what, int units, const Stats& s) {
  std::printf("| %-48s | %5d | %10.1f | %10.1f | %10.1f |\n", what.c_str(), units, s.p50, s.p95,
              s.mean);
}

Stats time_calls(int iterations, const std::function<void(int)>& fn) {
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(iterations));
  for (int i = 0; i < iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn(i);
    samples.push_back(Micros(std::chrono::steady_clock::now() - t0).count());
  }
  return summarize(std::move(samples));
}

Config bench_config() {
  Config c;
  c.tiers[0].containers = {"core-*"};
  c.tiers[1].containers = {"web-*"};
  c.tiers[2].containers = {"bg-*"};
  c.tiers[3].containers = {"bulk-*"};
  c.media_mode.enabled = true;
  c.media_mode.provider = "webhook";
  c.media_mode.cooldown_seconds = 0;
  c.io_pressure.devices = {"8:0", "259:0"};
  return c;
}

constexpr const char* kPrefixes[] = {"core-", "web-", "bg-", "bulk-"};

std::vector<UnitSnapshot> synthetic_units(int n) {
  std::vector<UnitSnapshot> units;
  for (int i = 0; i < n; ++i) {
    UnitSnapshot u;
    int tier = i % 4;
    u.name = std::string(kPrefixes[tier]) + std::to_string(i);
    u.id = "cgroup:" + u.name;
    u.kind = adrg::UnitKind::kJob;
    u.tier = tier;
    u.is_protected = tier == 0;
    u.cgroup_path = "/sys/fs/cgroup/units/" + u.name;
    u.memory_current = (64ull + static_cast<unsigned>(i % 200)) << 20;
    units.push_back(std::move(u));
  }
  return units;
}

adrg::PsiStats psi(double some10, double some60, double full10, std::uint64_t total) {
  adrg::PsiStats p;
  p.some = {some10, some60, some60 / 2, total};
  p.full = {full10, full10, full10 / 2, total / 2};
  p.has_full = true;
  return p;
}

void bench_policy(int n, int iterations) {
  Config config = bench_config();
  Snapshot calm;
  calm.units = synthetic_units(n);
  calm.cpu = psi(1, 1, 0, 1000);
  calm.memory = psi(0, 0, 0, 1000);
  calm.io = psi(0, 0, 0, 1000);
  calm.temperature_c = 50;
  TimePoint t0 = TimePoint{} + std::chrono::hours(1);

  {
    GovernorPolicy policy;
    row("policy evaluate, steady (no pressure)", n, time_calls(iterations, [&](int i) {
          (void)policy.evaluate(config, calm, t0 + std::chrono::milliseconds(100 * i));
        }));
  }
  {
    GovernorPolicy policy;
    (void)policy.evaluate(config, calm, t0,
                          {adrg::TriggerEvent{adrg::TriggerKind::kMediaStart, "bench"}});
    row("policy evaluate, media active (pause+throttle)", n, time_calls(iterations, [&](int i) {
          (void)policy.evaluate(config, calm, t0 + std::chrono::milliseconds(100 * (i + 1)));
        }));
  }
  {
    GovernorPolicy policy;
    Snapshot hot = calm;
    hot.memory = psi(70, 30, 5, 1000);
    hot.io = psi(80, 50, 30, 1000);
    row("policy evaluate, memory squeeze + io caps", n, time_calls(iterations, [&](int i) {
          hot.memory->some.total_us += 500000;
          hot.io->some.total_us += 500000;
          (void)policy.evaluate(config, hot, t0 + std::chrono::milliseconds(100 * i));
        }));
  }
  {
    GovernorPolicy policy;
    row("policy evaluate, media_start trigger edge", n, time_calls(iterations / 4, [&](int i) {
          auto kind = i % 2 == 0 ? adrg::TriggerKind::kMediaStart : adrg::TriggerKind::kMediaStop;
          (void)policy.evaluate(config, calm, t0 + std::chrono::milliseconds(100 * i),
                                {adrg::TriggerEvent{kind, "bench"}});
        }));
  }
}

void bench_inventory(int n, int iterations) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("adrg-bench-units-" + std::to_string(::getpid()));
  fs::create_directories(root);
  for (int i = 0; i < n; ++i) {
    fs::path dir = root / (std::string(kPrefixes[i % 4]) + std::to_string(i));
    fs::create_directories(dir);
    std::ofstream(dir / "memory.current") << ((64 + i % 200) << 20) << "\n";
  }
  auto reactor = adrg::Reactor::create();
  if (!reactor) {
    std::fprintf(stderr, "no reactor: %s\n", reactor.error().describe().c_str());
    fs::remove_all(root);
    return;
  }
  Config config = bench_config();
  adrg::CgroupInventory inventory(**reactor, root.string(), adrg::tier_classifier(config));
  if (auto st = inventory.start(); !st) {
    std::fprintf(stderr, "inventory: %s\n", st.error().describe().c_str());
  }
  row("inventory rescan (readdir + tier globs)", n,
      time_calls(iterations / 4, [&](int) { inventory.rescan(); }));
  row("inventory refresh_memory (memory.current)", n,
      time_calls(iterations / 4, [&](int) { inventory.refresh_memory(); }));
  GovernorPolicy policy;
  Snapshot s;
  s.memory = psi(0, 0, 0, 1);
  s.io = psi(0, 0, 0, 1);
  TimePoint t0 = TimePoint{} + std::chrono::hours(1);
  row("refresh_memory + evaluate (one reconcile tick)", n, time_calls(iterations / 4, [&](int i) {
        inventory.refresh_memory();
        s.units = inventory.units();
        (void)policy.evaluate(config, s, t0 + std::chrono::milliseconds(100 * i));
      }));
  fs::remove_all(root);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 500;
  int iterations = argc > 2 ? std::atoi(argv[2]) : 2000;
  spdlog::set_level(spdlog::level::warn);  // the table only
  std::printf("| %-48s | %5s | %10s | %10s | %10s |\n", "measurement (per call)", "units", "p50 us",
              "p95 us", "mean us");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(50, '-').c_str(), std::string(7, '-').c_str(),
              std::string(12, '-').c_str(), std::string(12, '-').c_str(),
              std::string(12, '-').c_str());
  bench_policy(n, iterations);
  bench_inventory(n, iterations);
  return 0;
}
