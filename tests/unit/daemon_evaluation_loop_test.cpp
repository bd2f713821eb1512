// The rule evaluation loop on a FakeClock, with the real GovernorPolicy and a real Actuator on a
// temporary cgroup tree (no executor: writes are inline; a fake Docker answers at once). One test
// drives a full escalation and recovery, media -> thermal stage 1 -> stage 2 -> memory squeeze ->
// critical -> emergency -> all clear, and checks every planned effect, every event and every
// restore; another that a pass asked for during a pass folds into one more.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "daemon/evaluation_loop.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using std::chrono::seconds;
using testing::TempDir;

constexpr std::uint64_t kMiB = 1ull << 20;

class FakeDocker : public UnitPauser, public UnitRestarter {
 public:
  void pause(const UnitSnapshot& unit, std::function<void(Status)> done) override {
    calls.push_back("pause " + unit.name);
    done(Status{});
  }
  void unpause(const UnitSnapshot& unit, std::function<void(Status)> done) override {
    calls.push_back("unpause " + unit.name);
    done(Status{});
  }
  void restart(const UnitSnapshot& unit, std::function<void(Status)> done) override {
    calls.push_back("restart " + unit.name);
    done(Status{});
  }
  std::vector<std::string> take() { return std::exchange(calls, {}); }
  std::vector<std::string> calls;
};

// Five containers, one per tier and two in tier 3, with kernel defaults in their scopes.
class EvaluationLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.media_mode.enabled = true;
    config_.media_mode.provider = "webhook";
    config_.tiers[0].containers = {"core-*"};
    config_.tiers[1].containers = {"player"};
    config_.tiers[2].containers = {"bg-*"};
    config_.tiers[3].containers = {"bulk-*"};
    // No tier baselines: every change in the tree is then a rule's, and all clear restores all.
    for (auto& tier : config_.tiers) {
      tier.cpu_weight.reset();
      tier.io_weight.reset();
      tier.memory_high.reset();
      tier.memory_max.reset();
    }
    add_unit("core-db", 0, 100 * kMiB);
    add_unit("player", 1, 300 * kMiB);
    add_unit("bg-app", 2, 400 * kMiB);
    add_unit("bulk-a", 3, 200 * kMiB);
    add_unit("bulk-b", 3, 800 * kMiB);
    tmp_.write("proc/sys/kernel/random/boot_id", "boot-1\n");
    original_ = files();

    ActuatorOptions options;
    options.cgroup_root = tmp_.path() + "/cg";
    options.journal_path = tmp_.path() + "/journal.json";
    options.proc_root = tmp_.path() + "/proc";
    options.cpu_count = 2;
    options.io_devices = {"254:0"};
    actuator_ = std::make_unique<Actuator>(options, nullptr, &docker_);
    actuator_->set_restarter(&docker_);
    ASSERT_TRUE(actuator_->start().ok());

    EvaluationHooks hooks;
    hooks.observe = [this](const GovernorPolicy&) {
      ++observed_;
      if (std::exchange(nested_, false)) loop_->run(config_, "nested");  // a callback asks again
      return snapshot_;
    };
    hooks.decision = [this](const Decision& d, const Snapshot&) {
      decisions_.push_back(d.rule + ":" + d.to);
    };
    hooks.action = [this](const UnitAction& a) { actions_.push_back(a.action + " " + a.unit); };
    loop_ = std::make_unique<EvaluationLoop>(clock_, policy_, *actuator_, std::move(hooks));
  }

  void add_unit(const std::string& name, int tier, std::uint64_t memory) {
    for (auto [file, content] : std::map<std::string, std::string>{{"cpu.max", "max 100000\n"},
                                                                   {"memory.high", "max\n"},
                                                                   {"memory.max", "max\n"},
                                                                   {"cpu.weight", "100\n"},
                                                                   {"io.weight", "default 100\n"},
                                                                   {"io.max", ""},
                                                                   {"cgroup.freeze", "0\n"}}) {
      tmp_.write("cg/" + name + "/" + file, content);
    }
    UnitSnapshot u;
    u.id = "id-" + name;
    u.name = name;
    u.tier = tier;
    u.is_protected = tier == 0;
    u.cgroup_path = "/" + name;
    u.memory_current = memory;
    snapshot_.units.push_back(u);
  }
  std::map<std::string, std::string> files() const {
    std::map<std::string, std::string> out;
    for (const auto& u : snapshot_.units) {
      for (const char* f : {"cpu.max", "memory.high", "memory.max", "cpu.weight", "io.weight",
                            "io.max", "cgroup.freeze"}) {
        out[u.name + "/" + f] = tmp_.read("cg/" + u.name + "/" + f);
      }
    }
    return out;
  }
  // A file as the kernel would show it after adrg's write: without the trailing newline, and
  // for io.max without a device line whose limits are all "max" (writing one removes the line).
  static std::string kernel_view(const std::string& name, std::string text) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    if (name != "io.max") return text;
    std::string kept;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      bool all_max = true;
      std::istringstream words(line.substr(line.find(' ') + 1));
      for (std::string word; words >> word;) all_max = all_max && word.ends_with("=max");
      if (!all_max) kept += (kept.empty() ? "" : "\n") + line;
    }
    return kept;
  }
  std::string file(const std::string& unit, const std::string& name) const {
    return kernel_view(name, tmp_.read("cg/" + unit + "/" + name));
  }
  // Every file whose kernel view differs from before the first pass, as "unit/file=value".
  std::vector<std::string> changed() const {
    std::vector<std::string> out;
    for (const auto& [key, value] : files()) {
      std::string unit = key.substr(0, key.find('/'));
      std::string name = key.substr(key.find('/') + 1);
      if (kernel_view(name, value) != kernel_view(name, original_.at(key))) {
        out.push_back(key + "=" + file(unit, name));
      }
    }
    return out;
  }
  void set_memory_psi(double some10, double some60, double full10) {
    PsiStats psi;
    psi.some.avg10 = some10;
    psi.some.avg60 = some60;
    psi.full.avg10 = full10;
    psi.has_full = true;
    snapshot_.memory = psi;
  }
  void run(const std::string& why) { loop_->run(config_, why); }
  std::vector<std::string> take_actions() { return std::exchange(actions_, {}); }
  std::vector<std::string> take_decisions() { return std::exchange(decisions_, {}); }

  TempDir tmp_;
  Config config_;
  FakeClock clock_;
  GovernorPolicy policy_;
  FakeDocker docker_;
  Snapshot snapshot_;
  std::map<std::string, std::string> original_;
  std::unique_ptr<Actuator> actuator_;
  std::unique_ptr<EvaluationLoop> loop_;
  std::vector<std::string> decisions_;
  std::vector<std::string> actions_;
  int observed_ = 0;
  bool nested_ = false;
};

