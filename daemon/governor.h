// The governor wires the one-direction data flow of docs/ARCHITECTURE.md onto the reactor:
//   edges (PSI POLLPRI, Docker events, thermal timer, HTTP triggers, reconcile tick)
//     -> build a Snapshot -> GovernorPolicy (pure) -> Actuator (journaled writes)
// Registration happens in small named functions (arm_signals, arm_psi_triggers, ...) so what the
// loop waits on is readable in one place.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actuator/actuator.h"
#include "config/config.h"
#include "config/loader.h"
#include "core/blocking_executor.h"
#include "core/clock.h"
#include "core/event_bus.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "daemon/docker_runtime.h"
#include "daemon/evaluation_loop.h"
#include "daemon/snapshot_assembler.h"
#include "enforcers/governor_policy.h"
#include "integrations/docker/docker_client.h"
#include "integrations/docker/inventory.h"
#include "integrations/downloads/download_service.h"
#include "integrations/http_api/http_api.h"
#include "integrations/media/media_service.h"
#include "integrations/notify/notification_service.h"
#include "integrations/systemd/systemd_notifier.h"
#include "jobs/job_manager.h"
#include "sensors/cgroup_events.h"
#include "sensors/cgroup_inventory.h"
#include "sensors/psi.h"
#include "sensors/thermal.h"

namespace adrg {

struct GovernorOptions {
  std::string config_path;  // re-read on SIGHUP and when the file changes
  LoadOptions load_options;
  bool dry_run = false;
  std::string sys_root = "/sys";
  // READY=1 is sent after the first Docker inventory, or after this long without one (dockerd
  // down must not keep the governor from governing jobs and serving /status).
  Duration docker_ready_timeout = std::chrono::seconds(5);
  // Test-only (watchdog proof): block the loop thread this long right after the first manual
  // trigger has been applied, so the watchdog fires while something is frozen.
  double fault_stall_seconds = 0;
};

class Governor {
 public:
  Governor(Reactor& reactor, const Clock& clock, Config config, GovernorOptions options);
  ~Governor();
  Governor(const Governor&) = delete;
  Governor& operator=(const Governor&) = delete;

  // Arms every source on the reactor. Errors only for what makes running pointless (the HTTP
  // listener refused, e.g. a non-loopback bind without a token).
  Status start();
  // SIGTERM/SIGINT: release every override, wait (bounded) for Docker unpauses, stop the loop.
  void shutdown(std::string_view why);
  // SIGHUP or a config file change: validate the new config whole; on any error keep the old.
  bool reload(std::string_view why);

  // For the HTTP API and tests.
  Status trigger(std::string_view event, std::string_view source);
  std::string status_json() const;
  std::string metrics_text() const;
  const Config& config() const { return config_; }
  const GovernorPolicy& policy() const { return policy_; }
  const Actuator& actuator() const { return *actuator_; }
  const HttpApi* http_api() const { return http_api_.get(); }
  JobManager* jobs() { return jobs_.get(); }
  std::uint64_t evaluations() const { return loop_ ? loop_->evaluations() : 0; }

  // Snapshot -> policy -> actuator, now (EvaluationLoop). Every edge calls this.
  void evaluate(std::string_view why);

 private:
  Status arm_signals();
  void arm_config_watch();
  void arm_psi_triggers();
  void on_psi_edge(const std::string& name);
  void arm_thermal();
  void arm_reconcile_tick();
  void arm_docker();
  void arm_cgroup_units();
  void arm_jobs();
  void arm_media_and_notifications();
  Status arm_http_api();
  void maybe_ready();

  void arm_evaluation_loop();
  const PolicyResult& last_result() const;
  const Snapshot& last_snapshot() const;
  void publish_decision(const Decision& decision, const std::vector<UnitSnapshot>& units);
  void publish_action(std::string_view action, std::string_view unit, std::string_view reason);
  // Publishes a change of the media rule's download-cap wish on /events, then hands it on.
  void follow_download_wish(bool wanted);
  void sync_cgroup_event_watches(const std::vector<UnitSnapshot>& units);
  void on_cgroup_event(const CgroupEvent& event);
  void on_units_changed(const std::vector<docker::UnitChange>& changes);

  Reactor& reactor_;
  const Clock& clock_;
  Config config_;
  GovernorOptions options_;
  TimePoint started_at_;

  HttpClient http_;
  BlockingExecutor executor_;
  EventBus bus_;
  SystemdNotifier notifier_;
  GovernorPolicy policy_;
  std::unique_ptr<docker::DockerClient> docker_;
  std::unique_ptr<docker::DockerInventory> inventory_;
  std::unique_ptr<DockerRuntime> runtime_;  // pauses and restarts through Docker
  docker::RepausePolicy repause_;
  std::unique_ptr<CgroupInventory> cgroup_units_;
  std::unique_ptr<JobHost> job_host_;
  std::unique_ptr<JobManager> jobs_;
  std::unique_ptr<Actuator> actuator_;
  std::unique_ptr<PsiTriggerSet> psi_triggers_;
  std::unique_ptr<ThermalSensor> thermal_;
  std::unique_ptr<CgroupEventsWatcher> cgroup_events_;
  std::map<std::string, std::string> watched_cgroups_;  // unit id -> cgroup dir being watched
  std::unique_ptr<HttpApi> http_api_;
  std::unique_ptr<notify::NotificationService> notifications_;
  std::unique_ptr<media::MediaService> media_;
  std::unique_ptr<downloads::DownloadService> downloads_;
  bool downloads_released_ = false;
  bool download_cap_published_ = false;  // the wish last announced on /events
  bool notifications_flushed_ = false;

  Reactor::Id signals_ = 0;
  Reactor::Id config_watch_ = 0;
  Reactor::Id config_debounce_ = 0;
  Reactor::Id reconcile_timer_ = 0;
  Reactor::Id ready_timer_ = 0;
  Reactor::Id shutdown_timer_ = 0;

  SnapshotAssembler observation_;
  std::unique_ptr<EvaluationLoop> loop_;
  std::map<std::string, Reactor::Id> psi_followups_;  // pending follow-up evaluation per resource
  bool ready_sent_ = false;
  bool docker_evaluation_posted_ = false;  // one evaluation for the Docker events of a turn
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for posted work
  bool stopping_ = false;
  bool fault_stalled_ = false;

  // Counters for /metrics.
  std::uint64_t reloads_ok_ = 0;
  std::uint64_t reloads_rejected_ = 0;
  std::map<std::string, std::uint64_t> decisions_by_rule_;
  std::map<std::string, std::uint64_t> edges_by_source_;
  std::map<std::string, std::uint64_t> oom_kills_;  // by unit name
};

}  // namespace adrg
