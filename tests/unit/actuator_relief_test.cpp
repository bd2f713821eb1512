// Instant relief (actuator/relief.h): a near-zero cpu.max and a low io.max on a container's
// own cgroup from the moment its Docker pause is decided until Docker reports it done (or the
// pause fails, or is no longer wanted), journaled like every override.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>

#include "actuator/actuator.h"
#include "actuator/journal.h"
#include "actuator/relief.h"
#include "core/fs.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::TempDir;

constexpr char kDisk[] = "254:0";
constexpr char kReliefCpu[] = "1000 100000";
constexpr char kReliefIo[] = "254:0 rbps=1048576 wbps=1048576";
// Over kUserIo the relief is merged with the user's own line: their riops stays.
constexpr char kReliefIoOverUser[] = "254:0 rbps=1048576 wbps=1048576 riops=300";
// `docker run --cpus 1.5 --device-read-bps ... --device-read-iops ...`: riops must survive.
constexpr char kUserCpu[] = "150000 100000\n";
constexpr char kUserIo[] = "254:0 rbps=2097152 wbps=max riops=300 wiops=max\n";

// Docker's pause, completed when the test says so; records what the cgroup held when asked.
class ManualPauser : public UnitPauser {
 public:
  explicit ManualPauser(std::function<std::string(const std::string&)> peek)
      : peek_(std::move(peek)) {}
  void pause(const UnitSnapshot& unit, std::function<void(Status)> done) override {
    calls.push_back("pause " + unit.id);
    seen_at_pause[unit.id] = peek_(unit.id);
    pending.emplace_back(unit.id, std::move(done));
  }
  void unpause(const UnitSnapshot& unit, std::function<void(Status)> done) override {
    calls.push_back("unpause " + unit.id);
    done(Status{});
  }
  // Completes the oldest pending pause.
  void finish(Status st = {}) {
    ASSERT_FALSE(pending.empty());
    auto done = std::move(pending.front().second);
    pending.erase(pending.begin());
    done(st);
  }
  std::vector<std::string> calls;
  std::map<std::string, std::string> seen_at_pause;  // "cpu.max | io.max" when pause() ran
  std::vector<std::pair<std::string, std::function<void(Status)>>> pending;

 private:
  std::function<std::string(const std::string&)> peek_;
};

class ReliefTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add_container("ctr", kUserCpu, kUserIo);
    add_container("plain", "max 100000\n", "");
  }
  void add_container(const std::string& id, const std::string& cpu, const std::string& io) {
    tmp_.write("cg/docker/" + id + "/cpu.max", cpu);
    tmp_.write("cg/docker/" + id + "/io.max", io);
    tmp_.write("cg/docker/" + id + "/cgroup.freeze", "0\n");
  }
  std::string file(const std::string& id, const std::string& name) const {
    std::error_code ec;
    if (!std::filesystem::exists(tmp_.path() + "/cg/docker/" + id + "/" + name, ec)) return "-";
    return tmp_.read("cg/docker/" + id + "/" + name);
  }
  std::string both(const std::string& id) const {
    return trim(file(id, "cpu.max")) + " | " + trim(file(id, "io.max"));
  }
  ActuatorOptions options() const {
    ActuatorOptions o;
    o.cgroup_root = tmp_.path() + "/cg";
    o.journal_path = tmp_.path() + "/run/journal.json";
    o.proc_root = tmp_.path() + "/proc";
    o.sys_root = tmp_.path() + "/sys";
    o.cpu_count = 2;
    o.io_devices = {kDisk};
    return o;
  }
  UnitSnapshot unit(const std::string& id, UnitKind kind = UnitKind::kContainer) const {
    UnitSnapshot u;
    u.id = id;
    u.name = "name-" + id;
    u.kind = kind;
    u.tier = 3;
    u.cgroup_path = "/docker/" + id;
    return u;
  }
  std::vector<UnitSnapshot> units() const { return {unit("ctr"), unit("plain")}; }
  static DesiredState pause(std::vector<std::string> ids,
                            const std::function<void(DesiredUnit&)>& more = {}) {
    DesiredState d;
    for (const auto& id : ids) {
      DesiredUnit& u = d.units[id];
      u.unit_id = id;
      u.paused = true;
      u.paused_by = {"media"};
      if (more) more(u);
    }
    return d;
  }
  JournalData journal() const {
    Journal j(tmp_.path() + "/run/journal.json");
    EXPECT_TRUE(j.load().ok());
    return j.data();
  }

  TempDir tmp_;
  ManualPauser pauser_{[this](const std::string& id) { return both(id); }};
};