using Strings = std::vector<std::string>;

TEST_F(EvaluationLoopTest, FullEscalationAndRecovery) {
  snapshot_.temperature_c = 50;
  set_memory_psi(0, 0, 0);
  run("start");
  EXPECT_TRUE(changed().empty());
  EXPECT_TRUE(docker_.take().empty());
  EXPECT_TRUE(take_actions().empty());

  // Media: tier 3 paused through Docker; tier 2 capped at 20 % of the machine and 10/5 MiB/s.
  clock_.advance(seconds(1));
  loop_->queue({TriggerKind::kMediaStart, "test"});
  run("trigger media_start");
  EXPECT_EQ(docker_.take(), (Strings{"pause bulk-a", "pause bulk-b"}));
  EXPECT_EQ(take_actions(),
            (Strings{"cpu_max bg-app", "io_max bg-app", "pause bulk-a", "pause bulk-b"}));
  EXPECT_EQ(changed(), (Strings{"bg-app/cpu.max=40000 100000",
                                "bg-app/io.max=254:0 rbps=10485760 wbps=5242880"}));
  EXPECT_EQ(file("player", "cpu.max"), "max 100000");
  EXPECT_FALSE(take_decisions().empty());

  // Thermal stage 1 pauses tier 3: already paused, so Docker is not asked again.
  clock_.advance(seconds(2));
  snapshot_.temperature_c = 76;
  run("thermal");
  EXPECT_TRUE(docker_.take().empty());
  EXPECT_EQ(take_decisions(), (Strings{"thermal:stage1"}));

  // Stage 2 pauses tier 2 as well; its media caps stay underneath.
  clock_.advance(seconds(2));
  snapshot_.temperature_c = 81;
  run("thermal");
  EXPECT_EQ(docker_.take(), (Strings{"pause bg-app"}));
  EXPECT_EQ(take_actions(), (Strings{"pause bg-app"}));
  EXPECT_EQ(take_decisions(), (Strings{"thermal:stage2"}));

  // Memory squeeze: memory.high at 75 % of each tier-3 unit's memory.current.
  clock_.advance(seconds(2));
  set_memory_psi(60, 10, 0);
  run("psi memory");
  EXPECT_EQ(file("bulk-a", "memory.high"), std::to_string(200 * kMiB * 3 / 4));
  EXPECT_EQ(file("bulk-b", "memory.high"), std::to_string(800 * kMiB * 3 / 4));
  EXPECT_EQ(file("bg-app", "memory.high"), "max");
  EXPECT_TRUE(docker_.take().empty());

  // Critical: the tier-3 unit with the most memory is restarted through Docker.
  clock_.advance(seconds(5));
  set_memory_psi(60, 45, 0);
  run("psi memory");
  EXPECT_EQ(docker_.take(), (Strings{"restart bulk-b"}));
  EXPECT_EQ(take_actions(), (Strings{"restart bulk-b"}));

  // Emergency, one poll interval later: the next tier-3 unit, bulk-b being in its cooldown...
  clock_.advance(seconds(5));
  set_memory_psi(60, 45, 30);
  run("psi memory");
  EXPECT_EQ(docker_.take(), (Strings{"restart bulk-a"}));
  EXPECT_EQ(take_actions(), (Strings{"restart bulk-a"}));
  // ... and then tier 2, every tier-3 unit being in its cooldown. Never tier 0 or 1.
  clock_.advance(seconds(5));
  run("psi memory");
  EXPECT_EQ(docker_.take(), (Strings{"restart bg-app"}));
  EXPECT_EQ(take_actions(), (Strings{"restart bg-app"}));
  clock_.advance(seconds(5));
  run("psi memory");
  EXPECT_TRUE(docker_.take().empty());
  EXPECT_EQ(actuator_->restarts_requested(), 3u);

  // All clear: cool, no pressure, media stopped. Nothing lets go before its hold or cooldown.
  clock_.advance(seconds(1));
  snapshot_.temperature_c = 50;
  set_memory_psi(0, 0, 0);
  loop_->queue({TriggerKind::kMediaStop, "test"});
  run("trigger media_stop");
  EXPECT_TRUE(docker_.take().empty());
  EXPECT_FALSE(changed().empty());
  clock_.advance(seconds(31));  // thermal and memory holds done; media's 60 s cooldown is not
  run("tick");
  EXPECT_EQ(docker_.take(), (Strings{"unpause bg-app"}));
  EXPECT_EQ(take_actions(), (Strings{"resume bg-app"}));
  EXPECT_EQ(file("bulk-a", "memory.high"), "max");
  EXPECT_EQ(file("bg-app", "cpu.max"), "40000 100000");
  clock_.advance(seconds(30));
  run("tick");
  EXPECT_EQ(docker_.take(), (Strings{"unpause bulk-a", "unpause bulk-b"}));
  EXPECT_EQ(take_actions(), (Strings{"cpu_max_release bg-app", "io_max_release bg-app",
                                     "resume bulk-a", "resume bulk-b"}));
  // Every file byte-identical to before the first pass, and nothing left in the journal.
  EXPECT_TRUE(changed().empty()) << ::testing::PrintToString(changed());
  EXPECT_TRUE(
      actuator_->applied().units.empty() ||
      std::all_of(actuator_->applied().units.begin(), actuator_->applied().units.end(),
                  [](const auto& u) { return !u.second.paused && u.second.files.empty(); }));
  EXPECT_EQ(loop_->evaluations(), static_cast<std::uint64_t>(observed_));
}

TEST_F(EvaluationLoopTest, APassAskedForDuringAPassFoldsIntoOneMore) {
  nested_ = true;
  run("edge");
  EXPECT_EQ(observed_, 2);  // the nested run became one more pass, not a recursion
  EXPECT_EQ(loop_->evaluations(), 2u);
  loop_->stop();
  run("after stop");
  EXPECT_EQ(observed_, 2);
}

}  // namespace
}  // namespace adrg
