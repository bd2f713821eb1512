// The actuator's way to Docker: it pauses containers through Docker's pause API (the v1 freezer
// Docker can see: `docker ps` stays truthful), never through cgroup.freeze behind Docker's back,
// and restarts them through Docker's restart API.
#pragma once

#include "actuator/actuator.h"
#include "integrations/docker/inventory.h"

namespace adrg {

class DockerRuntime final : public UnitPauser, public UnitRestarter {
 public:
  explicit DockerRuntime(docker::DockerInventory& inventory) : inventory_(inventory) {}
  void pause(const UnitSnapshot& unit, std::function<void(Status)> done) override;
  void unpause(const UnitSnapshot& unit, std::function<void(Status)> done) override;
  bool outcome_unknown(const Error& error) const override { return docker::outcome_unknown(error); }
  // docker restart with Docker's usual 10 s grace before SIGKILL.
  void restart(const UnitSnapshot& unit, std::function<void(Status)> done) override;

 private:
  docker::DockerInventory& inventory_;
};

}  // namespace adrg
