#include "actuator/actuator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "actuator/applied_json.h"
#include "actuator/cleanup.h"
#include "actuator/journal.h"
#include "core/blocking_executor.h"
#include "core/fs.h"
#include "core/json_writer.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::TempDir;

constexpr char kCtr[] = "c0ffee";   // a container with the user's own docker run limits
constexpr char kCtr2[] = "beef42";  // a container with kernel defaults
constexpr char kJob[] = "job-1";    // a job adrg owns: frozen through cgroup.freeze
constexpr char kVda[] = "254:0";    // no io.max line originally
constexpr char kSda[] = "8:0";      // has a user io.max line originally
constexpr char kSdaLine[] = "8:0 rbps=1048576 wbps=max riops=max wiops=max";

class FakePauser : public UnitPauser {
 public:
  void pause(const UnitSnapshot& unit, std::function<void(Status)> done) override {
    calls.push_back("pause " + unit.id);
    finish(std::move(done));
  }
  void unpause(const UnitSnapshot& unit, std::function<void(Status)> done) override {
    calls.push_back("unpause " + unit.id);
    finish(std::move(done));
  }
  void finish(std::function<void(Status)> done) {
    if (time_out) {
      done(Error{std::make_error_code(std::errc::timed_out), "docker did not answer"});
    } else if (fail) {
      done(Error{std::make_error_code(std::errc::io_error), "docker said no"});
    } else {
      done(Status{});
    }
  }
  bool outcome_unknown(const Error& error) const override {
    return error.code == std::errc::timed_out;
  }
  std::vector<std::string> calls;
  bool fail = false;
  bool time_out = false;  // the request left but no answer came: Docker may still do it
};

// Holds each restart's completion until the test finishes it, like Docker answering later.
class FakeRestarter : public UnitRestarter {
 public:
  void restart(const UnitSnapshot& unit, std::function<void(Status)> done) override {
    calls.push_back(unit.id);
    pending.push_back(std::move(done));
  }
  void finish_all(Status st = {}) {
    for (auto& done : std::exchange(pending, {})) done(st);
  }
  std::vector<std::string> calls;
  std::vector<std::function<void(Status)>> pending;
};

// A fake cgroup v2 tree and /sys in a temp dir, laid out like the real thing.
class ActuatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Container started with `docker run --cpus 1.5 --memory 2g`.
    write_unit(kCtr, {{"cpu.max", "150000 100000\n"},
                      {"memory.max", "2147483648\n"},
                      {"memory.high", "max\n"},
                      {"cpu.weight", "100\n"},
                      {"io.weight", "default 100\n"},
                      {"io.max", std::string(kSdaLine) + "\n"},
                      {"cgroup.freeze", "0\n"}});
    write_unit(kCtr2, {{"cpu.max", "max 100000\n"},
                       {"memory.max", "max\n"},
                       {"memory.high", "max\n"},
                       {"cpu.weight", "100\n"},
                       {"io.weight", "default 100\n"},
                       {"io.max", ""},
                       {"cgroup.freeze", "0\n"}});
    write_unit(kJob, {{"cpu.max", "max 100000\n"},
                      {"memory.high", "max\n"},
                      {"cgroup.freeze", "0\n"},
                      {"cgroup.events", "populated 1\nfrozen 0\n"}});
    // /sys/block: two real disks, and what must not count as one.
    tmp_.write("sys/block/vda/dev", "254:0\n");
    tmp_.write("sys/block/vda/size", "536870912\n");
    tmp_.write("sys/block/sda/dev", "8:0\n");
    tmp_.write("sys/block/sda/size", "1000\n");
    tmp_.write("sys/block/loop0/dev", "7:0\n");
    tmp_.write("sys/block/loop0/size", "2048\n");
    tmp_.write("sys/block/zram0/dev", "253:0\n");
    tmp_.write("sys/block/zram0/size", "0\n");
    tmp_.write("sys/block/nbd0/dev", "43:0\n");
    tmp_.write("sys/block/nbd0/size", "0\n");
    tmp_.write("sys/block/dm-0/dev", "252:0\n");
    tmp_.write("sys/block/dm-0/size", "1000\n");
    tmp_.write("sys/block/sdb/dev", "8:16\n");  // empty card reader
    tmp_.write("sys/block/sdb/size", "0\n");
    tmp_.write("sys/block/sdc1/dev", "8:33\n");
    tmp_.write("sys/block/sdc1/size", "10\n");
    tmp_.write("sys/block/sdc1/partition", "1\n");
    tmp_.write("sys/devices/system/cpu/online", "0-1\n");
  }

  void write_unit(const std::string& id, const std::map<std::string, std::string>& files) {
    for (const auto& [name, content] : files) tmp_.write("cg/" + dir_of(id) + "/" + name, content);
  }
  static std::string dir_of(const std::string& id) {
    return id == kJob ? std::string("adrg/") + id : std::string("docker/") + id;
  }
  std::string cg(const std::string& id) const { return tmp_.path() + "/cg/" + dir_of(id); }
  std::string read(const std::string& id, const std::string& file) const {
    return tmp_.read("cg/" + dir_of(id) + "/" + file);
  }
  // Semantic comparison: the kernel prints a trailing newline, adrg writes without one.
  std::string value(const std::string& id, const std::string& file) const {
    return trim(read(id, file));
  }
  std::string journal_path() const { return tmp_.path() + "/lib/journal.json"; }

  ActuatorOptions options(int cpus = 2) const {
    ActuatorOptions o;
    o.cgroup_root = tmp_.path() + "/cg";
    o.journal_path = journal_path();
    o.cpu_count = cpus;
    o.sys_root = tmp_.path() + "/sys";
    return o;
  }

  UnitSnapshot unit(const std::string& id, UnitKind kind = UnitKind::kContainer) const {
    UnitSnapshot u;
    u.id = id;
    u.name = "name-" + id;
    u.kind = id == kJob ? UnitKind::kJob : kind;
    u.tier = 3;
    // Relative to the cgroup root, as /proc/<pid>/cgroup prints it; the job uses a full path.
    u.cgroup_path = id == kJob ? cg(id) : "/" + dir_of(id);
    return u;
  }
  std::vector<UnitSnapshot> all_units() const { return {unit(kCtr), unit(kCtr2), unit(kJob)}; }

  JournalData journal() const {
    Journal j(journal_path());
    EXPECT_TRUE(j.load().ok());
    return j.data();
  }

  // Every file under the temp dir with its content.
  std::map<std::string, std::string> tree() const {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(tmp_.path())) {
      if (e.is_regular_file())
        out[e.path().string()] =
            tmp_.read(std::filesystem::relative(e.path(), tmp_.path()).string());
    }
    return out;
  }

  TempDir tmp_;
};

DesiredState want(const std::string& id, const std::function<void(DesiredUnit&)>& fill) {
  DesiredState d;
  DesiredUnit& u = d.units[id];
  u.unit_id = id;
  fill(u);
  return d;
}

void add(DesiredState& d, const std::string& id, const std::function<void(DesiredUnit&)>& fill) {
  DesiredUnit& u = d.units[id];
  u.unit_id = id;
  fill(u);
}

// ---------------------------------------------------------------------------------------------

TEST(ActuatorMath, CpuMaxIsPercentOfTheWholeMachine) {
  EXPECT_EQ(cpu_max_text(20, 2, 100000), "40000 100000");
  EXPECT_EQ(cpu_max_text(20, 4, 100000), "80000 100000");
  EXPECT_EQ(cpu_max_text(50, 4, 50000), "100000 50000");
  EXPECT_EQ(cpu_max_text(100, 2, 100000), "200000 100000");
  EXPECT_EQ(cpu_max_text(250, 2, 100000), "200000 100000");  // never above the machine
  EXPECT_EQ(cpu_max_text(0.1, 2, 100000), "1000 100000");    // the kernel's minimum quota
  EXPECT_EQ(cpu_max_text(0, 4, 100000), "1000 100000");
}

