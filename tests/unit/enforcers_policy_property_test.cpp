// Randomized property test of GovernorPolicy + plan(): fixed seeds, thousands of random event
// sequences (temperatures, PSI, media sessions, triggers, time steps, changing unit sets), and
// after every evaluation the invariants that must hold whatever the inputs:
//   - tier-0 and protected units are never paused, throttled, squeezed or restarted (neither
//     in the rules' claims nor in the plan),
//   - paused_by is non-empty iff paused, and every *_by list is sorted and unique,
//   - each claim-based value equals the strictest claim in force,
//   - restarts of one unit are never closer than restart_cooldown_seconds,
//   - once every input is calm and enough time passes, no claim remains.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "core/clock.h"
#include "enforcers/governor_policy.h"

namespace adrg {
namespace {

constexpr int kSequences = 5000;

struct Gen {
  explicit Gen(std::uint64_t seed) : rng(seed) {}
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
  int integer(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool chance(double p) { return real(0, 1) < p; }
  std::mt19937_64 rng;
};

Config random_config(Gen& g) {
  Config c;
  c.general.poll_interval_seconds = g.integer(1, 10);
  c.thermal.enabled = g.chance(0.9);
  c.thermal.recovery_hold_seconds = g.integer(0, 60);
  c.memory_pressure.enabled = g.chance(0.9);
  c.memory_pressure.restart_cooldown_seconds = g.integer(5, 400);
  c.memory_pressure.recovery_hold_seconds = g.integer(0, 60);
  c.memory_pressure.memory_high_reduction_factor = g.real(0.3, 1.0);
  c.io_pressure.enabled = g.chance(0.9);
  c.io_pressure.recovery_hold_seconds = g.integer(0, 60);
  c.io_pressure.tier3_io_max_read_mb_per_sec = g.integer(0, 20);
  c.io_pressure.tier3_io_max_write_mb_per_sec = g.integer(0, 20);
  c.media_mode.enabled = g.chance(0.8);
  c.media_mode.provider = g.chance(0.1) ? "none" : "jellyfin";
  c.media_mode.cooldown_seconds = g.integer(0, 120);
  c.media_mode.tier2_cpu_max_percent = g.integer(0, 120);
  c.media_mode.tier2_io_max_read_mb_per_sec = g.integer(0, 20);
  c.media_mode.tier2_io_max_write_mb_per_sec = g.integer(0, 20);
  c.media_mode.download_throttle.enabled = g.chance(0.5);
  return c;
}

UnitSnapshot random_unit(Gen& g, int serial) {
  UnitSnapshot u;
  u.id = "u" + std::to_string(serial);
  u.name = u.id;
  u.tier = g.integer(0, 3);
  u.is_protected = u.tier == 0 || g.chance(0.2);
  u.memory_current = static_cast<std::uint64_t>(g.integer(0, 4000)) << 20;
  u.running = g.chance(0.9);
  return u;
}

PsiStats random_psi(Gen& g, std::uint64_t& total) {
  PsiStats p;
  auto pick = [&] { return g.chance(0.3) ? g.real(0, 100) : g.real(0, 30); };
  p.some = {pick(), pick(), pick(), total += static_cast<std::uint64_t>(g.integer(0, 3'000'000))};
  p.full = {pick(), pick(), pick(), 0};
  p.has_full = g.chance(0.9);
  return p;
}

// How often each behaviour was exercised: the test fails if the random inputs stop reaching a
// stage, so it cannot pass vacuously.
struct Coverage {
  int restarts = 0, paused = 0, cpu_max = 0, io_max = 0, memory_high = 0, protected_seen = 0;
  int download_caps = 0;
  std::set<std::string> events;
};
Coverage coverage;

bool untouchable(const UnitSnapshot& u) { return u.is_protected || u.tier == 0; }

void check_invariants(const Config& config, const Snapshot& snapshot, const PolicyResult& r) {
  std::map<std::string, const UnitSnapshot*> units;
  for (const auto& u : snapshot.units) units[u.id] = &u;
  for (const auto& c : r.claims) {
    ASSERT_TRUE(units.contains(c.unit_id)) << "claim for an absent unit " << c.unit_id;
    ASSERT_FALSE(untouchable(*units[c.unit_id])) << "rule " << c.by << " claimed " << c.unit_id;
  }
  for (const auto& d : r.decisions) {
    for (const auto& id : d.unit_ids) ASSERT_FALSE(untouchable(*units.at(id)));
  }
  for (const auto& req : r.desired.restarts) ASSERT_FALSE(untouchable(*units.at(req.unit_id)));
  ASSERT_EQ(r.desired.units.size(), units.size());
  for (const auto& [id, d] : r.desired.units) {
    const UnitSnapshot& u = *units.at(id);
    const TierConfig& tier = config.tiers[static_cast<size_t>(u.tier)];
    ASSERT_EQ(d.paused, !d.paused_by.empty()) << id;
    for (const auto* by : {&d.paused_by, &d.cpu_max_by, &d.io_max_by, &d.memory_high_by}) {
      ASSERT_TRUE(std::is_sorted(by->begin(), by->end()));
      ASSERT_EQ(std::adjacent_find(by->begin(), by->end()), by->end());
    }
    ASSERT_EQ(d.cpu_weight, tier.cpu_weight);
    ASSERT_EQ(d.memory_max, tier.memory_max);
    if (untouchable(u)) {
      ASSERT_FALSE(d.paused) << id;
      ASSERT_FALSE(d.cpu_max_percent.has_value()) << id;
      ASSERT_FALSE(d.io_max.has_value()) << id;
      ASSERT_EQ(d.memory_high, tier.memory_high) << id;
      ASSERT_TRUE(d.memory_high_by.empty()) << id;
      continue;
    }
    // Recompute the strictest claim per kind independently of the planner.
    std::set<std::string> pause_by, cpu_by, io_by, mem_by;
    std::optional<double> cpu;
    std::uint64_t rd = 0, wr = 0;
    std::optional<std::uint64_t> mem = tier.memory_high;
    for (const auto& c : r.claims) {
      if (c.unit_id != id) continue;
      switch (c.kind) {
        case ClaimKind::kPause:
          pause_by.insert(c.by);
          break;
        case ClaimKind::kCpuMax:
          cpu = std::min(cpu.value_or(1e9), c.cpu_max_percent);
          cpu_by.insert(c.by);
          break;
        case ClaimKind::kIoMax:
          if (c.io.read_bps) rd = rd ? std::min(rd, c.io.read_bps) : c.io.read_bps;
          if (c.io.write_bps) wr = wr ? std::min(wr, c.io.write_bps) : c.io.write_bps;
          io_by.insert(c.by);
          break;
        case ClaimKind::kMemoryHigh:
          mem = std::min(mem.value_or(UINT64_MAX), c.memory_high);
          mem_by.insert(c.by);
          break;
        case ClaimKind::kRestart:
          break;
      }
    }
    ASSERT_EQ(std::set<std::string>(d.paused_by.begin(), d.paused_by.end()), pause_by);
    ASSERT_EQ(d.cpu_max_percent, cpu);
    ASSERT_EQ(std::set<std::string>(d.cpu_max_by.begin(), d.cpu_max_by.end()), cpu_by);
    ASSERT_EQ(d.io_max.has_value(), rd != 0 || wr != 0);
    if (d.io_max) {
      ASSERT_EQ(*d.io_max, (IoLimit{rd, wr}));
    }
    ASSERT_EQ(std::set<std::string>(d.io_max_by.begin(), d.io_max_by.end()), io_by);
    ASSERT_EQ(d.memory_high, mem);
    ASSERT_EQ(std::set<std::string>(d.memory_high_by.begin(), d.memory_high_by.end()), mem_by);
  }
}

void run_sequence(std::uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  Gen g(seed);
  const Config config = random_config(g);
  const Duration cooldown = from_seconds(config.memory_pressure.restart_cooldown_seconds);
  Snapshot s;
  int serial = 0;
  for (int n = g.integer(0, 8); n > 0; --n) s.units.push_back(random_unit(g, serial++));
  FakeClock clock;
  GovernorPolicy policy;
  std::map<std::string, TimePoint> last_restart;
  std::uint64_t mem_total = 0, io_total = 0;
  const TriggerKind kinds[] = {TriggerKind::kTier3Pause, TriggerKind::kTier3Resume,
                               TriggerKind::kMediaStart, TriggerKind::kMediaStop};

  PolicyResult r;
  auto evaluate = [&](const std::vector<TriggerEvent>& triggers) {
    r = policy.evaluate(config, s, clock.now(), triggers);
    ASSERT_NO_FATAL_FAILURE(check_invariants(config, s, r));
    // The plan carries the download cap (the actuator's effect) exactly when the media rule
    // wants it, and only with download_throttle enabled.
    ASSERT_EQ(r.desired.cap_downloads, policy.status().download_throttle_wanted);
    if (r.desired.cap_downloads) {
      ASSERT_TRUE(config.media_mode.download_throttle.enabled);
      ++coverage.download_caps;
    }
    for (const auto& d : r.decisions) coverage.events.insert(d.event);
    coverage.restarts += static_cast<int>(r.desired.restarts.size());
    for (const auto& u : s.units) coverage.protected_seen += untouchable(u) ? 1 : 0;
    for (const auto& [id, d] : r.desired.units) {
      coverage.paused += d.paused;
      coverage.cpu_max += d.cpu_max_percent.has_value();
      coverage.io_max += d.io_max.has_value();
      coverage.memory_high += !d.memory_high_by.empty();
    }
    for (const auto& req : r.desired.restarts) {
      auto it = last_restart.find(req.unit_id);
      if (it != last_restart.end()) {
        ASSERT_GE(clock.now() - it->second, cooldown) << "restart of " << req.unit_id;
      }
      last_restart[req.unit_id] = clock.now();
    }
  };

  for (int step = g.integer(5, 40); step > 0; --step) {
    s.temperature_c = g.chance(0.1) ? std::nullopt : std::optional<double>(g.real(30, 95));
    s.memory = g.chance(0.05) ? std::nullopt : std::optional<PsiStats>(random_psi(g, mem_total));
    s.io = g.chance(0.05) ? std::nullopt : std::optional<PsiStats>(random_psi(g, io_total));
    s.memory_trigger_fired = g.chance(0.2);
    s.io_trigger_fired = g.chance(0.2);
    s.media_sessions = g.chance(0.3) ? g.integer(1, 3) : 0;
    if (g.chance(0.1)) s.units.push_back(random_unit(g, serial++));
    if (g.chance(0.05) && !s.units.empty()) {
      s.units.erase(s.units.begin() + g.integer(0, static_cast<int>(s.units.size()) - 1));
    }
    for (auto& u : s.units) {
      if (g.chance(0.2)) u.memory_current = static_cast<std::uint64_t>(g.integer(0, 4000)) << 20;
    }
    std::vector<TriggerEvent> triggers;
    for (int t = g.chance(0.15) ? g.integer(1, 3) : 0; t > 0; --t) {
      triggers.push_back({kinds[g.integer(0, 3)], "test"});
    }
    ASSERT_NO_FATAL_FAILURE(evaluate(triggers));
    clock.advance(g.chance(0.3) ? std::chrono::milliseconds(g.integer(0, 999))
                                : from_seconds(g.integer(1, 40)));
  }

  // Calm: every input quiet, manual overrides withdrawn, then wait out every hold and cooldown.
  s.temperature_c = 40;
  PsiStats calm;
  calm.some.total_us = mem_total;
  calm.has_full = true;
  s.memory = calm;
  calm.some.total_us = io_total;
  s.io = calm;
  s.memory_trigger_fired = s.io_trigger_fired = false;
  s.media_sessions = 0;
  ASSERT_NO_FATAL_FAILURE(
      evaluate({{TriggerKind::kTier3Resume, "test"}, {TriggerKind::kMediaStop, "test"}}));
  clock.advance(std::chrono::seconds(400));
  ASSERT_NO_FATAL_FAILURE(evaluate({}));
  EXPECT_TRUE(r.claims.empty());
  for (const auto& [id, d] : r.desired.units) {
    EXPECT_FALSE(d.paused || d.cpu_max_percent || d.io_max || !d.memory_high_by.empty()) << id;
  }
  auto st = policy.status();
  EXPECT_EQ(st.thermal_stage, "normal");
  EXPECT_EQ(st.memory_stage, "normal");
  EXPECT_EQ(st.io_stage, "normal");
  EXPECT_EQ(st.media_stage, "inactive");
  EXPECT_FALSE(st.download_throttle_wanted);
}

TEST(PolicyPropertyTest, InvariantsHoldForRandomSequences) {
  for (std::uint64_t seed = 1; seed <= kSequences; ++seed) {
    ASSERT_NO_FATAL_FAILURE(run_sequence(seed));
    if (HasFailure()) break;
  }
  EXPECT_GT(coverage.restarts, 1000);
  EXPECT_GT(coverage.download_caps, 100);
  EXPECT_GT(coverage.paused, 1000);
  EXPECT_GT(coverage.cpu_max, 1000);
  EXPECT_GT(coverage.io_max, 1000);
  EXPECT_GT(coverage.memory_high, 1000);
  EXPECT_GT(coverage.protected_seen, 1000);
  for (const char* event : {"thermal_warn", "thermal_stage1", "thermal_stage2", "thermal_recovered",
                            "memory_squeeze", "memory_critical_restart", "memory_emergency_restart",
                            "memory_recovered", "io_throttle_engaged", "io_throttle_released",
                            "media_mode_activated", "media_mode_deactivated", "media_mode_cooldown",
                            "tier3_manual_pause", "tier3_manual_resume"}) {
    EXPECT_TRUE(coverage.events.contains(event)) << event;
  }
  std::printf("coverage: restarts %d paused %d cpu_max %d io_max %d memory_high %d events %zu\n",
              coverage.restarts, coverage.paused, coverage.cpu_max, coverage.io_max,
              coverage.memory_high, coverage.events.size());
}

}  // namespace
}  // namespace adrg
