#include "daemon/docker_runtime.h"

namespace adrg {

namespace {

// Each unit is its own request; the actuator issues them all in one apply(), so curl multi has
// them in flight together.
docker::DockerClient::BatchDone first_status(std::function<void(Status)> done) {
  return [done = std::move(done)](std::vector<docker::OpResult> results) {
    if (results.empty()) {
      done(Status{});
      return;
    }
    done(results.front().status);
  };
}

}  // namespace

void DockerRuntime::pause(const UnitSnapshot& unit, std::function<void(Status)> done) {
  inventory_.pause_all({unit.id}, first_status(std::move(done)));
}

void DockerRuntime::unpause(const UnitSnapshot& unit, std::function<void(Status)> done) {
  inventory_.unpause_all({unit.id}, first_status(std::move(done)));
}

void DockerRuntime::restart(const UnitSnapshot& unit, std::function<void(Status)> done) {
  inventory_.restart_all({unit.id}, 10, first_status(std::move(done)));
}

}  // namespace adrg
