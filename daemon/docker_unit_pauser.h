// The actuator pauses containers through Docker's pause API (the v1 freezer Docker can see:
// `docker ps` stays truthful), never through cgroup.freeze behind Docker's back.
#pragma once

#include "actuator/actuator.h"
#include "integrations/docker/inventory.h"

namespace adrg {

class DockerUnitPauser final : public UnitPauser {
 public:
  explicit DockerUnitPauser(docker::DockerInventory& inventory) : inventory_(inventory) {}
  void pause(const UnitSnapshot& unit, std::function<void(Status)> done) override;
  void unpause(const UnitSnapshot& unit, std::function<void(Status)> done) override;
  bool outcome_unknown(const Error& error) const override { return docker::outcome_unknown(error); }

 private:
  docker::DockerInventory& inventory_;
};

}  // namespace adrg