TEST(ReliefMath, TheStricterOfClaimAndRelief) {
  EXPECT_EQ(relief_cpu_max(std::nullopt), kReliefCpu);
  EXPECT_EQ(relief_cpu_max("40000 100000"), kReliefCpu);
  EXPECT_EQ(relief_cpu_max("max 100000"), kReliefCpu);
  EXPECT_EQ(relief_cpu_max("1000 1000000"), "1000 1000000");  // 0.1 % beats 1 %
  EXPECT_EQ(relief_cpu_max("1000 100000"), kReliefCpu);
  EXPECT_EQ(relief_io_max(std::nullopt), (IoLimit{1 << 20, 1 << 20}));
  EXPECT_EQ(relief_io_max(IoLimit{5 << 20, 0}), (IoLimit{1 << 20, 1 << 20}));
  EXPECT_EQ(relief_io_max(IoLimit{0, 4096}), (IoLimit{1 << 20, 4096}));
}

TEST_F(ReliefTest, WrittenBeforeThePauseAndLiftedByteExactOncePaused) {
  Actuator actuator(options(), nullptr, &pauser_);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(pause({"ctr"}), units());
  // Docker was asked only once the throttle was in the files, and journaled.
  ASSERT_EQ(pauser_.calls, std::vector<std::string>{"pause ctr"});
  EXPECT_EQ(pauser_.seen_at_pause["ctr"], std::string(kReliefCpu) + " | " + kReliefIoOverUser);
  auto data = journal();
  ASSERT_EQ(data.overrides.size(), 2u);
  EXPECT_EQ(data.overrides.at({"ctr", tmp_.path() + "/cg/docker/ctr", "cpu.max", ""}).original,
            kUserCpu);
  const AppliedUnit& during = actuator.applied().units.at("ctr");
  EXPECT_TRUE(during.relief);
  EXPECT_FALSE(during.paused);
  EXPECT_TRUE(during.pending);
  EXPECT_EQ(during.cpu_max_by, std::vector<std::string>{"relief"});
  EXPECT_EQ(during.io_max_by, std::vector<std::string>{"relief"});

  pauser_.finish();
  // The user's own limits, byte-exact but for the newline the kernel prints itself.
  EXPECT_EQ(file("ctr", "cpu.max"), "150000 100000");
  EXPECT_EQ(file("ctr", "io.max"), "254:0 rbps=2097152 wbps=max riops=300 wiops=max");
  const AppliedUnit& after = actuator.applied().units.at("ctr");
  EXPECT_FALSE(after.relief);
  EXPECT_TRUE(after.paused);
  EXPECT_EQ(after.paused_via, "docker");
  EXPECT_EQ(after.files, (std::map<std::string, std::string>{{"docker.pause", "paused"}}));
  EXPECT_TRUE(journal().overrides.empty());
  EXPECT_EQ(journal().pauses.size(), 1u);
  // Later ticks neither throttle nor pause again.
  actuator.apply(pause({"ctr"}), units());
  EXPECT_EQ(file("ctr", "cpu.max"), "150000 100000");
  EXPECT_EQ(pauser_.calls.size(), 1u);
}

TEST_F(ReliefTest, EveryPauseOfOneApplyIsInFlightTogetherUnderRelief) {
  Actuator actuator(options(), nullptr, &pauser_);
  actuator.apply(pause({"ctr", "plain"}), units());
  ASSERT_EQ(pauser_.pending.size(), 2u);
  EXPECT_EQ(both("ctr"), std::string(kReliefCpu) + " | " + kReliefIoOverUser);
  EXPECT_EQ(both("plain"), std::string(kReliefCpu) + " | " + kReliefIo);
  pauser_.finish();  // ctr
  EXPECT_EQ(both("ctr"), "150000 100000 | 254:0 rbps=2097152 wbps=max riops=300 wiops=max");
  EXPECT_EQ(both("plain"), std::string(kReliefCpu) + " | " + kReliefIo);
  pauser_.finish();  // plain: no io.max line before, so "no limit" is written back
  EXPECT_EQ(both("plain"), "max 100000 | 254:0 rbps=max wbps=max");
}

TEST_F(ReliefTest, FailedPauseLiftsTheThrottleReportsAndRetriesWithoutIt) {
  Actuator actuator(options(), nullptr, &pauser_);
  actuator.apply(pause({"ctr"}), units());
  EXPECT_EQ(pauser_.seen_at_pause["ctr"], std::string(kReliefCpu) + " | " + kReliefIoOverUser);
  pauser_.finish(Error{std::make_error_code(std::errc::device_or_resource_busy), "runc timeout"});
  EXPECT_EQ(file("ctr", "cpu.max"), "150000 100000");
  EXPECT_EQ(file("ctr", "io.max"), "254:0 rbps=2097152 wbps=max riops=300 wiops=max");
  const AppliedUnit& failed = actuator.applied().units.at("ctr");
  EXPECT_FALSE(failed.relief);
  EXPECT_FALSE(failed.paused);
  EXPECT_NE(failed.errors.at("docker.pause").find("runc timeout"), std::string::npos);
  EXPECT_TRUE(journal().overrides.empty());
  EXPECT_TRUE(journal().pauses.empty());
  // The next tick asks Docker again, without a throttle that could outlive a failing pause.
  actuator.apply(pause({"ctr"}), units());
  ASSERT_EQ(pauser_.calls, (std::vector<std::string>{"pause ctr", "pause ctr"}));
  EXPECT_EQ(pauser_.seen_at_pause["ctr"],
            "150000 100000 | 254:0 rbps=2097152 wbps=max riops=300 wiops=max");
  pauser_.finish();
  EXPECT_TRUE(actuator.applied().units.at("ctr").paused);
  EXPECT_TRUE(actuator.applied().units.at("ctr").errors.empty());
}