TEST(ActuatorMath, IoMaxLinesAndRestoreText) {
  EXPECT_EQ(io_max_line("254:0", {5242880, 2097152}), "254:0 rbps=5242880 wbps=2097152");
  EXPECT_EQ(io_max_line("8:0", {0, 2097152}), "8:0 rbps=max wbps=2097152");
  std::string content = "8:16 rbps=1 wbps=max riops=max wiops=max\n" + std::string(kSdaLine) + "\n";
  EXPECT_EQ(io_max_device_line(content, "8:0"), kSdaLine);
  EXPECT_EQ(io_max_device_line(content, "8:1"), "");
  EXPECT_EQ(io_max_device_line(content, "254:0"), "");
  EXPECT_EQ(restore_text({{"u", "/c", "io.max", "254:0"}, "", "x"}), "254:0 rbps=max wbps=max");
  EXPECT_EQ(restore_text({{"u", "/c", "io.max", "8:0"}, kSdaLine, "x"}), kSdaLine);
  EXPECT_EQ(restore_text({{"u", "/c", "io.weight", ""}, "default 100\n8:0 300\n", "x"}),
            "default 100");
  EXPECT_EQ(restore_text({{"u", "/c", "cpu.max", ""}, "150000 100000\n", "x"}), "150000 100000");
  EXPECT_EQ(restore_text({{"u", "/c", "memory.max", ""}, "max\n", "x"}), "max");
}

TEST_F(ActuatorTest, DetectsPhysicalWholeDisksAndCpus) {
  EXPECT_EQ(detect_io_devices(tmp_.path() + "/sys"), (std::vector<std::string>{kSda, kVda}));
  EXPECT_EQ(detect_cpu_count(tmp_.path() + "/sys"), 2);
  tmp_.write("sys/devices/system/cpu/online", "0-3,6,8-9\n");
  EXPECT_EQ(detect_cpu_count(tmp_.path() + "/sys"), 7);
  Actuator actuator(options(0), nullptr, nullptr);
  EXPECT_EQ(actuator.cpu_count(), 7);
  EXPECT_EQ(actuator.io_devices(), (std::vector<std::string>{kSda, kVda}));
}

TEST_F(ActuatorTest, UserValuesAreJournaledOverriddenAndRestoredByteExact) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(want(kCtr,
                      [](DesiredUnit& u) {
                        u.cpu_max_percent = 20;
                        u.cpu_max_by = {"media"};
                        u.memory_max = 1073741824;
                        u.memory_high = 805306368;
                        u.memory_high_by = {"memory"};
                      }),
                 all_units());
  EXPECT_EQ(value(kCtr, "cpu.max"), "40000 100000");  // 20% of 2 CPUs
  EXPECT_EQ(value(kCtr, "memory.max"), "1073741824");
  EXPECT_EQ(value(kCtr, "memory.high"), "805306368");
  EXPECT_EQ(value(kCtr, "cpu.weight"), "100");  // not desired: untouched

  // Write-ahead: the journal holds the originals exactly as the kernel printed them.
  auto data = journal();
  ASSERT_EQ(data.overrides.size(), 3u);
  const auto* cpu = &data.overrides.at({kCtr, cg(kCtr), "cpu.max", ""});
  EXPECT_EQ(cpu->original, "150000 100000\n");
  EXPECT_EQ(cpu->written, "40000 100000");
  EXPECT_EQ(data.overrides.at({kCtr, cg(kCtr), "memory.max", ""}).original, "2147483648\n");
  EXPECT_EQ(data.overrides.at({kCtr, cg(kCtr), "memory.high", ""}).original, "max\n");

  const auto& applied = actuator.applied().units.at(kCtr);
  ASSERT_TRUE(applied.cpu_max_percent);
  EXPECT_DOUBLE_EQ(*applied.cpu_max_percent, 20);
  EXPECT_EQ(applied.cpu_max_by, std::vector<std::string>{"media"});
  EXPECT_EQ(applied.memory_high, 805306368u);
  EXPECT_EQ(applied.memory_high_by, std::vector<std::string>{"memory"});
  EXPECT_EQ(applied.memory_max, 1073741824u);
  EXPECT_FALSE(applied.paused);
  EXPECT_FALSE(applied.pending);

  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kCtr, "cpu.max"), "150000 100000");  // the original minus its newline
  EXPECT_EQ(read(kCtr, "memory.max"), "2147483648");
  EXPECT_EQ(read(kCtr, "memory.high"), "max");
  EXPECT_TRUE(journal().empty());
  EXPECT_TRUE(actuator.applied().units.empty());
}

class ReleaseOrder : public ActuatorTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ReleaseOrder, TwoClaimsReleasedInEitherOrder) {
  const bool cpu_first = GetParam();
  auto opts = options();
  opts.io_devices = {kVda};  // one device: the fake io.max file shows exactly its line
  Actuator actuator(opts, nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  auto cpu = [](DesiredUnit& u) {
    u.cpu_max_percent = 10;
    u.cpu_max_by = {"media"};
  };
  auto io = [](DesiredUnit& u) {
    u.io_max = IoLimit{5242880, 2097152};
    u.io_max_by = {"io"};
  };
  actuator.apply(want(kCtr2,
                      [&](DesiredUnit& u) {
                        cpu(u);
                        io(u);
                      }),
                 all_units());
  EXPECT_EQ(value(kCtr2, "cpu.max"), "20000 100000");
  ASSERT_EQ(journal().overrides.size(), 2u);  // cpu.max + io.max of vda

  // The first rule lets go: only its file comes back, the other stays.
  actuator.apply(want(kCtr2, cpu_first ? io : cpu), all_units());
  if (cpu_first) {
    EXPECT_EQ(read(kCtr2, "cpu.max"), "max 100000");
    EXPECT_EQ(actuator.applied().units.at(kCtr2).io_max, (IoLimit{5242880, 2097152}));
    EXPECT_FALSE(actuator.applied().units.at(kCtr2).cpu_max_percent);
    EXPECT_EQ(journal().overrides.size(), 1u);
  } else {
    EXPECT_EQ(value(kCtr2, "cpu.max"), "20000 100000");
    EXPECT_EQ(read(kCtr2, "io.max"), "254:0 rbps=max wbps=max");  // vda had no limit
    EXPECT_FALSE(actuator.applied().units.at(kCtr2).io_max);
    EXPECT_EQ(journal().overrides.size(), 1u);
  }
  // Then the other.
  actuator.apply(DesiredState{}, all_units());
  EXPECT_EQ(read(kCtr2, "cpu.max"), "max 100000");
  EXPECT_EQ(read(kCtr2, "io.max"), "254:0 rbps=max wbps=max");
  EXPECT_TRUE(journal().empty());
  EXPECT_TRUE(actuator.applied().units.empty());
}

INSTANTIATE_TEST_SUITE_P(Actuator, ReleaseOrder, ::testing::Bool());

TEST_F(ActuatorTest, DiffWritesOnlyWhatChanged) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  auto first = want(kCtr, [](DesiredUnit& u) {
    u.cpu_max_percent = 20;
    u.memory_high = 1 << 30;
    u.cpu_weight = 10;
  });
  actuator.apply(first, all_units());
  EXPECT_EQ(value(kCtr, "cpu.weight"), "10");
  // Sentinels: any rewrite of these files would replace them.
  tmp_.write("cg/docker/c0ffee/cpu.max", "sentinel-cpu");
  tmp_.write("cg/docker/c0ffee/memory.high", "sentinel-mem");
  tmp_.write("cg/docker/c0ffee/cpu.weight", "sentinel-weight");
  auto journal_before = tmp_.read("lib/journal.json");

