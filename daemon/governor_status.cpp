// What the governor believes, for GET /status (ADRG's schema plus adrg's additions) and
// GET /metrics. Both are built on the loop thread from the last evaluation; nothing is read
// from the kernel here, so a dashboard polling hard costs no syscalls.
#include <unistd.h>

#include "actuator/applied_json.h"
#include "core/json_writer.h"
#include "daemon/governor.h"
#include "integrations/http_api/prometheus_text.h"

namespace adrg {

namespace {

// ADRG reported thermal_stage as 0 (normal), 1 or 2; "warn" is log-only and counts as 0.
int adrg_thermal_stage(ThermalStage stage) {
  switch (stage) {
    case ThermalStage::kStage1:
      return 1;
    case ThermalStage::kStage2:
      return 2;
    default:
      return 0;
  }
}

void write_psi_line(JsonWriter& w, const PsiLine& line) {
  w.begin_object()
      .field("avg10", line.avg10)
      .field("avg60", line.avg60)
      .field("avg300", line.avg300)
      .field("total_us", static_cast<std::uint64_t>(line.total_us))
      .end_object();
}

void write_psi(JsonWriter& w, std::string_view name, const std::optional<PsiStats>& stats) {
  w.key(name);
  if (!stats) {
    w.null();
    return;
  }
  w.begin_object().key("some");
  write_psi_line(w, stats->some);
  if (stats->has_full) {
    w.key("full");
    write_psi_line(w, stats->full);
  }
  w.end_object();
}

}  // namespace

std::string Governor::status_json() const {
  const PolicyStatus policy = policy_.status();
  const auto& desired = last_result().desired.units;
  const auto& applied =
      actuator_ ? actuator_->applied().units : std::map<std::string, AppliedUnit>{};
  JsonWriter w;
  w.begin_object()
      .field("version", ADRG_VERSION)
      .field("uptime_seconds", to_seconds(clock_.now() - started_at_))
      .field("dry_run", options_.dry_run)
      .field("media_mode_active", policy.media_active)
      .field("media_provider",
             config_.media_mode.enabled ? config_.media_mode.provider : std::string("none"))
      .field("thermal_stage", adrg_thermal_stage(policy_.thermal().stage()))
      .field("memory_throttled", policy_.memory().stage() != MemoryStage::kNormal)
      .field("io_throttled", policy_.io().engaged());
  w.key("protected_containers").strings(config_.protected_containers);

  w.key("containers").begin_object();
  for (const auto& unit : last_snapshot().units) {
    w.key(unit.name).begin_object().field("tier", unit.tier);
    auto it = desired.find(unit.id);
    static const std::vector<std::string> kNone;
    const DesiredUnit* d = it == desired.end() ? nullptr : &it->second;
    w.key("paused_by").strings(d ? d->paused_by : kNone);
    w.key("cpu_max_by").strings(d ? d->cpu_max_by : kNone);
    w.key("io_max_by").strings(d ? d->io_max_by : kNone);
    // adrg additions.
    w.key("memory_high_by").strings(d ? d->memory_high_by : kNone);
    w.field("id", unit.id).field("protected", unit.is_protected);
    w.field("memory_current", static_cast<std::uint64_t>(unit.memory_current));
    w.field("cgroup", unit.cgroup_path);
    if (cgroup_events_) {
      if (auto ev = cgroup_events_->events(unit.id)) {
        w.field("frozen", ev->frozen).field("populated", ev->populated);
      }
      if (auto mem = cgroup_events_->memory_events(unit.id)) {
        w.field("oom_kills", static_cast<std::uint64_t>(mem->oom_kill));
      }
    }
    auto a = applied.find(unit.id);
    write_applied_unit(w, a == applied.end() ? nullptr : &a->second);
    w.end_object();
  }
  w.end_object();

  // adrg additions.
  w.key("stages")
      .begin_object()
      .field("thermal", policy.thermal_stage)
      .field("memory", policy.memory_stage)
      .field("io", policy.io_stage)
      .field("media", policy.media_stage)
      .field("tier3_manual_pause", policy.tier3_manual_pause)
      .field("download_throttle_wanted", policy.download_throttle_wanted)
      .end_object();
  w.key("psi").begin_object();
  write_psi(w, "cpu", last_snapshot().cpu);
  write_psi(w, "memory", last_snapshot().memory);
  write_psi(w, "io", last_snapshot().io);
  w.end_object();
  w.key("temperature_c");
  if (observation_.temperature()) {
    w.value(*observation_.temperature());
  } else {
    w.null();
  }
  w.key("triggers_armed")
      .strings(psi_triggers_ ? psi_triggers_->descriptions() : std::vector<std::string>{});
  w.field("backend", to_string(reactor_.backend()));
  w.key("docker")
      .begin_object()
      .field("enabled", inventory_ != nullptr)
      .field("connected", inventory_ && inventory_->connected())
      .field("ready", inventory_ && inventory_->ready())
      .field("api_version", docker_ ? docker_->api_version() : std::string())
      .field("last_error", inventory_ ? inventory_->last_error() : std::string());
  w.key("ungoverned").strings(inventory_ ? inventory_->unmanaged() : std::vector<std::string>{});
  w.end_object();
  if (media_) w.key("media").raw(media_->status_json());
  if (downloads_ && options_.dry_run) {
    // What a real run would hold, from the actuator: a dry run never asks the client.
    const auto& throttle = config_.media_mode.download_throttle;
    w.key("downloads")
        .begin_object()
        .field("enabled", throttle.enabled)
        .field("provider", throttle.provider)
        .field("limit_mb_per_sec", throttle.limit_mb_per_sec)
        .field("dry_run", true)
        .field("would_be_engaged", actuator_ && actuator_->external_limit_would_engage())
        .end_object();
  } else if (downloads_) {
    w.key("downloads").raw(downloads_->status_json());
  }
  if (notifications_) {
    w.key("notifications").begin_object();
    for (const auto& backend : notifications_->stats()) {
      w.key(notify::to_string(backend.backend))
          .begin_object()
          .field("enabled", backend.enabled)
          .field("target", backend.target)
          .field("pending", static_cast<std::uint64_t>(backend.pending))
          .field("sent", backend.counters.sent)
          .field("failed", backend.counters.failed)
          .field("suppressed", backend.counters.suppressed)
          .end_object();
    }
    w.end_object();
  }
  w.field("evaluations", evaluations()).field("pid", static_cast<std::int64_t>(::getpid()));
  w.field("config", options_.config_path);
  w.end_object();
  return w.take();
}

std::string Governor::metrics_text() const {
  PrometheusText m;
  const PolicyStatus policy = policy_.status();
  m.gauge("adrg_up", "1 while the governor runs.", {}, 1);
  m.gauge("adrg_build_info", "Version and event-loop backend.",
          {{"version", ADRG_VERSION}, {"backend", std::string(to_string(reactor_.backend()))}}, 1);
  m.gauge("adrg_uptime_seconds", "Seconds since the governor started.", {},
          to_seconds(clock_.now() - started_at_));
  m.gauge("adrg_dry_run", "1 when decisions are only logged.", {}, options_.dry_run ? 1 : 0);
  auto psi = [&m](const char* resource, const std::optional<PsiStats>& stats) {
    if (!stats) return;
    auto lines = {std::make_pair("some", stats->some), std::make_pair("full", stats->full)};
    for (const auto& [kind, line] : lines) {
      if (std::string_view(kind) == "full" && !stats->has_full) continue;
      PrometheusText::Labels labels{{"resource", resource}, {"kind", kind}};
      m.gauge("adrg_psi_avg10_ratio", "PSI avg10 share of time stalled (0..1).", labels,
              line.avg10 / 100.0);
      m.gauge("adrg_psi_avg60_ratio", "PSI avg60 share of time stalled (0..1).", labels,
              line.avg60 / 100.0);
      m.counter("adrg_psi_stall_seconds_total", "PSI total stall time.", labels,
                static_cast<double>(line.total_us) / 1e6);
    }
  };
  psi("cpu", last_snapshot().cpu);
  psi("memory", last_snapshot().memory);
  psi("io", last_snapshot().io);
  if (observation_.temperature()) {
    m.gauge("adrg_temperature_celsius", "Maximum temperature over thermal zones.", {},
            *observation_.temperature());
  }
  m.gauge("adrg_thermal_stage", "0 normal, 1 warn, 2 stage1, 3 stage2.", {},
          static_cast<double>(policy_.thermal().stage()));
  m.gauge("adrg_memory_stage", "0 normal, 1 squeeze, 2 critical, 3 emergency.", {},
          static_cast<double>(policy_.memory().stage()));
  m.gauge("adrg_io_throttled", "1 while tier-3 I/O is capped.", {}, policy_.io().engaged() ? 1 : 0);
  m.gauge("adrg_media_mode_active", "1 while media mode claims are in force.", {},
          policy.media_active ? 1 : 0);
  for (const auto& unit : last_snapshot().units) {
    auto it = last_result().desired.units.find(unit.id);
    bool paused = it != last_result().desired.units.end() && it->second.paused;
    PrometheusText::Labels labels{{"container", unit.name}, {"tier", std::to_string(unit.tier)}};
    m.gauge("adrg_container_paused", "1 when adrg holds the container paused.", labels,
            paused ? 1 : 0);
    if (it != last_result().desired.units.end() && it->second.cpu_max_percent) {
      m.gauge("adrg_container_cpu_max_ratio", "cpu.max cap as a share of the whole machine.",
              labels, *it->second.cpu_max_percent / 100.0);
    }
    m.gauge("adrg_container_memory_bytes", "memory.current of the container.", labels,
            static_cast<double>(unit.memory_current));
  }
  m.counter("adrg_evaluations()total", "Policy evaluations (edges and ticks).", {},
            static_cast<double>(evaluations()));
  m.declare("adrg_decisions_total", MetricType::kCounter, "Rule stage transitions.");
  for (const auto& [rule, n] : decisions_by_rule_) {
    m.counter("adrg_decisions_total", "Rule stage transitions.", {{"rule", rule}},
              static_cast<double>(n));
  }
  m.declare("adrg_edges_total", MetricType::kCounter, "Events that woke the governor.");
  for (const auto& [source, n] : edges_by_source_) {
    m.counter("adrg_edges_total", "Events that woke the governor.", {{"source", source}},
              static_cast<double>(n));
  }
  m.counter("adrg_config_reloads_total", "Config reloads.", {{"result", "ok"}},
            static_cast<double>(reloads_ok_));
  m.counter("adrg_config_reloads_total", "Config reloads.", {{"result", "rejected"}},
            static_cast<double>(reloads_rejected_));
  if (http_api_) {
    // A sudden rise here is a web page, a misconfigured client or a scan knocking.
    m.counter("adrg_http_refused_total",
              "HTTP requests refused for their Host, Origin, token or webhook secret.", {},
              static_cast<double>(http_api_->refused_count()));
    m.gauge("adrg_http_connections", "Open HTTP connections (TCP and unix socket).", {},
            static_cast<double>(http_api_->connection_count()));
  }
  m.declare("adrg_oom_kills_total", MetricType::kCounter, "OOM kills seen in memory.events.");
  for (const auto& [name, n] : oom_kills_) {
    m.counter("adrg_oom_kills_total", "OOM kills seen in memory.events.", {{"container", name}},
              static_cast<double>(n));
  }
  if (notifications_) {
    m.declare("adrg_notifications_total", MetricType::kCounter, "Notifications by outcome.");
    for (const auto& backend : notifications_->stats()) {
      std::string name(notify::to_string(backend.backend));
      const auto& c = backend.counters;
      for (const auto& [result, n] : {std::pair<const char*, std::uint64_t>{"sent", c.sent},
                                      {"failed", c.failed},
                                      {"suppressed", c.suppressed},
                                      {"dropped", c.dropped}}) {
        m.counter("adrg_notifications_total", "Notifications by outcome.",
                  {{"backend", name}, {"result", result}}, static_cast<double>(n));
      }
    }
  }
  m.counter("adrg_container_restarts_total", "Containers restarted by the memory rule.", {},
            static_cast<double>(actuator_ ? actuator_->restarts_requested() : 0));
  return m.render();
}

}  // namespace adrg
