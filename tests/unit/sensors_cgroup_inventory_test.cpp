// The cgroup inventory on a temporary directory: a child directory is a unit when the classifier
// gives it a tier, a new or removed directory is seen through inotify on the reactor, memory
// comes from memory.current, and a new classifier (a reload) re-sorts the units at once.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "sensors/cgroup_inventory.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::TempDir;

// bulk-* is tier 3, keep-* tier 0 (protected), anything else ungoverned.
UnitClassifier by_prefix() {
  return [](std::string_view name) -> std::optional<UnitClass> {
    if (name.starts_with("bulk-")) return UnitClass{3, false};
    if (name.starts_with("keep-")) return UnitClass{0, true};
    return std::nullopt;
  };
}

std::vector<std::string> names(const CgroupInventory& inventory) {
  std::vector<std::string> out;
  for (const auto& unit : inventory.units()) out.push_back(unit.name);
  return out;
}

class CgroupInventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Reactor::create();
    ASSERT_TRUE(created) << created.error().describe();
    reactor_ = std::move(*created);
  }
  // Runs the reactor until `condition` holds or 5 s pass.
  bool run_until(const std::function<bool()>& condition) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!condition() && std::chrono::steady_clock::now() < end) {
      reactor_->run_once(std::chrono::milliseconds(50));
    }
    return condition();
  }
  TempDir root_;
  std::unique_ptr<Reactor> reactor_;
};

TEST_F(CgroupInventoryTest, ClassifiedDirectoriesAreUnitsSortedByName) {
  root_.write("bulk-b/memory.current", "4096\n");
  root_.mkdir("bulk-a");
  root_.mkdir("keep-db");
  root_.mkdir("other");
  root_.write("bulk-file", "not a directory");
  CgroupInventory inventory(*reactor_, root_.path(), by_prefix());
  ASSERT_TRUE(inventory.start());
  EXPECT_EQ(names(inventory), (std::vector<std::string>{"bulk-a", "bulk-b", "keep-db"}));
  const auto& units = inventory.units();
  EXPECT_EQ(units[0].id, "cgroup:bulk-a");
  EXPECT_EQ(units[0].kind, UnitKind::kJob);
  EXPECT_EQ(units[0].tier, 3);
  EXPECT_FALSE(units[0].is_protected);
  EXPECT_EQ(units[0].cgroup_path, root_.path() + "/bulk-a");
  EXPECT_TRUE(units[2].is_protected);
  inventory.refresh_memory();
  EXPECT_EQ(inventory.units()[1].memory_current, 4096u);
}

TEST_F(CgroupInventoryTest, NewAndRemovedDirectoriesAreSeenThroughInotify) {
  CgroupInventory inventory(*reactor_, root_.path(), by_prefix());
  int changes = 0;
  inventory.set_on_change([&] { ++changes; });
  ASSERT_TRUE(inventory.start());
  EXPECT_TRUE(inventory.units().empty());
  root_.mkdir("bulk-new");
  ASSERT_TRUE(run_until([&] { return inventory.units().size() == 1; }));
  EXPECT_GE(changes, 1);
  std::filesystem::remove(root_.path() + "/bulk-new");
  ASSERT_TRUE(run_until([&] { return inventory.units().empty(); }));
  int before = changes;
  root_.mkdir("other");  // ungoverned: no unit and no change reported
  root_.mkdir("bulk-sentinel");
  ASSERT_TRUE(run_until([&] { return inventory.units().size() == 1; }));
  EXPECT_EQ(changes, before + 1);
}

TEST_F(CgroupInventoryTest, NewClassifierRescansAtOnce) {
  root_.mkdir("bulk-a");
  root_.mkdir("other");
  CgroupInventory inventory(*reactor_, root_.path(), by_prefix());
  ASSERT_TRUE(inventory.start());
  int changes = 0;
  inventory.set_on_change([&] { ++changes; });
  inventory.reconfigure([](std::string_view) -> std::optional<UnitClass> {
    return UnitClass{2, false};
  });
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(names(inventory), (std::vector<std::string>{"bulk-a", "other"}));
  EXPECT_EQ(inventory.units()[0].tier, 2);
}

}  // namespace
}  // namespace adrg