  actuator.apply(first, all_units());  // nothing changed: nothing written, journal untouched
  EXPECT_EQ(read(kCtr, "cpu.max"), "sentinel-cpu");
  EXPECT_EQ(read(kCtr, "memory.high"), "sentinel-mem");
  EXPECT_EQ(read(kCtr, "cpu.weight"), "sentinel-weight");
  EXPECT_EQ(tmp_.read("lib/journal.json"), journal_before);

  auto second = first;
  second.units[kCtr].cpu_max_percent = 30;
  actuator.apply(second, all_units());  // only cpu.max moves
  EXPECT_EQ(value(kCtr, "cpu.max"), "60000 100000");
  EXPECT_EQ(read(kCtr, "memory.high"), "sentinel-mem");
  EXPECT_EQ(read(kCtr, "cpu.weight"), "sentinel-weight");
  // The original is still the one from before the first override, not an adrg value.
  EXPECT_EQ(journal().overrides.at({kCtr, cg(kCtr), "cpu.max", ""}).original, "150000 100000\n");
  EXPECT_EQ(journal().overrides.at({kCtr, cg(kCtr), "cpu.max", ""}).written, "60000 100000");

  // "by" lists change without a write.
  second.units[kCtr].cpu_max_by = {"media", "manual"};
  actuator.apply(second, all_units());
  EXPECT_EQ(actuator.applied().units.at(kCtr).cpu_max_by,
            (std::vector<std::string>{"media", "manual"}));
  EXPECT_EQ(read(kCtr, "memory.high"), "sentinel-mem");
}

TEST_F(ActuatorTest, DryRunWritesNothingNotEvenTheJournal) {
  auto before = tree();
  auto opts = options();
  opts.dry_run = true;
  Actuator actuator(opts, nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  DesiredState d = want(kCtr, [](DesiredUnit& u) {
    u.paused = true;
    u.cpu_max_percent = 20;
    u.io_max = IoLimit{1, 2};
    u.memory_high = 1 << 30;
    u.memory_max = 1u << 31;
    u.cpu_weight = 10;
    u.io_weight = 10;
  });
  add(d, kJob, [](DesiredUnit& u) { u.paused = true; });
  actuator.apply(d, all_units());
  // What it would do is visible (for /status and the logs) ...
  EXPECT_TRUE(actuator.applied().dry_run);
  EXPECT_EQ(actuator.applied().units.at(kCtr).files.at("cpu.max"), "40000 100000");
  EXPECT_TRUE(actuator.applied().units.at(kJob).paused);
  // The user's own limits are compared too: memory.max 2 GiB ties adrg's, so the user's stays.
  EXPECT_EQ(actuator.applied().units.at(kCtr).limits.at("memory.max"),
            (AppliedLimit{"2147483648", "2147483648", "2147483648", LimitSource::kUser}));
  EXPECT_EQ(actuator.applied().units.at(kCtr).limits.at("io.max 8:0").effective,
            "8:0 rbps=1 wbps=2");
  actuator.apply(DesiredState{}, all_units());
  actuator.apply(d, all_units());
  EXPECT_TRUE(actuator.release_all().ok());
  // ... but the tree is byte-identical and no journal exists.
  EXPECT_EQ(tree(), before);
  EXPECT_FALSE(std::filesystem::exists(journal_path()));
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/lib"));
}

TEST_F(ActuatorTest, CpuMaxPercentOfMachineFor2And4Cpus) {
  for (int cpus : {2, 4}) {
    Actuator actuator(options(cpus), nullptr, nullptr);
    ASSERT_TRUE(actuator.start().ok());
    actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.cpu_max_percent = 25; }), all_units());
    EXPECT_EQ(value(kCtr2, "cpu.max"), cpus == 2 ? "50000 100000" : "100000 100000");
    EXPECT_DOUBLE_EQ(*actuator.applied().units.at(kCtr2).cpu_max_percent, 25);
    ASSERT_TRUE(actuator.release_all().ok());
    EXPECT_EQ(read(kCtr2, "cpu.max"), "max 100000");
  }
  auto opts = options(4);
  opts.cpu_period_us = 50000;
  Actuator actuator(opts, nullptr, nullptr);
  actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.cpu_max_percent = 10; }), all_units());
  EXPECT_EQ(value(kCtr2, "cpu.max"), "20000 50000");
}

TEST_F(ActuatorTest, IoMaxOneLinePerDeviceOriginalPerDevice) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  ASSERT_EQ(actuator.io_devices(), (std::vector<std::string>{kSda, kVda}));
  actuator.apply(want(kCtr,
                      [](DesiredUnit& u) {
                        u.io_max = IoLimit{524288, 0};
                        u.io_max_by = {"io"};
                        u.io_weight = 50;
                      }),
                 all_units());
  // sda's own line (rbps=1048576) is looser than adrg's everywhere: adrg's line goes in whole.
  const auto& applied = actuator.applied().units.at(kCtr);
  EXPECT_EQ(applied.files.at("io.max 8:0"), "8:0 rbps=524288 wbps=max");
  EXPECT_EQ(applied.files.at("io.max 254:0"), "254:0 rbps=524288 wbps=max");
  EXPECT_EQ(applied.io_max, (IoLimit{524288, 0}));
  EXPECT_EQ(applied.io_max_by, std::vector<std::string>{"io"});
  EXPECT_EQ(applied.io_weight, 50);
  // One write per device (the kernel parses one line per write); a plain file keeps the last.
  EXPECT_TRUE(read(kCtr, "io.max") == "254:0 rbps=524288 wbps=max" ||
              read(kCtr, "io.max") == "8:0 rbps=524288 wbps=max");
  EXPECT_EQ(read(kCtr, "io.weight"), "default 50");
  auto data = journal();
  // sda had the user's own line (kept whole, riops/wiops included); vda had none.
  EXPECT_EQ(data.overrides.at({kCtr, cg(kCtr), "io.max", kSda}).original, kSdaLine);
  EXPECT_EQ(data.overrides.at({kCtr, cg(kCtr), "io.max", kVda}).original, "");
  EXPECT_EQ(data.overrides.at({kCtr, cg(kCtr), "io.weight", ""}).original, "default 100\n");
}

TEST_F(ActuatorTest, IoMaxRestoreWritesTheOriginalLineOrMax) {
  for (const char* dev : {kSda, kVda}) {
    auto opts = options();
    opts.io_devices = {dev};
    Actuator actuator(opts, nullptr, nullptr);
    ASSERT_TRUE(actuator.start().ok());
    actuator.apply(want(kCtr, [](DesiredUnit& u) { u.io_max = IoLimit{100, 200}; }), all_units());
    EXPECT_EQ(read(kCtr, "io.max"), std::string(dev) + " rbps=100 wbps=200");
    ASSERT_TRUE(actuator.release_all().ok());
    EXPECT_EQ(read(kCtr, "io.max"),
              dev == std::string(kSda) ? std::string(kSdaLine) : "254:0 rbps=max wbps=max");
    tmp_.write("cg/docker/c0ffee/io.max", std::string(kSdaLine) + "\n");
  }
}

TEST_F(ActuatorTest, IoMaxOfZeroMeansNoLimit) {
  Actuator actuator(options(), nullptr, nullptr);
  actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.io_max = IoLimit{0, 0}; }), all_units());
  EXPECT_EQ(read(kCtr2, "io.max"), "");
  EXPECT_FALSE(std::filesystem::exists(journal_path()) && !journal().empty());
}

