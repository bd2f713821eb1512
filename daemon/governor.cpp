#include "daemon/governor.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/json_writer.h"
#include "enforcers/tiers.h"
#include "integrations/docker/policy.h"
#include "jobs/job_http.h"

namespace adrg {

namespace {

using UnitList = std::vector<UnitSnapshot>;

// Long enough for the rules' stall meter (>= 200 ms), short enough to act well inside a second.
constexpr Duration kPsiFollowUp = std::chrono::milliseconds(250);

bool same_http_config(const HttpServerConfig& a, const HttpServerConfig& b) {
  return a.enabled == b.enabled && a.host == b.host && a.port == b.port &&
         a.unix_socket == b.unix_socket && a.token == b.token && a.public_read == b.public_read &&
         a.allowed_hosts == b.allowed_hosts && a.webhook_secret == b.webhook_secret;
}

}  // namespace

Governor::Governor(Reactor& reactor, const Clock& clock, Config config, GovernorOptions options)
    : reactor_(reactor),
      clock_(clock),
      config_(std::move(config)),
      options_(std::move(options)),
      started_at_(clock.now()),
      http_(reactor),
      executor_(reactor),
      observation_(config_.general.proc_root) {}

Governor::~Governor() {
  // Sources first (their callbacks capture this), then the actuator, whose destructor drains
  // the executor. No release here: a crash must behave the same, and the journal covers it.
  http_api_.reset();
  jobs_.reset();  // closes pidfds; never kills a job
  psi_triggers_.reset();
  thermal_.reset();
  cgroup_events_.reset();
  downloads_.reset();
  media_.reset();
  notifications_.reset();
  for (const auto& [name, id] : psi_followups_) reactor_.cancel(id);
  loop_.reset();
  for (auto id : {signals_, config_watch_, config_debounce_, reconcile_timer_, ready_timer_,
                  shutdown_timer_}) {
    if (id != 0) reactor_.cancel(id);
  }
  actuator_.reset();
  cgroup_units_.reset();
  inventory_.reset();
  docker_.reset();
}

Status Governor::start() {
  repause_.set_cooldown(from_seconds(config_.media_mode.cooldown_seconds));
  if (auto st = arm_signals(); !st) return st;
  arm_docker();

  ActuatorOptions actuator_options;
  actuator_options.cgroup_root = config_.general.cgroup_root;
  actuator_options.journal_path = config_.general.journal_file;
  actuator_options.proc_root = config_.general.proc_root;
  actuator_options.dry_run = options_.dry_run;
  actuator_options.io_devices = config_.io_pressure.devices;
  actuator_options.sys_root = options_.sys_root;
  actuator_options.instant_relief = config_.general.instant_relief;
  actuator_ = std::make_unique<Actuator>(actuator_options, &executor_, runtime_.get());
  actuator_->set_restarter(runtime_.get());
  // Without the journal adrg could not promise to restore what it changes: refuse to run.
  if (auto st = actuator_->start(); !st) return st;

  arm_media_and_notifications();
  cgroup_events_ = std::make_unique<CgroupEventsWatcher>(
      reactor_, [this](const CgroupEvent& event) { on_cgroup_event(event); });
  arm_cgroup_units();
  arm_jobs();
  arm_evaluation_loop();
  arm_config_watch();
  arm_psi_triggers();
  arm_thermal();
  arm_reconcile_tick();
  if (auto st = arm_http_api(); !st) return st;

  if (inventory_) {
    inventory_->start();
    auto timer = reactor_.add_timer(options_.docker_ready_timeout, Duration::zero(), [this] {
      ready_timer_ = 0;
      if (!ready_sent_) {
        spdlog::warn("docker inventory not ready after {:.0f} s ({}); governing without it",
                     to_seconds(options_.docker_ready_timeout),
                     inventory_->last_error().empty() ? "no answer" : inventory_->last_error());
      }
      maybe_ready();
    });
    if (timer) ready_timer_ = *timer;
  } else {
    maybe_ready();
  }
  return {};
}

Status Governor::arm_signals() {
  auto id = reactor_.add_signals({SIGTERM, SIGINT, SIGHUP}, [this](const signalfd_siginfo& info) {
    if (info.ssi_signo == SIGHUP) {
      reload("SIGHUP");
    } else {
      shutdown(info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
    }
  });
  if (!id) return id.error();
  signals_ = *id;
  return {};
}

void Governor::arm_config_watch() {
  if (options_.config_path.empty()) return;
  // Watch the directory, not the file: editors and config managers replace files by rename,
  // which would silently end a watch on the old inode.
  std::filesystem::path path(options_.config_path);
  std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
  std::string name = path.filename().string();
  auto id = reactor_.watch_path(
      dir, IN_CLOSE_WRITE | IN_MOVED_TO, [this, name](std::uint32_t, std::string_view changed) {
        if (changed != name) return;
        // Debounce: a save can be several events in a row.
        if (config_debounce_ != 0) reactor_.cancel(config_debounce_);
        auto t = reactor_.add_timer(std::chrono::milliseconds(200), Duration::zero(), [this] {
          config_debounce_ = 0;
          reload("config file changed");
        });
        config_debounce_ = t ? *t : 0;
      });
  if (id) {
    config_watch_ = *id;
  } else {
    spdlog::warn("not watching {} for changes: {}", dir, id.error().describe());
  }
}

void Governor::arm_psi_triggers() {
  psi_triggers_.reset();
  psi_triggers_ = adrg::arm_psi_triggers(reactor_, system_psi_trigger_requests(config_),
                                         [this](const std::string& name) { on_psi_edge(name); });
}

void Governor::on_psi_edge(const std::string& name) {
  ++edges_by_source_["psi:" + name];
  auto spec = psi_triggers_ ? psi_triggers_->spec(name) : std::nullopt;
  observation_.psi_edge(name, spec ? spec->proven_percent() : 0);
  evaluate("psi trigger " + name);
  // When the trigger's own stall/window does not clear a rule's threshold, the rules' fast path
  // measures the stall since the previous evaluation, which may be a whole reconcile tick ago
  // and dilutes a storm that just began. This evaluation is now the baseline; a follow-up
  // 250 ms later measures the stall from the edge itself.
  if (psi_followups_.contains(name)) return;
  auto timer = reactor_.add_timer(kPsiFollowUp, Duration::zero(), [this, name] {
    psi_followups_.erase(name);
    observation_.psi_edge(name, 0);
    evaluate("psi follow-up " + name);
  });
  if (timer) psi_followups_[name] = *timer;
}

void Governor::arm_thermal() {
  thermal_.reset();
  observation_.set_temperature(std::nullopt);
  if (!config_.thermal.enabled) return;
  thermal_ = std::make_unique<ThermalSensor>(
      reactor_, config_.general.thermal_root, config_.general.hwmon_root,
      from_seconds(config_.thermal.poll_interval_seconds), [this](std::optional<double> celsius) {
        bool changed = celsius != observation_.temperature();
        observation_.set_temperature(celsius);
        if (changed && ready_sent_) evaluate("thermal");
      });
  if (auto st = thermal_->start(); !st) {
    spdlog::warn("thermal sensor not started: {}", st.error().describe());
  }
}

void Governor::arm_reconcile_tick() {
  if (reconcile_timer_ != 0) reactor_.cancel(reconcile_timer_);
  reconcile_timer_ = 0;
  Duration period = from_seconds(config_.general.poll_interval_seconds);
  auto id = reactor_.add_timer(period, period, [this] {
    if (ready_sent_) evaluate("reconcile tick");
  });
  if (id) {
    reconcile_timer_ = *id;
  } else {
    spdlog::error("reconcile tick not armed: {}", id.error().describe());
  }
}

void Governor::arm_docker() {
  if (config_.general.docker_socket.empty()) {
    spdlog::info("docker integration off (general.docker_socket is empty)");
    return;
  }
  docker_ = std::make_unique<docker::DockerClient>(
      http_, docker::resolve_socket_path(config_.general.docker_socket));
  docker::InventoryOptions inventory_options;
  inventory_options.cgroup_root = config_.general.cgroup_root;
  inventory_options.proc_root = config_.general.proc_root;
  inventory_ = std::make_unique<docker::DockerInventory>(reactor_, *docker_, config_, clock_,
                                                         inventory_options);
  runtime_ = std::make_unique<DockerRuntime>(*inventory_);
  inventory_->set_on_ready([this](const std::vector<UnitSnapshot>& units) {
    spdlog::info("docker inventory ready: {} governed containers, {} ungoverned", units.size(),
                 inventory_->unmanaged().size());
    if (ready_sent_) {
      evaluate("docker inventory");
    } else {
      maybe_ready();
    }
  });
  inventory_->set_on_change(
      [this](const std::vector<UnitSnapshot>&, const std::vector<docker::UnitChange>& changes) {
        on_units_changed(changes);
      });
  inventory_->set_on_connection([this](bool connected) {
    ++edges_by_source_[connected ? "docker:connected" : "docker:disconnected"];
    if (connected) {
      spdlog::info("docker events stream connected (API {})", docker_->api_version());
      publish_action("docker_up", "", "events stream connected, API " + docker_->api_version());
    } else {
      spdlog::warn("docker events stream lost: {}; reconnecting with backoff",
                   inventory_->last_error());
      publish_action("docker_down", "", "events stream lost: " + inventory_->last_error());
    }
  });
}

void Governor::arm_media_and_notifications() {
  notifications_ =
      std::make_unique<notify::NotificationService>(reactor_, http_, config_.notifications, clock_);
  media_ = std::make_unique<media::MediaService>(reactor_, http_, config_, clock_);
  media_->on_change([this](int sessions, bool reachable) {
    ++edges_by_source_["media:poll"];
    spdlog::info("media provider: {} session(s){}", sessions, reachable ? "" : " (unreachable)");
    if (ready_sent_) evaluate("media sessions");
  });
  if (auto st = media_->start(); !st) {
    spdlog::error("media provider not polled: {}", st.error().describe());
  }
  downloads_ = std::make_unique<downloads::DownloadService>(
      reactor_, http_, config_, downloads::download_journal_path(config_.general.journal_file),
      downloads::DownloadThrottle::Options{});
  // An effect like any other: the actuator starts it, follows the plan's cap_downloads and
  // decides (dry-run) whether the client is ever called.
  if (auto st = actuator_->adopt_external_limit(downloads_.get()); !st) {
    spdlog::error("download throttle journal unreadable: {}", st.error().describe());
  }
}

void Governor::arm_cgroup_units() {
  if (config_.general.cgroup_units_root.empty()) return;
  cgroup_units_ = std::make_unique<CgroupInventory>(reactor_, config_.general.cgroup_units_root,
                                                    tier_classifier(config_));
  cgroup_units_->set_on_change([this] {
    ++edges_by_source_["cgroup_units:changed"];
    if (ready_sent_) evaluate("cgroup units changed");
  });
  if (auto st = cgroup_units_->start(); !st) {
    spdlog::error("cgroup units root {} not watched: {}", config_.general.cgroup_units_root,
                  st.error().describe());
    cgroup_units_.reset();
  }
}

// The job runner: jobs are units like the cgroup units above, in their tier.
void Governor::arm_jobs() {
  job_host_ = std::make_unique<KernelJobHost>();
  jobs_ = std::make_unique<JobManager>(reactor_, &executor_, clock_, *job_host_, config_.jobs);
  jobs_->set_on_units_changed([this] {
    ++edges_by_source_["jobs:changed"];
    if (ready_sent_) evaluate("jobs changed");
  });
  jobs_->set_on_event(
      [this](std::string_view action, std::string_view job, std::string_view reason) {
        publish_action(action, std::string(JobManager::kUnitPrefix) + std::string(job), reason);
      });
  if (auto st = jobs_->start(); !st) {
    spdlog::error("jobs: state dir {} unusable ({}); the job runner is off", config_.jobs.state_dir,
                  st.error().describe());
    jobs_.reset();
  }
}

void Governor::on_units_changed(const std::vector<docker::UnitChange>& changes) {
  for (const auto& change : changes) {
    ++edges_by_source_["docker:" + std::string(docker::to_string(change.kind))];
    switch (change.kind) {
      case docker::UnitChangeKind::kStarted:
      case docker::UnitChangeKind::kRestarted: {
        // Docker made a new cgroup: direct cgroup writes were lost, re-apply everything.
        const UnitSnapshot* unit = inventory_->find(change.id);
        if (actuator_ && unit != nullptr) {
          actuator_->on_unit_restarted(change.id, unit->cgroup_path);
        }
        break;
      }
      case docker::UnitChangeKind::kUpdated:
        // `docker update` rewrote its files; a pause of adrg's stays (and stays adrg's).
        if (actuator_) actuator_->on_unit_files_rewritten(change.id);
        break;
      case docker::UnitChangeKind::kUnpausedExternally: {
        const auto& desired = last_result().desired.units;
        auto want = desired.find(change.id);
        bool claim_holds = want != desired.end() && want->second.paused;
        bool repause = repause_.should_repause(change.id, claim_holds, clock_.now());
        spdlog::warn("container {} was unpaused by someone else while adrg held it paused; {}",
                     change.name,
                     repause ? "the claim still holds: pausing it again"
                             : "leaving it running until the cooldown ends");
        publish_action("unpaused_externally", change.name,
                       repause ? "re-paused: the claim still holds" : "left running (cooldown)");
        const UnitSnapshot* unit = inventory_->find(change.id);
        // The actuator believes the unit is paused; making it forget that re-issues the pause.
        if (repause && actuator_ && unit != nullptr) {
          actuator_->on_unit_restarted(change.id, unit->cgroup_path);
        }
        break;
      }
      default:
        break;
    }
  }
  // Docker reports every container on its own: a media_start's 30 pauses are 30 events, often
  // read from the stream in one turn, and each evaluation reads every unit's cgroup files. One
  // evaluation after the events of a turn sees them all; the actuator heard each one above.
  if (ready_sent_ && !docker_evaluation_posted_) {
    docker_evaluation_posted_ = true;
    reactor_.post([this, alive = std::weak_ptr<bool>(alive_)] {
      if (alive.expired()) return;
      docker_evaluation_posted_ = false;
      evaluate("docker events");
    });
  }
}

Status Governor::arm_http_api() {
  if (!config_.general.http_server.enabled) return {};
  HttpApiHandlers handlers;
  handlers.status_json = [this] { return status_json(); };
  handlers.metrics_text = [this] { return metrics_text(); };
  handlers.trigger = [this](std::string_view event) { return trigger(event, "http"); };
  handlers.healthy = [this] { return !stopping_; };
  handlers.jobs = [this](const ApiRequest& request, const ApiReplyFn& reply) {
    if (!jobs_) {
      return reply(ApiReply{503, "{\"error\":\"the job runner is off (see the log)\"}\n"});
    }
    handle_job_request(*jobs_, request, reply);
  };
  handlers.media_webhook = [this](std::string_view content_type, std::string_view body) -> Status {
    std::vector<TriggerEvent> events;
    if (auto st = media_->handle_webhook(content_type, body, events); !st) return st;
    for (auto& event : events) {
      ++edges_by_source_["webhook:" + std::string(to_string(event.kind))];
      if (loop_) loop_->queue(std::move(event));
    }
    if (!events.empty()) evaluate("media webhook");
    return {};
  };
  http_api_ =
      std::make_unique<HttpApi>(reactor_, config_.general.http_server, std::move(handlers), bus_);
  if (auto st = http_api_->start(); !st) {
    http_api_.reset();
    return st;
  }
  return {};
}

void Governor::maybe_ready() {
  if (ready_sent_ || stopping_) return;
  ready_sent_ = true;
  if (ready_timer_ != 0) {
    reactor_.cancel(ready_timer_);
    ready_timer_ = 0;
  }
  evaluate("start");
  const auto& units = last_snapshot().units;
  std::string status = "governing " + std::to_string(units.size()) + " containers" +
                       (options_.dry_run ? " (dry run)" : "") + ", reactor " +
                       std::string(to_string(reactor_.backend()));
  notifier_.ready(status);
  if (auto st = notifier_.arm_watchdog(reactor_); !st) {
    spdlog::error("watchdog not armed: {}", st.error().describe());
  }
  spdlog::info("ready: {}", status);
  publish_action("daemon_start", "", status);
  notifications_->notify("daemon_start", "adrg started", status);
}

// cgroup.events / memory.events of every governed unit: a freeze completing ("frozen 1"), a unit
// emptying, and OOM kills arrive as inotify edges instead of being polled.
void Governor::sync_cgroup_event_watches(const std::vector<UnitSnapshot>& units) {
  if (!cgroup_events_) return;
  std::map<std::string, std::string> wanted;
  for (const auto& unit : units) {
    if (!unit.cgroup_path.empty()) wanted[unit.id] = unit.cgroup_path;
  }
  for (auto it = watched_cgroups_.begin(); it != watched_cgroups_.end();) {
    auto want = wanted.find(it->first);
    if (want == wanted.end() || want->second != it->second) {
      cgroup_events_->unwatch(it->first);
      it = watched_cgroups_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, dir] : wanted) {
    if (watched_cgroups_.contains(id)) continue;
    if (auto st = cgroup_events_->watch(id, dir); st) {
      watched_cgroups_[id] = dir;
    } else {
      spdlog::debug("not watching events of {}: {}", dir, st.error().describe());
    }
  }
}

void Governor::on_cgroup_event(const CgroupEvent& event) {
  std::string name = unit_name(last_snapshot().units, event.unit_id);
  ++edges_by_source_["cgroup:" + std::string(to_string(event.kind))];
  switch (event.kind) {
    case CgroupEvent::Kind::kOomKill:
      oom_kills_[name] += event.delta;
      if (jobs_) jobs_->on_oom_kill(event.unit_id, event.total);
      spdlog::warn("{}: {} OOM kill(s) (total {})", name, event.delta, event.total);
      publish_action("oom_kill", name, fmt::format("{} process(es) OOM-killed", event.delta));
      break;
    case CgroupEvent::Kind::kFrozenChanged:
      publish_action(event.value ? "frozen" : "thawed", name, "cgroup.events");
      break;
    case CgroupEvent::Kind::kPopulatedChanged:
      if (!event.value) publish_action("emptied", name, "cgroup.events: populated 0");
      break;
  }
}

// The observation sources and the loop that turns each edge into effects and events.
void Governor::arm_evaluation_loop() {
  observation_.add_units({[this] {
                            if (inventory_) inventory_->refresh_memory();
                          },
                          [this] { return inventory_ ? inventory_->units() : UnitList{}; }});
  observation_.add_units({[this] {
                            if (cgroup_units_) cgroup_units_->refresh_memory();
                          },
                          [this] { return cgroup_units_ ? cgroup_units_->units() : UnitList{}; }});
  observation_.add_units({[this] {
                            if (jobs_) jobs_->refresh_memory();
                          },
                          [this] { return jobs_ ? jobs_->units() : UnitList{}; }});
  if (media_) {
    observation_.set_media(
        {[this] { return media_->sessions(); }, [this] { return media_->reachable(); }});
  }
  EvaluationHooks hooks;
  hooks.observe = [this](const GovernorPolicy& policy) {
    return observation_.build(policy.io().engaged());
  };
  hooks.decision = [this](const Decision& decision, const Snapshot& snapshot) {
    publish_decision(decision, snapshot.units);
  };
  hooks.action = [this](const UnitAction& action) {
    publish_action(action.action, action.unit, action.reason);
  };
  hooks.after = [this](const PolicyResult&, const Snapshot& snapshot) {
    sync_cgroup_event_watches(snapshot.units);
    if (downloads_) follow_download_wish(policy_.media().download_throttle_wanted());
    if (jobs_) jobs_->on_snapshot(snapshot);  // admission of queued jobs, retention
  };
  loop_ = std::make_unique<EvaluationLoop>(clock_, policy_, *actuator_, std::move(hooks));
}

const PolicyResult& Governor::last_result() const {
  static const PolicyResult kNone;
  return loop_ ? loop_->last_result() : kNone;
}

const Snapshot& Governor::last_snapshot() const {
  static const Snapshot kNone;
  return loop_ ? loop_->last_snapshot() : kNone;
}

void Governor::evaluate(std::string_view why) {
  if (stopping_ || !loop_) return;
  loop_->run(config_, why);
}

void Governor::follow_download_wish(bool wanted) {
  if (downloads_->enabled() && wanted != download_cap_published_) {
    download_cap_published_ = wanted;
    const auto& throttle = config_.media_mode.download_throttle;
    publish_action(wanted ? "download_cap" : "download_cap_release", throttle.provider,
                   wanted ? fmt::format("{} MiB/s while media plays", throttle.limit_mb_per_sec)
                          : "the client's own limit back");
  }
}

void Governor::publish_decision(const Decision& decision, const std::vector<UnitSnapshot>& units) {
  ++decisions_by_rule_[decision.rule];
  JsonWriter w;
  w.begin_object()
      .field("time", clock_.wall_seconds())
      .field("type", "decision")
      .field("rule", decision.rule)
      .field("event", decision.event)
      .field("from", decision.from)
      .field("to", decision.to)
      .field("reason", decision.reason);
  w.key("units").begin_array();
  for (const auto& id : decision.unit_ids) w.value(unit_name(units, id));
  w.end_array().end_object();
  spdlog::info("decision {}", w.str());
  bus_.publish(w.take());
  if (notifications_) notifications_->notify(decision);
}

void Governor::publish_action(std::string_view action, std::string_view unit,
                              std::string_view reason) {
  JsonWriter w;
  w.begin_object()
      .field("time", clock_.wall_seconds())
      .field("type", "action")
      .field("action", action)
      .field("unit", unit)
      .field("reason", reason)
      .field("dry_run", options_.dry_run)
      .end_object();
  spdlog::info("action {}", w.str());
  bus_.publish(w.take());
}

Status Governor::trigger(std::string_view event, std::string_view source) {
  auto kind = parse_trigger(event);
  if (!kind) {
    return Error{std::make_error_code(std::errc::invalid_argument), kind.error().message};
  }
  ++edges_by_source_["trigger:" + std::string(event)];
  if (loop_) loop_->queue(TriggerEvent{*kind, std::string(source)});
  publish_action("trigger", "", std::string(event) + " from " + std::string(source));
  evaluate("trigger " + std::string(event));
  if (options_.fault_stall_seconds > 0 && !fault_stalled_) {
    // Posted: the HTTP answer still goes out; the next loop turn then hangs like a real bug.
    fault_stalled_ = true;
    double stall = options_.fault_stall_seconds;
    reactor_.post([stall] {
      spdlog::warn("fault injection: stalling the loop thread for {:.1f} s", stall);
      std::this_thread::sleep_for(std::chrono::duration<double>(stall));
    });
  }
  return {};
}

bool Governor::reload(std::string_view why) {
  if (stopping_) return false;
  notifier_.reloading();
  spdlog::info("reloading {} ({})", options_.config_path, why);
  LoadOptions load_options = options_.load_options;
  load_options.reload = true;  // an emptied file must not swap in the defaults
  ConfigLoad load = load_config_file(options_.config_path, load_options);
  for (const auto& w : load.warnings) spdlog::warn("{}", format_issue(w, "warning"));
  if (!load.ok()) {
    for (const auto& e : load.errors) spdlog::error("{}", format_issue(e, "error"));
    ++reloads_rejected_;
    std::string status =
        fmt::format("reload rejected ({} errors); the running config stays", load.errors.size());
    spdlog::error("{}", status);
    publish_action("reload_rejected", "", status);
    notifier_.ready(status);
    return false;
  }
  Config next = std::move(*load.config);
  const GeneralConfig& old = config_.general;
  if (next.general.cgroup_root != old.cgroup_root ||
      next.general.journal_file != old.journal_file ||
      next.general.docker_socket != old.docker_socket || next.general.proc_root != old.proc_root) {
    spdlog::warn(
        "general paths (cgroup_root, proc_root, journal_file, docker_socket) take "
        "effect only after a restart");
    next.general.cgroup_root = old.cgroup_root;
    next.general.journal_file = old.journal_file;
    next.general.docker_socket = old.docker_socket;
    next.general.proc_root = old.proc_root;
  }
  HttpServerConfig old_http = config_.general.http_server;
  config_ = std::move(next);
  if (actuator_) actuator_->set_instant_relief(config_.general.instant_relief);
  if (inventory_) inventory_->reconfigure(config_);
  if (cgroup_units_) cgroup_units_->reconfigure(tier_classifier(config_));
  if (jobs_) jobs_->reconfigure(config_.jobs);
  repause_.set_cooldown(from_seconds(config_.media_mode.cooldown_seconds));
  notifications_->reconfigure(config_.notifications);
  if (auto st = media_->reconfigure(config_); !st) {
    spdlog::error("media provider: {}", st.error().describe());
  }
  downloads_->reconfigure(config_);
  actuator_->refresh_external_limit();
  arm_psi_triggers();
  arm_thermal();
  arm_reconcile_tick();
  if (!same_http_config(old_http, config_.general.http_server)) {
    if (http_api_) http_api_->stop();
    http_api_.reset();
    if (auto st = arm_http_api(); !st) {
      spdlog::error("new http_server settings refused ({}); keeping the old listener",
                    st.error().describe());
      config_.general.http_server = old_http;
      if (auto again = arm_http_api(); !again) {
        spdlog::error("old http listener could not be restored: {}", again.error().describe());
      }
    }
  }
  ++reloads_ok_;
  publish_action("reload", "", std::string(why));
  notifier_.ready("reloaded " + options_.config_path);
  evaluate("reload");
  return true;
}

void Governor::shutdown(std::string_view why) {
  if (stopping_) return;
  stopping_ = true;
  if (loop_) loop_->stop();
  spdlog::info("stopping ({}): restoring every override", why);
  notifier_.stopping();
  publish_action("daemon_stop", "", std::string(why));
  notifications_->notify("daemon_stop", "adrg stopping", std::string(why));
  notifications_->flush(std::chrono::seconds(5), [this] { notifications_flushed_ = true; });
  // The download client gets the user's own limit back, like every cgroup file.
  actuator_->release_external_limit([this](const Status& st) {
    if (!st) spdlog::error("download limit not restored: {}", st.error().describe());
    downloads_released_ = true;
  });
  psi_triggers_.reset();
  thermal_.reset();
  cgroup_events_.reset();
  watched_cgroups_.clear();
  for (auto* id : {&reconcile_timer_, &ready_timer_, &config_debounce_, &config_watch_}) {
    if (*id != 0) reactor_.cancel(*id);
    *id = 0;
  }
  if (http_api_) http_api_->stop();
  if (actuator_) {
    if (auto st = actuator_->release_all(); !st) {
      spdlog::error("release incomplete ({}); the journal keeps the rest for `adrg --cleanup`",
                    st.error().describe());
    }
  }
  // Docker unpauses are asynchronous: keep the loop running until they settle, bounded so a
  // hung dockerd cannot hold shutdown (ExecStopPost=adrg --cleanup finishes the job).
  TimePoint deadline = clock_.now() + std::chrono::seconds(10);
  auto poll = reactor_.add_timer(
      std::chrono::milliseconds(0) + std::chrono::milliseconds(1), std::chrono::milliseconds(20),
      [this, deadline] {
        bool settled = !actuator_ || actuator_->pending_operations() == 0;
        if (settled || clock_.now() >= deadline) {
          if (!settled) {
            spdlog::warn("shutdown: {} operations still pending", actuator_->pending_operations());
          }
          if (inventory_) inventory_->stop();
          reactor_.stop();
        }
      });
  if (poll) {
    shutdown_timer_ = *poll;
  } else {
    reactor_.stop();
  }
}

}  // namespace adrg
