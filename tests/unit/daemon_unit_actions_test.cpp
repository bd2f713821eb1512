// The per-unit actions /events shows, from two plans: pure, so every transition is checked here.
#include <gtest/gtest.h>

#include "daemon/unit_actions.h"

namespace adrg {
namespace {

std::vector<UnitSnapshot> named() {
  UnitSnapshot a;
  a.id = "id-a";
  a.name = "bulk-a";
  UnitSnapshot b;
  b.id = "id-b";
  b.name = "bg-b";
  return {a, b};
}

TEST(UnitActions, EachTransitionOnceWithItsRulesAndValues) {
  DesiredState before;
  DesiredState after;
  DesiredUnit& a = after.units["id-a"];
  a.paused = true;
  a.paused_by = {"media", "thermal"};
  DesiredUnit& b = after.units["id-b"];
  b.cpu_max_percent = 20;
  b.cpu_max_by = {"media"};
  b.io_max = IoLimit{10485760, 5242880};
  b.io_max_by = {"media"};
  after.restarts = {{"id-a", "memory", "critical: highest RSS"}};
  EXPECT_EQ(unit_actions(before, after, named()),
            (std::vector<UnitAction>{
                {"pause", "bulk-a", "by media,thermal"},
                {"cpu_max", "bg-b", "20.0% of the machine by media"},
                {"io_max", "bg-b", "rbps=10485760 wbps=5242880 by media"},
                {"restart", "bulk-a", "critical: highest RSS"},
            }));
  // The same plan again: nothing changed, nothing to say but the restart it still asks for.
  DesiredState again = after;
  again.restarts.clear();
  EXPECT_TRUE(unit_actions(after, again, named()).empty());
  // Released, one by one; a unit unknown to the snapshot is named by its id.
  DesiredState released;
  released.units["id-a"].unit_id = "id-a";
  released.units["id-b"].unit_id = "id-b";
  released.units["id-c"].paused = true;
  EXPECT_EQ(unit_actions(after, released, named()), (std::vector<UnitAction>{
                                                        {"resume", "bulk-a", "by "},
                                                        {"cpu_max_release", "bg-b", "released"},
                                                        {"io_max_release", "bg-b", "released"},
                                                        {"pause", "id-c", "by "},
                                                    }));
}

}  // namespace
}  // namespace adrg