TEST_F(ActuatorTest, CrashReplayRestoresWhatIsNoLongerClaimed) {
  DesiredState d = want(kCtr, [](DesiredUnit& u) {
    u.cpu_max_percent = 20;
    u.memory_max = 1073741824;
    u.io_max = IoLimit{1000, 2000};
  });
  add(d, kJob, [](DesiredUnit& u) {
    u.paused = true;
    u.paused_by = {"thermal"};
  });
  auto opts = options();
  opts.io_devices = {kSda};  // the disk with the user's own io.max line
  {
    Actuator a(opts, nullptr, nullptr);
    ASSERT_TRUE(a.start().ok());
    a.apply(d, all_units());
    EXPECT_EQ(value(kJob, "cgroup.freeze"), "1");
    EXPECT_EQ(value(kCtr, "io.max"), "8:0 rbps=1000 wbps=2000");
    EXPECT_EQ(value(kCtr, "cpu.max"), "40000 100000");
    // Destroyed without release_all(): what a SIGKILL leaves behind.
  }
  auto data = journal();
  EXPECT_EQ(data.overrides.size(), 4u);
  ASSERT_EQ(data.pauses.size(), 1u);
  EXPECT_EQ(data.pauses.begin()->second.via, PauseVia::kFreeze);
  EXPECT_EQ(data.pauses.begin()->second.unit_id, kJob);

  Actuator b(opts, nullptr, nullptr);
  ASSERT_TRUE(b.start().ok());
  // Before the first apply, /status already shows what the previous run left in force.
  EXPECT_TRUE(b.applied().units.at(kJob).paused);
  b.apply(DesiredState{}, all_units());
  EXPECT_EQ(read(kCtr, "cpu.max"), "150000 100000");
  EXPECT_EQ(read(kCtr, "memory.max"), "2147483648");
  EXPECT_EQ(read(kCtr, "io.max"), kSdaLine);    // the user's line, riops/wiops and all
  EXPECT_EQ(read(kJob, "cgroup.freeze"), "0");  // thawed
  EXPECT_TRUE(journal().empty());
  EXPECT_TRUE(b.applied().units.empty());
}

TEST_F(ActuatorTest, CrashReplayKeepsTheFirstOriginalForStillClaimedUnits) {
  auto d = want(kCtr, [](DesiredUnit& u) { u.cpu_max_percent = 20; });
  {
    Actuator a(options(), nullptr, nullptr);
    a.apply(d, all_units());  // apply() without start() loads the journal itself
  }
  {
    Actuator b(options(), nullptr, nullptr);
    ASSERT_TRUE(b.start().ok());
    b.apply(d, all_units());  // still claimed: stays, and the original is not re-read
    EXPECT_EQ(value(kCtr, "cpu.max"), "40000 100000");
    EXPECT_EQ(journal().overrides.at({kCtr, cg(kCtr), "cpu.max", ""}).original, "150000 100000\n");
  }
  Actuator c(options(), nullptr, nullptr);
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c.release_all().ok());
  EXPECT_EQ(read(kCtr, "cpu.max"), "150000 100000");
}

TEST_F(ActuatorTest, CleanupFromJournalRestoresEverything) {
  FakePauser pauser;
  {
    Actuator a(options(), nullptr, &pauser);
    ASSERT_TRUE(a.start().ok());
    DesiredState d = want(kCtr, [](DesiredUnit& u) {
      u.paused = true;
      u.cpu_max_percent = 5;
      u.memory_high = 123456789;
    });
    add(d, kJob, [](DesiredUnit& u) { u.paused = true; });
    a.apply(d, all_units());
    EXPECT_EQ(pauser.calls, std::vector<std::string>{"pause c0ffee"});
    EXPECT_EQ(value(kCtr, "cgroup.freeze"), "0");  // a container with a pauser is not frozen
    EXPECT_EQ(value(kJob, "cgroup.freeze"), "1");
  }
  EXPECT_EQ(journal().pauses.size(), 2u);

  // Dry-run cleanup changes nothing.
  auto before = tree();
  auto dry = options();
  dry.dry_run = true;
  ASSERT_TRUE(cleanup_from_journal(dry).ok());
  EXPECT_EQ(tree(), before);

  // Without Docker the files are restored but the Docker pause stays journaled (an error).
  EXPECT_FALSE(cleanup_from_journal(options()).ok());
  EXPECT_EQ(read(kCtr, "cpu.max"), "150000 100000");
  EXPECT_EQ(read(kCtr, "memory.high"), "max");
  EXPECT_EQ(read(kJob, "cgroup.freeze"), "0");
  ASSERT_EQ(journal().pauses.size(), 1u);
  EXPECT_TRUE(journal().overrides.empty());

  std::vector<std::string> unpaused;
  ASSERT_TRUE(cleanup_from_journal(options(), [&](const JournalPause& p) {
                unpaused.push_back(p.unit_id + " " + p.name);
                return Status{};
              }).ok());
  EXPECT_EQ(unpaused, std::vector<std::string>{"c0ffee name-c0ffee"});
  EXPECT_TRUE(journal().empty());
  EXPECT_TRUE(cleanup_from_journal(options()).ok());  // nothing left: fine to run again
}

TEST_F(ActuatorTest, CleanupReportsACorruptJournal) {
  tmp_.write("lib/journal.json", "{\"format\":\"adrg-journal\",\"version\":1,\"overr");
  auto st = cleanup_from_journal(options());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().describe().find("corrupt"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(journal_path()));  // moved aside
}

TEST_F(ActuatorTest, CorruptJournalAtStartIsLoudButNotFatal) {
  tmp_.write("lib/journal.json", "{\"format\":\"adrg-jou");
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  bool aside = false;
  for (const auto& e : std::filesystem::directory_iterator(tmp_.path() + "/lib")) {
    aside |= e.path().filename().string().starts_with("journal.json.corrupt-");
  }
  EXPECT_TRUE(aside);
  actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.cpu_weight = 5; }), all_units());
  EXPECT_EQ(value(kCtr2, "cpu.weight"), "5");
  EXPECT_EQ(journal().overrides.size(), 1u);
}

TEST_F(ActuatorTest, NoJournalNoOverride) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  // The journal's directory cannot be created any more: the save fails first, so the cgroup
  // file must stay as it was (write-ahead).
  tmp_.write("lib", "a file where the journal directory should be");
  actuator.apply(want(kCtr, [](DesiredUnit& u) { u.cpu_max_percent = 20; }), all_units());
  EXPECT_EQ(read(kCtr, "cpu.max"), "150000 100000\n");
  const auto& applied = actuator.applied().units.at(kCtr);
  EXPECT_FALSE(applied.cpu_max_percent);
  ASSERT_EQ(applied.errors.count("cpu.max"), 1u);
  EXPECT_NE(applied.errors.at("cpu.max").find("journal not saved"), std::string::npos);
  // Once the journal can be written again, the next apply succeeds.
  std::filesystem::remove(tmp_.path() + "/lib");
  actuator.apply(want(kCtr, [](DesiredUnit& u) { u.cpu_max_percent = 20; }), all_units());
  EXPECT_EQ(value(kCtr, "cpu.max"), "40000 100000");
  EXPECT_EQ(journal().overrides.at({kCtr, cg(kCtr), "cpu.max", ""}).original, "150000 100000\n");
}

