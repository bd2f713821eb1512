// Observation assembly on a temporary /proc and cgroup tree: PSI read at build time, units of
// every source in order with memory refreshed first, tier 3's io.stat only when asked, and the
// PSI edges consumed by the snapshot that reports them.
#include <gtest/gtest.h>

#include "daemon/snapshot_assembler.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::TempDir;

UnitSnapshot unit(const std::string& name, int tier, const std::string& dir) {
  UnitSnapshot u;
  u.id = "id-" + name;
  u.name = name;
  u.tier = tier;
  u.cgroup_path = dir;
  return u;
}

TEST(SnapshotAssembler, ReadsPsiUnitsMediaAndConsumesEdges) {
  TempDir tmp;
  tmp.write("proc/pressure/cpu", "some avg10=1.50 avg60=1.00 avg300=0.50 total=100\n");
  tmp.write("proc/pressure/memory",
            "some avg10=60.00 avg60=45.00 avg300=3.00 total=200\n"
            "full avg10=30.00 avg60=2.00 avg300=1.00 total=50\n");
  // No io file: a kernel without it leaves the field empty.
  std::string bulk = tmp.write("cg/bulk/io.stat", "254:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n");
  std::string bg = tmp.write("cg/bg/io.stat", "254:0 rbytes=1 wbytes=1 rios=1 wios=1\n");
  bulk = bulk.substr(0, bulk.rfind('/'));
  bg = bg.substr(0, bg.rfind('/'));

  SnapshotAssembler assembler(tmp.path() + "/proc");
  int refreshed = 0;
  assembler.add_units({[&] { ++refreshed; }, [&] { return std::vector{unit("bulk", 3, bulk)}; }});
  assembler.add_units({nullptr, [&] { return std::vector{unit("bg", 2, bg)}; }});
  assembler.set_media({[] { return 2; }, [] { return false; }});
  assembler.set_temperature(71.5);
  assembler.psi_edge("memory", 15);

  Snapshot s = assembler.build(false);
  EXPECT_EQ(refreshed, 1);
  ASSERT_TRUE(s.cpu && s.memory);
  EXPECT_FALSE(s.io);
  EXPECT_DOUBLE_EQ(s.memory->some.avg10, 60);
  EXPECT_DOUBLE_EQ(s.memory->full.avg10, 30);
  EXPECT_EQ(s.temperature_c, 71.5);
  EXPECT_EQ(s.media_sessions, 2);
  EXPECT_FALSE(s.media_provider_reachable);
  ASSERT_EQ(s.units.size(), 2u);
  EXPECT_EQ(s.units[0].name, "bulk");
  EXPECT_EQ(s.units[1].name, "bg");
  EXPECT_FALSE(s.units[0].io);  // not asked
  EXPECT_TRUE(s.memory_trigger_fired);
  EXPECT_DOUBLE_EQ(s.memory_trigger_proven_percent, 15);
  EXPECT_FALSE(s.io_trigger_fired);

  // The edge was consumed; a follow-up edge proves nothing itself.
  assembler.psi_edge("io", 0);
  s = assembler.build(true);
  EXPECT_FALSE(s.memory_trigger_fired);
  EXPECT_TRUE(s.io_trigger_fired);
  EXPECT_DOUBLE_EQ(s.io_trigger_proven_percent, 0);
  ASSERT_TRUE(s.units[0].io);  // tier 3: read
  EXPECT_EQ(s.units[0].io->read, 4096u);
  EXPECT_EQ(s.units[0].io->written, 8192u);
  EXPECT_FALSE(s.units[1].io);  // tier 2: never
  EXPECT_EQ(assembler.units().size(), 2u);
}

}  // namespace
}  // namespace adrg