TEST_F(ReliefTest, VanishedContainerLosesItsThrottleWithoutErrors) {
  Actuator actuator(options(), nullptr, &pauser_);
  actuator.apply(pause({"ctr"}), units());
  EXPECT_EQ(both("ctr"), std::string(kReliefCpu) + " | " + kReliefIoOverUser);
  std::filesystem::remove_all(tmp_.path() + "/cg/docker/ctr");
  pauser_.finish(
      Error{std::make_error_code(std::errc::no_such_file_or_directory), "No such container: ctr"});
  const AppliedUnit& gone = actuator.applied().units.at("ctr");
  EXPECT_FALSE(gone.relief);
  EXPECT_EQ(gone.errors.size(), 1u);  // the pause's, nothing about the vanished files
  EXPECT_NE(gone.errors.at("docker.pause").find("No such container"), std::string::npos);
  EXPECT_TRUE(journal().overrides.empty());
  actuator.apply(DesiredState{}, {});  // the inventory no longer lists it
  EXPECT_EQ(actuator.applied().units.count("ctr"), 0u);
  EXPECT_TRUE(journal().overrides.empty());
  EXPECT_TRUE(journal().pauses.empty());
}

TEST_F(ReliefTest, ResumeDuringThePauseLiftsTheThrottleAtOnce) {
  Actuator actuator(options(), nullptr, &pauser_);
  actuator.apply(pause({"ctr"}), units());
  EXPECT_EQ(both("ctr"), std::string(kReliefCpu) + " | " + kReliefIoOverUser);
  actuator.apply(DesiredState{}, units());
  EXPECT_EQ(file("ctr", "cpu.max"), "150000 100000");
  EXPECT_FALSE(actuator.applied().units.at("ctr").relief);
  pauser_.finish();  // Docker paused it meanwhile: adrg unpauses it again
  EXPECT_EQ(pauser_.calls, (std::vector<std::string>{"pause ctr", "unpause ctr"}));
  EXPECT_EQ(file("ctr", "cpu.max"), "150000 100000");
  EXPECT_EQ(actuator.pending_operations(), 0u);
}

TEST_F(ReliefTest, ExternallyPausedContainersAndFrozenUnitsGetNone) {
  add_container("job", "max 100000\n", "");
  auto before_user = both("ctr");
  auto before_job = both("job");
  Actuator actuator(options(), nullptr, &pauser_);
  auto all = units();
  all[0].paused_externally = true;  // `docker pause ctr` by the user
  all.push_back(unit("job", UnitKind::kJob));
  actuator.apply(pause({"ctr", "plain", "job"}), all);
  EXPECT_EQ(pauser_.calls, std::vector<std::string>{"pause plain"});
  EXPECT_EQ(both("ctr"), before_user);
  EXPECT_EQ(both("job"), before_job);  // cgroup.freeze is instant: nothing to bridge
  EXPECT_EQ(trim(file("job", "cgroup.freeze")), "1");
  EXPECT_EQ(both("plain"), std::string(kReliefCpu) + " | " + kReliefIo);
  pauser_.finish();
  actuator.apply(DesiredState{}, all);
  EXPECT_EQ(pauser_.calls, (std::vector<std::string>{"pause plain", "unpause plain"}));
  EXPECT_EQ(both("ctr"), before_user);
}