// One apply is one group: journaled with one save before any file is written. When that save
// fails, no file of the group changes and nothing of it stays in the journal, so the next apply
// reads every original afresh (io.max: every device's line).
TEST_F(ActuatorTest, AGroupIsJournaledTogetherOrNotAtAll) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  auto throttle = [](DesiredUnit& u) {
    u.cpu_max_percent = 20;
    u.io_max = IoLimit{1048576, 1048576};
  };
  DesiredState d = want(kCtr, throttle);
  add(d, kCtr2, throttle);
  tmp_.write("lib", "a file where the journal directory should be");
  actuator.apply(d, all_units());
  EXPECT_EQ(read(kCtr, "cpu.max"), "150000 100000\n");
  EXPECT_EQ(read(kCtr2, "cpu.max"), "max 100000\n");
  EXPECT_EQ(read(kCtr, "io.max"), std::string(kSdaLine) + "\n");
  EXPECT_EQ(read(kCtr2, "io.max"), "");
  for (const char* id : {kCtr, kCtr2}) {
    const auto& applied = actuator.applied().units.at(id);
    EXPECT_EQ(applied.errors.count("cpu.max"), 1u) << id;
    EXPECT_FALSE(applied.cpu_max_percent) << id;
  }
  std::filesystem::remove(tmp_.path() + "/lib");
  actuator.apply(d, all_units());
  EXPECT_EQ(value(kCtr, "cpu.max"), "40000 100000");
  EXPECT_EQ(value(kCtr2, "cpu.max"), "40000 100000");
  auto data = journal();
  EXPECT_EQ(data.overrides.at({kCtr, cg(kCtr), "cpu.max", ""}).original, "150000 100000\n");
  EXPECT_EQ(data.overrides.at({kCtr2, cg(kCtr2), "cpu.max", ""}).original, "max 100000\n");
  EXPECT_EQ(data.overrides.at({kCtr2, cg(kCtr2), "io.max", kVda}).original, "");
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kCtr, "cpu.max"), "150000 100000");
  EXPECT_EQ(read(kCtr2, "cpu.max"), "max 100000");
  EXPECT_TRUE(journal().empty());
}

TEST_F(ActuatorTest, PauseRoutes) {
  FakePauser pauser;
  Actuator actuator(options(), nullptr, &pauser);
  DesiredState d = want(kCtr, [](DesiredUnit& u) {
    u.paused = true;
    u.paused_by = {"media"};
  });
  add(d, kJob, [](DesiredUnit& u) { u.paused = true; });
  actuator.apply(d, all_units());
  EXPECT_EQ(pauser.calls, std::vector<std::string>{"pause c0ffee"});
  EXPECT_EQ(value(kJob, "cgroup.freeze"), "1");
  EXPECT_EQ(value(kCtr, "cgroup.freeze"), "0");
  const auto& ctr = actuator.applied().units.at(kCtr);
  EXPECT_TRUE(ctr.paused);
  EXPECT_EQ(ctr.paused_via, "docker");
  EXPECT_EQ(ctr.paused_by, std::vector<std::string>{"media"});
  EXPECT_EQ(actuator.applied().units.at(kJob).paused_via, "cgroup.freeze");
  auto data = journal();
  ASSERT_EQ(data.pauses.size(), 2u);
  EXPECT_EQ(data.pauses.at({kCtr, cg(kCtr)}).via, PauseVia::kPauser);
  EXPECT_EQ(data.pauses.at({kCtr, cg(kCtr)}).name, "name-c0ffee");

  actuator.apply(d, all_units());  // no second pause
  EXPECT_EQ(pauser.calls.size(), 1u);
  actuator.apply(DesiredState{}, all_units());
  EXPECT_EQ(pauser.calls, (std::vector<std::string>{"pause c0ffee", "unpause c0ffee"}));
  EXPECT_EQ(read(kJob, "cgroup.freeze"), "0");
  EXPECT_TRUE(journal().empty());
}

TEST_F(ActuatorTest, ContainerWithoutPauserIsFrozen) {
  Actuator actuator(options(), nullptr, nullptr);
  actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.paused = true; }), all_units());
  EXPECT_EQ(value(kCtr2, "cgroup.freeze"), "1");
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kCtr2, "cgroup.freeze"), "0");
}

TEST_F(ActuatorTest, ExternallyPausedContainerIsLeftAlone) {
  FakePauser pauser;
  Actuator actuator(options(), nullptr, &pauser);
  auto units = all_units();
  units[0].paused_externally = true;
  actuator.apply(want(kCtr, [](DesiredUnit& u) { u.paused = true; }), units);
  actuator.apply(DesiredState{}, units);
  EXPECT_TRUE(pauser.calls.empty());  // never paused, so never unpaused either
}

TEST_F(ActuatorTest, FailedPauseIsNotJournaledAndRetried) {
  FakePauser pauser;
  pauser.fail = true;
  Actuator actuator(options(), nullptr, &pauser);
  auto d = want(kCtr, [](DesiredUnit& u) { u.paused = true; });
  actuator.apply(d, all_units());
  EXPECT_FALSE(actuator.applied().units.at(kCtr).paused);
  EXPECT_EQ(actuator.applied().units.at(kCtr).errors.count("docker.pause"), 1u);
  EXPECT_TRUE(journal().pauses.empty());
  pauser.fail = false;
  actuator.apply(d, all_units());
  EXPECT_TRUE(actuator.applied().units.at(kCtr).paused);
  EXPECT_TRUE(actuator.applied().units.at(kCtr).errors.empty());
  EXPECT_EQ(pauser.calls.size(), 2u);
}

// A pause that timed out may land later: it stays journaled, and once it is no longer wanted the
// container is unpaused (Docker's "not paused" counts as done), never left paused unclaimed.
TEST_F(ActuatorTest, TimedOutPauseStaysJournaledAndIsUnpausedWhenNoLongerWanted) {
  FakePauser pauser;
  pauser.time_out = true;
  Actuator actuator(options(), nullptr, &pauser);
  auto units = all_units();
  actuator.apply(want(kCtr, [](DesiredUnit& u) { u.paused = true; }), units);
  EXPECT_EQ(actuator.applied().units.at(kCtr).errors.count("docker.pause"), 1u);
  ASSERT_EQ(journal().pauses.size(), 1u);
  EXPECT_EQ(journal().pauses.at({kCtr, cg(kCtr)}).via, PauseVia::kPauser);
  pauser.time_out = false;
  // Docker's late pause lands; the inventory keeps adrg's claim (not paused_externally).
  actuator.apply(DesiredState{}, units);
  EXPECT_EQ(pauser.calls, (std::vector<std::string>{"pause c0ffee", "unpause c0ffee"}));
  EXPECT_TRUE(journal().empty());
}

TEST_F(ActuatorTest, TimedOutPauseStillWantedIsAskedAgain) {
  FakePauser pauser;
  pauser.time_out = true;
  Actuator actuator(options(), nullptr, &pauser);
  auto d = want(kCtr, [](DesiredUnit& u) { u.paused = true; });
  actuator.apply(d, all_units());
  pauser.time_out = false;
  actuator.apply(d, all_units());  // Docker answers "already paused" or pauses now: done
  EXPECT_EQ(pauser.calls, (std::vector<std::string>{"pause c0ffee", "pause c0ffee"}));
  EXPECT_TRUE(actuator.applied().units.at(kCtr).paused);
  EXPECT_TRUE(actuator.applied().units.at(kCtr).errors.empty());
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(pauser.calls.back(), "unpause c0ffee");
  EXPECT_TRUE(journal().empty());
}

// `docker update` on a container adrg paused: its files are written again, and the pause, which
// an update does not touch, is still undone when media stops. (A restart, by contrast, ends the
// pause with the old process: nothing to unpause.)
TEST_F(ActuatorTest, UpdateKeepsThePauseAdrgsAndRestartEndsIt) {
  FakePauser pauser;
  Actuator actuator(options(), nullptr, &pauser);
  auto d = want(kCtr, [](DesiredUnit& u) {
    u.paused = true;
    u.cpu_weight = 10;
  });
  add(d, kCtr2, [](DesiredUnit& u) { u.paused = true; });
  actuator.apply(d, all_units());
  ASSERT_EQ(pauser.calls, (std::vector<std::string>{"pause beef42", "pause c0ffee"}));
  tmp_.write("cg/" + dir_of(kCtr) + "/cpu.weight", "100\n");  // what docker update wrote
  actuator.on_unit_files_rewritten(kCtr);
  actuator.on_unit_restarted(kCtr2, "/" + dir_of(kCtr2));
  actuator.apply(d, all_units());
  EXPECT_EQ(value(kCtr, "cpu.weight"), "10");
  EXPECT_EQ(pauser.calls.size(), 3u) << "only the restarted one is paused again";
  actuator.apply(DesiredState{}, all_units());
  EXPECT_EQ(pauser.calls, (std::vector<std::string>{"pause beef42", "pause c0ffee", "pause beef42",
                                                    "unpause beef42", "unpause c0ffee"}));
  EXPECT_TRUE(journal().empty());
}

TEST_F(ActuatorTest, ProtectedUnitsAreNeverPausedOrThrottled) {
  FakePauser pauser;
  Actuator actuator(options(), nullptr, &pauser);
  auto units = all_units();
  units[1].is_protected = true;
  actuator.apply(want(kCtr2,
                      [](DesiredUnit& u) {
                        u.paused = true;
                        u.cpu_max_percent = 5;
                        u.io_max = IoLimit{1, 1};
                        u.memory_high = 1 << 20;
                        u.memory_high_by = {"memory"};
                        u.cpu_weight = 1000;  // a baseline still applies
                      }),
                 units);
  EXPECT_TRUE(pauser.calls.empty());
  EXPECT_EQ(read(kCtr2, "cpu.max"), "max 100000\n");
  EXPECT_EQ(read(kCtr2, "memory.high"), "max\n");
  EXPECT_EQ(read(kCtr2, "io.max"), "");
  EXPECT_EQ(value(kCtr2, "cpu.weight"), "1000");
}

TEST_F(ActuatorTest, MissingCgroupFileIsSkippedWithoutCrash) {
  // A hybrid host's unified tree: cgroup.freeze exists, cpu.max / memory.* do not.
  Actuator actuator(options(), nullptr, nullptr);
  auto d = want(kJob, [](DesiredUnit& u) {
    u.cpu_max_percent = 20;
    u.memory_max = 1 << 30;
    u.paused = true;
  });
  actuator.apply(d, all_units());
  actuator.apply(d, all_units());  // second time: no retry, no crash
  EXPECT_FALSE(std::filesystem::exists(cg(kJob) + "/memory.max"));  // never created
  EXPECT_EQ(value(kJob, "cgroup.freeze"), "1");
  EXPECT_EQ(value(kJob, "cpu.max"), "40000 100000");
  const auto& applied = actuator.applied().units.at(kJob);
  EXPECT_FALSE(applied.memory_max);
  auto data = journal();
  EXPECT_EQ(data.overrides.count({kJob, cg(kJob), "memory.max", ""}), 0u);
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kJob, "cgroup.freeze"), "0");
}

TEST_F(ActuatorTest, RestartedContainerGetsOverridesBackWithTheFirstOriginal) {
  Actuator actuator(options(), nullptr, nullptr);
  auto d = want(kCtr, [](DesiredUnit& u) { u.cpu_max_percent = 20; });
  actuator.apply(d, all_units());
  EXPECT_EQ(value(kCtr, "cpu.max"), "40000 100000");
  // Docker restarts it: same cgroupfs path, recreated from the container config.
  tmp_.write("cg/docker/c0ffee/cpu.max", "150000 100000\n");
  actuator.on_unit_restarted(kCtr, "/docker/c0ffee");
  actuator.apply(d, all_units());
  EXPECT_EQ(value(kCtr, "cpu.max"), "40000 100000");
  EXPECT_EQ(journal().overrides.at({kCtr, cg(kCtr), "cpu.max", ""}).original, "150000 100000\n");
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kCtr, "cpu.max"), "150000 100000");
}

TEST_F(ActuatorTest, RestartedAtANewCgroupPathStartsOver) {
  Actuator actuator(options(), nullptr, nullptr);
  auto d = want(kCtr2, [](DesiredUnit& u) { u.memory_max = 1 << 30; });
  actuator.apply(d, all_units());
  std::filesystem::remove_all(cg(kCtr2));  // the old cgroup is gone
  tmp_.write("cg/system.slice/docker-beef42.scope/memory.max", "4294967296\n");
  actuator.on_unit_restarted(kCtr2, "/system.slice/docker-beef42.scope");
  auto units = all_units();
  units[1].cgroup_path = "/system.slice/docker-beef42.scope";
  actuator.apply(d, units);
  const std::string fresh = tmp_.path() + "/cg/system.slice/docker-beef42.scope";
  EXPECT_EQ(tmp_.read("cg/system.slice/docker-beef42.scope/memory.max"), "1073741824");
  auto data = journal();
  ASSERT_EQ(data.overrides.size(), 1u);  // the old dir's entry is forgotten
  EXPECT_EQ(data.overrides.begin()->first.cgroup_dir, fresh);
  EXPECT_EQ(data.overrides.begin()->second.original, "4294967296\n");
  EXPECT_EQ(actuator.applied().units.at(kCtr2).cgroup_dir, fresh);
}

TEST_F(ActuatorTest, VanishedUnitIsForgotten) {
  Actuator actuator(options(), nullptr, nullptr);
  actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.memory_high = 1 << 30; }), all_units());
  std::filesystem::remove_all(cg(kCtr2));  // container removed
  actuator.apply(DesiredState{}, {unit(kCtr), unit(kJob)});
  EXPECT_TRUE(journal().empty());
  EXPECT_TRUE(actuator.applied().units.empty());
  EXPECT_FALSE(std::filesystem::exists(cg(kCtr2)));  // nothing recreated
}