TEST_F(ReliefTest, ClaimOnTheSameFilesWinsOnceTheReliefEnds) {
  Actuator actuator(options(), nullptr, &pauser_);
  auto claims = [](DesiredUnit& u) {
    u.cpu_max_percent = 20;  // of 2 CPUs
    u.cpu_max_by = {"media"};
    u.io_max = IoLimit{5 << 20, 4096};  // a write cap stricter than the relief's stays
    u.io_max_by = {"io"};
  };
  actuator.apply(pause({"ctr"}, claims), units());
  EXPECT_EQ(both("ctr"), std::string(kReliefCpu) + " | 254:0 rbps=1048576 wbps=4096 riops=300");
  EXPECT_EQ(actuator.applied().units.at("ctr").cpu_max_by,
            (std::vector<std::string>{"media", "relief"}));
  pauser_.finish();
  // The claim's cpu.max and write cap; the user's own 2 MiB/s read cap is the stricter one.
  EXPECT_EQ(both("ctr"), "40000 100000 | 254:0 rbps=2097152 wbps=4096 riops=300");
  const AppliedUnit& after = actuator.applied().units.at("ctr");
  EXPECT_EQ(after.cpu_max_by, std::vector<std::string>{"media"});
  EXPECT_EQ(after.io_max_by, std::vector<std::string>{"io"});
  // The claim's release still restores the user's values, from the one journaled original.
  actuator.apply(pause({"ctr"}), units());
  EXPECT_EQ(file("ctr", "cpu.max"), "150000 100000");
  EXPECT_EQ(file("ctr", "io.max"), "254:0 rbps=2097152 wbps=max riops=300 wiops=max");
}

TEST_F(ReliefTest, DryRunWritesNothingButSaysWhatItWould) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("relief", sink));
  auto opts = options();
  opts.dry_run = true;
  {
    Actuator actuator(opts, nullptr, &pauser_);
    actuator.apply(pause({"ctr"}), units());
    actuator.apply(DesiredState{}, units());
  }
  spdlog::set_default_logger(previous);
  EXPECT_EQ(both("ctr"), "150000 100000 | 254:0 rbps=2097152 wbps=max riops=300 wiops=max");
  EXPECT_EQ(file("ctr", "cpu.max"), kUserCpu);  // not even rewritten
  EXPECT_TRUE(pauser_.calls.empty());
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/run"));
  std::string log;
  for (const auto& line : sink->last_formatted()) log += line;
  EXPECT_NE(
      log.find("dry-run: would write 1000 100000 to " + tmp_.path() + "/cg/docker/ctr/cpu.max"),
      std::string::npos)
      << log;
}

TEST_F(ReliefTest, CrashMidReliefIsUndoneByTheNextRun) {
  {
    ManualPauser never{[](const std::string&) { return std::string(); }};
    Actuator crashed(options(), nullptr, &never);
    crashed.apply(pause({"ctr"}), units());
    EXPECT_EQ(both("ctr"), std::string(kReliefCpu) + " | " + kReliefIoOverUser);
  }  // no release: the process died with the pause in flight
  Actuator next(options(), nullptr, &pauser_);
  ASSERT_TRUE(next.start().ok());
  next.apply(DesiredState{}, units());
  EXPECT_EQ(file("ctr", "cpu.max"), "150000 100000");
  EXPECT_EQ(file("ctr", "io.max"), "254:0 rbps=2097152 wbps=max riops=300 wiops=max");
  EXPECT_EQ(pauser_.calls, std::vector<std::string>{"unpause ctr"});  // Docker may have paused it
  EXPECT_TRUE(journal().overrides.empty());
  EXPECT_TRUE(journal().pauses.empty());
}

TEST_F(ReliefTest, OffSwitchPausesWithoutIt) {
  auto opts = options();
  opts.instant_relief = false;
  Actuator actuator(opts, nullptr, &pauser_);
  actuator.apply(pause({"ctr"}), units());
  EXPECT_EQ(pauser_.seen_at_pause["ctr"],
            "150000 100000 | 254:0 rbps=2097152 wbps=max riops=300 wiops=max");
  actuator.set_instant_relief(true);  // a reload turning it on takes the next pause
  actuator.apply(pause({"ctr", "plain"}), units());
  EXPECT_EQ(pauser_.seen_at_pause["plain"], std::string(kReliefCpu) + " | " + kReliefIo);
}

TEST_F(ReliefTest, HybridHostWithoutCpuMaxStillPauses) {
  std::filesystem::remove(tmp_.path() + "/cg/docker/ctr/cpu.max");
  std::filesystem::remove(tmp_.path() + "/cg/docker/ctr/io.max");
  Actuator actuator(options(), nullptr, &pauser_);
  actuator.apply(pause({"ctr", "plain"}), units());
  EXPECT_EQ(pauser_.calls, (std::vector<std::string>{"pause ctr", "pause plain"}));
  EXPECT_EQ(pauser_.seen_at_pause["ctr"], "- | -");
  EXPECT_EQ(both("plain"), std::string(kReliefCpu) + " | " + kReliefIo);  // where it exists
  EXPECT_TRUE(actuator.applied().units.at("ctr").errors.empty());
  pauser_.finish();
  pauser_.finish();
  EXPECT_TRUE(actuator.applied().units.at("ctr").paused);
  EXPECT_EQ(both("plain"), "max 100000 | 254:0 rbps=max wbps=max");
  EXPECT_EQ(both("ctr"), "- | -");  // never created
}

}  // namespace
}  // namespace adrg