// memory.high reclaims synchronously in the kernel: the write runs on the executor's worker
// and the applied state changes only when the completion reaches the loop.
TEST_F(ActuatorTest, MemoryHighGoesThroughTheBlockingExecutor) {
  auto created = Reactor::create();
  ASSERT_TRUE(created) << created.error().describe();
  auto reactor = std::move(created.value());
  reactor->run_once(Duration::zero());
  BlockingExecutor executor(*reactor);
  auto run_until = [&](const std::function<bool()>& done) {
    const TimePoint end = SteadyClock::now() + seconds(10);
    while (!done() && SteadyClock::now() < end) reactor->run_once(milliseconds(20));
    return done();
  };
  {
    Actuator actuator(options(), &executor, nullptr);
    ASSERT_TRUE(actuator.start().ok());
    actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.memory_high = 1 << 30; }), all_units());
    // Not applied until the completion ran on the loop.
    EXPECT_EQ(actuator.pending_operations(), 1u);
    EXPECT_FALSE(actuator.applied().units.count(kCtr2) &&
                 actuator.applied().units.at(kCtr2).memory_high);
    ASSERT_TRUE(run_until([&] { return actuator.pending_operations() == 0; }));
    EXPECT_EQ(actuator.applied().units.at(kCtr2).memory_high, 1u << 30);
    EXPECT_EQ(value(kCtr2, "memory.high"), "1073741824");

    // A newer value while one is in flight: the last one wins, in order.
    actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.memory_high = 1 << 29; }), all_units());
    actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.memory_high = 1 << 28; }), all_units());
    ASSERT_TRUE(run_until([&] { return actuator.pending_operations() == 0; }));
    EXPECT_EQ(value(kCtr2, "memory.high"), "268435456");
    EXPECT_EQ(actuator.applied().units.at(kCtr2).memory_high, 1u << 28);

    actuator.apply(DesiredState{}, all_units());
    ASSERT_TRUE(run_until([&] { return actuator.pending_operations() == 0; }));
    EXPECT_EQ(read(kCtr2, "memory.high"), "max");
    EXPECT_TRUE(actuator.applied().units.empty());
    EXPECT_TRUE(journal().empty());

    // The user's stricter memory.max (2 GiB) against adrg's 3 GiB: one operation settles it,
    // nothing written or journaled, and its completion kicks nothing more.
    actuator.apply(want(kCtr, [](DesiredUnit& u) { u.memory_max = 3ull << 30; }), all_units());
    EXPECT_EQ(actuator.pending_operations(), 1u);
    ASSERT_TRUE(run_until([&] { return actuator.pending_operations() == 0; }));
    actuator.apply(want(kCtr, [](DesiredUnit& u) { u.memory_max = 3ull << 30; }), all_units());
    EXPECT_EQ(actuator.pending_operations(), 0u);
    EXPECT_EQ(read(kCtr, "memory.max"), "2147483648\n");
    EXPECT_EQ(actuator.applied().units.at(kCtr).memory_max, 2147483648u);
    EXPECT_TRUE(journal().empty());
    actuator.apply(DesiredState{}, all_units());
    EXPECT_EQ(actuator.pending_operations(), 0u);
    EXPECT_TRUE(actuator.applied().units.empty());

    // Destroyed with a write queued: it finishes (journal first), the completion is dropped.
    actuator.apply(want(kCtr2, [](DesiredUnit& u) { u.memory_max = 1 << 30; }), all_units());
  }
  reactor->run_once(milliseconds(50));  // runs the orphaned completion: must be harmless
  EXPECT_EQ(value(kCtr2, "memory.max"), "1073741824");
  EXPECT_EQ(journal().overrides.size(), 1u);
  Actuator later(options(), &executor, nullptr);
  ASSERT_TRUE(later.start().ok());
  ASSERT_TRUE(later.release_all().ok());  // synchronous: drains, then restores
  EXPECT_EQ(read(kCtr2, "memory.max"), "max");
  EXPECT_TRUE(journal().empty());
}

// ---------------------------------------------------------------------------------------------
// Issue 17: a tier baseline or a rule claim never loosens a limit the user set.

constexpr char kSmall[] = "5ma11";  // docker run -m 64m --cpus 0.5 --device-write-bps ...
constexpr char kSmallIo[] = "8:0 rbps=max wbps=1048576 riops=300 wiops=max";

class UserLimitsTest : public ActuatorTest {
 protected:
  void SetUp() override {
    ActuatorTest::SetUp();
    write_unit(kSmall, {{"cpu.max", "50000 100000\n"},
                        {"memory.max", "67108864\n"},
                        {"memory.high", "max\n"},
                        {"io.max", std::string(kSmallIo) + "\n"}});
  }
  std::vector<UnitSnapshot> units() const { return {unit(kSmall), unit(kCtr2)}; }
  ActuatorOptions sda_options(int cpus = 2) const {
    auto o = options(cpus);
    o.io_devices = {kSda};  // one device: the fake io.max file shows exactly its line
    return o;
  }
  static DesiredState tier3(const std::string& id) {
    return want(id, [](DesiredUnit& u) { u.memory_max = 3ull << 30; });  // the tier baseline
  }
};

TEST_F(UserLimitsTest, MemoryMaxOfTheUserIsNotLoosenedByTheTierBaseline) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(tier3(kSmall), units());
  // Not even rewritten: adrg writes without the kernel's trailing newline.
  EXPECT_EQ(read(kSmall, "memory.max"), "67108864\n");
  EXPECT_FALSE(std::filesystem::exists(journal_path()) && !journal().empty());
  const auto& applied = actuator.applied().units.at(kSmall);
  EXPECT_EQ(applied.memory_max, 67108864u);
  EXPECT_EQ(applied.files.at("memory.max"), "67108864");
  EXPECT_EQ(applied.limits.at("memory.max"),
            (AppliedLimit{"67108864", "3221225472", "67108864", LimitSource::kUser}));
  EXPECT_EQ(actuator.pending_operations(), 0u);

  // No loop and no second look: the same plan writes nothing (a sentinel would be replaced).
  tmp_.write("cg/docker/5ma11/memory.max", "sentinel");
  actuator.apply(tier3(kSmall), units());
  EXPECT_EQ(read(kSmall, "memory.max"), "sentinel");
  tmp_.write("cg/docker/5ma11/memory.max", "67108864\n");

  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kSmall, "memory.max"), "67108864\n");
  EXPECT_TRUE(actuator.applied().units.empty());
}

TEST_F(UserLimitsTest, UnlimitedUserValueLetsTheTierValueIn) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(tier3(kCtr2), units());  // kCtr2's memory.max is "max"
  EXPECT_EQ(read(kCtr2, "memory.max"), "3221225472");
  EXPECT_EQ(journal().overrides.at({kCtr2, cg(kCtr2), "memory.max", ""}).original, "max\n");
  EXPECT_EQ(actuator.applied().units.at(kCtr2).limits.at("memory.max"),
            (AppliedLimit{"max", "3221225472", "3221225472", LimitSource::kAdrg}));
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kCtr2, "memory.max"), "max");
}

TEST_F(UserLimitsTest, CpuMaxTheStricterRateOfTheUsersHalfCpuAndTheClaim) {
  // 25 % of a 4-CPU machine is 1 CPU: the user's 0.5 CPU stays.
  {
    Actuator actuator(options(4), nullptr, nullptr);
    ASSERT_TRUE(actuator.start().ok());
    actuator.apply(want(kSmall,
                        [](DesiredUnit& u) {
                          u.cpu_max_percent = 25;
                          u.cpu_max_by = {"media"};
                        }),
                   units());
    EXPECT_EQ(read(kSmall, "cpu.max"), "50000 100000\n");
    const auto& applied = actuator.applied().units.at(kSmall);
    EXPECT_EQ(applied.limits.at("cpu.max"),
              (AppliedLimit{"50000 100000", "100000 100000", "50000 100000", LimitSource::kUser}));
    EXPECT_DOUBLE_EQ(*applied.cpu_max_percent, 12.5);  // what is in force, of the machine
    EXPECT_EQ(applied.cpu_max_by, std::vector<std::string>{"media"});
    ASSERT_TRUE(actuator.release_all().ok());
    EXPECT_EQ(read(kSmall, "cpu.max"), "50000 100000\n");
  }
  // 25 % of one CPU is stricter than the user's half: written, and restored byte-exact.
  Actuator actuator(options(1), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(want(kSmall, [](DesiredUnit& u) { u.cpu_max_percent = 25; }), units());
  EXPECT_EQ(read(kSmall, "cpu.max"), "25000 100000");
  EXPECT_EQ(actuator.applied().units.at(kSmall).limits.at("cpu.max"),
            (AppliedLimit{"50000 100000", "25000 100000", "25000 100000", LimitSource::kAdrg}));
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kSmall, "cpu.max"), "50000 100000");
}

TEST_F(UserLimitsTest, IoMaxMergedPerDirectionKeepingTheUsersOtherKeys) {
  Actuator actuator(sda_options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(want(kSmall,
                      [](DesiredUnit& u) {
                        u.io_max = IoLimit{2097152, 4194304};
                        u.io_max_by = {"io"};
                      }),
                 units());
  // rbps from adrg, wbps the user's (stricter), the user's riops kept.
  constexpr char kMerged[] = "8:0 rbps=2097152 wbps=1048576 riops=300";
  EXPECT_EQ(read(kSmall, "io.max"), kMerged);
  const auto& applied = actuator.applied().units.at(kSmall);
  EXPECT_EQ(applied.limits.at("io.max 8:0"),
            (AppliedLimit{kSmallIo, "8:0 rbps=2097152 wbps=4194304", kMerged, LimitSource::kBoth}));
  EXPECT_EQ(applied.io_max, (IoLimit{2097152, 1048576}));
  auto data = journal();
  EXPECT_EQ(data.overrides.at({kSmall, cg(kSmall), "io.max", kSda}).original, kSmallIo);
  EXPECT_EQ(data.overrides.at({kSmall, cg(kSmall), "io.max", kSda}).written, kMerged);
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kSmall, "io.max"), kSmallIo);  // the user's line, riops and all
}

TEST_F(UserLimitsTest, IoMaxStricterUserLineOnOneDeviceAdrgsOnTheOther) {
  Actuator actuator(options(), nullptr, nullptr);  // sda (the user's line) and vda (none)
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(want(kSmall, [](DesiredUnit& u) { u.io_max = IoLimit{2097152, 0}; }), units());
  // sda: the user's wbps=1048576 and riops=300 with adrg's rbps; vda: adrg's line alone.
  const auto& applied = actuator.applied().units.at(kSmall);
  EXPECT_EQ(applied.files.at("io.max 8:0"), "8:0 rbps=2097152 wbps=1048576 riops=300");
  EXPECT_EQ(applied.files.at("io.max 254:0"), "254:0 rbps=2097152 wbps=max");
  EXPECT_EQ(applied.limits.at("io.max 254:0").user, "max");
  actuator.apply(want(kSmall, [](DesiredUnit& u) { u.io_max = IoLimit{0, 4194304}; }), units());
  // sda: nothing of adrg's is stricter any more; its entry goes, vda keeps adrg's.
  const auto& now = actuator.applied().units.at(kSmall);
  EXPECT_EQ(now.limits.at("io.max 8:0").source, LimitSource::kUser);
  EXPECT_EQ(now.files.at("io.max 8:0"), kSmallIo);
  EXPECT_EQ(now.files.at("io.max 254:0"), "254:0 rbps=max wbps=4194304");
  auto data = journal();
  EXPECT_FALSE(data.overrides.contains({kSmall, cg(kSmall), "io.max", kSda}));
  EXPECT_TRUE(data.overrides.contains({kSmall, cg(kSmall), "io.max", kVda}));
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_TRUE(journal().empty());
}

TEST_F(UserLimitsTest, AClaimLooserThanTheUserPutsTheUsersValueBack) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  // First stricter than the user's 0.5 CPU (10 % of 2 CPUs = 0.2 CPU), then looser (1 CPU).
  actuator.apply(want(kSmall, [](DesiredUnit& u) { u.cpu_max_percent = 10; }), units());
  EXPECT_EQ(read(kSmall, "cpu.max"), "20000 100000");
  actuator.apply(want(kSmall, [](DesiredUnit& u) { u.cpu_max_percent = 50; }), units());
  EXPECT_EQ(read(kSmall, "cpu.max"), "50000 100000");  // the original, byte-exact minus \n
  EXPECT_TRUE(journal().empty());                      // nothing of adrg's left in the file
  EXPECT_EQ(actuator.applied().units.at(kSmall).limits.at("cpu.max").source, LimitSource::kUser);
  // Released: nothing to write (a sentinel would be replaced).
  tmp_.write("cg/docker/5ma11/cpu.max", "sentinel");
  actuator.apply(DesiredState{}, units());
  EXPECT_EQ(read(kSmall, "cpu.max"), "sentinel");
  EXPECT_TRUE(actuator.applied().units.empty());
  EXPECT_EQ(actuator.pending_operations(), 0u);
}

TEST_F(UserLimitsTest, ADockerUpdateIsSeenWhileAdrgHoldsNoEntry) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(tier3(kSmall), units());
  EXPECT_EQ(read(kSmall, "memory.max"), "67108864\n");
  // docker update -m 4g, then a tier change: the new value of the user's is compared.
  tmp_.write("cg/docker/5ma11/memory.max", "4294967296\n");
  actuator.apply(tier3(kSmall), units());  // same plan: nothing re-read, nothing written
  EXPECT_EQ(actuator.applied().units.at(kSmall).limits.at("memory.max").user, "67108864");
  actuator.apply(want(kSmall, [](DesiredUnit& u) { u.memory_max = 2ull << 30; }), units());
  EXPECT_EQ(read(kSmall, "memory.max"), "2147483648");
  EXPECT_EQ(journal().overrides.at({kSmall, cg(kSmall), "memory.max", ""}).original,
            "4294967296\n");
  ASSERT_TRUE(actuator.release_all().ok());
  EXPECT_EQ(read(kSmall, "memory.max"), "4294967296");
}

TEST_F(UserLimitsTest, StatusShowsTheUsersAdrgsAndTheEffectiveValue) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(tier3(kSmall), units());
  JsonWriter w;
  w.begin_object();
  write_applied_unit(w, &actuator.applied().units.at(kSmall));
  w.end_object();
  EXPECT_EQ(w.str(),
            R"({"applied":{"paused":false,"pending":false,"relief":false,)"
            R"("files":{"memory.max":"67108864"},)"
            R"("errors":{}},"limits":{"memory.max":{"user":"67108864","adrg":"3221225472",)"
            R"("effective":"67108864","from":"user"}}})");
  JsonWriter none;
  none.begin_object();
  write_applied_unit(none, nullptr);
  none.end_object();
  EXPECT_EQ(none.str(), R"({"applied":{},"limits":{}})");
}

// Restarts are effects like the rest: made here, after the writes of the same apply(), for
// units that are still there; in flight until Docker answers; never in dry-run.
TEST_F(ActuatorTest, RestartsGoToTheRestarterAfterTheWrites) {
  FakeRestarter restarter;
  Actuator actuator(options(), nullptr, nullptr);
  actuator.set_restarter(&restarter);
  ASSERT_TRUE(actuator.start().ok());
  DesiredState d = want(kCtr2, [](DesiredUnit& u) { u.memory_high = 64ull << 20; });
  d.restarts = {{kCtr, "memory", "critical: highest RSS"}, {"vanished", "memory", "gone"}};
  actuator.apply(d, all_units());
  EXPECT_EQ(restarter.calls, (std::vector<std::string>{kCtr}));
  EXPECT_EQ(value(kCtr2, "memory.high"), "67108864");  // the same apply's write is done
  EXPECT_EQ(actuator.restarts_requested(), 1u);
  EXPECT_EQ(actuator.pending_operations(), 1u);
  restarter.finish_all(Error{std::make_error_code(std::errc::io_error), "docker said no"});
  EXPECT_EQ(actuator.pending_operations(), 0u);
  // A plan without restarts asks for none; the next one with a restart asks again.
  actuator.apply(DesiredState{}, all_units());
  EXPECT_EQ(restarter.calls.size(), 1u);
  actuator.apply(d, all_units());
  EXPECT_EQ(restarter.calls.size(), 2u);
  restarter.finish_all();
}

TEST_F(ActuatorTest, DryRunRestartsNothing) {
  FakeRestarter restarter;
  auto opts = options();
  opts.dry_run = true;
  Actuator actuator(opts, nullptr, nullptr);
  actuator.set_restarter(&restarter);
  ASSERT_TRUE(actuator.start().ok());
  DesiredState d;
  d.restarts = {{kCtr, "memory", "critical"}};
  actuator.apply(d, all_units());
  EXPECT_TRUE(restarter.calls.empty());
  EXPECT_EQ(actuator.restarts_requested(), 0u);
  EXPECT_EQ(actuator.pending_operations(), 0u);
}

}  // namespace
}  // namespace adrg
