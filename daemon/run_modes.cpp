#include "daemon/run_modes.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "actuator/cleanup.h"
#include "actuator/external_gate.h"
#include "config/loader.h"
#include "core/http_client.h"
#include "core/log.h"
#include "daemon/governor.h"
#include "integrations/docker/container_env.h"
#include "integrations/docker/docker_client.h"
#include "integrations/docker/inventory.h"
#include "integrations/docker/policy.h"
#include "integrations/downloads/download_service.h"

namespace adrg {

namespace {

ConfigLoad load(const CliOptions& options) {
  LoadOptions load_options;
  load_options.env_file = options.env_file;
  return load_config_file(options.config_path, load_options);
}

void print_issues(const ConfigLoad& result) {
  for (const auto& w : result.warnings)
    std::fprintf(stderr, "%s\n", format_issue(w, "warning").c_str());
  for (const auto& e : result.errors)
    std::fprintf(stderr, "%s\n", format_issue(e, "error").c_str());
}

// Runs a private reactor until `done` or the deadline: for the one-shot CLI modes only, never
// inside the daemon.
template <typename Done>
bool run_until(Reactor& reactor, Done done, Duration deadline) {
  auto end = SteadyClock::now() + deadline;
  while (!done() && SteadyClock::now() < end) reactor.run_once(std::chrono::milliseconds(50));
  return done();
}

// adrg in a container: can it see the host's cgroups and processes? (the docker run flags)
docker::ContainerEnv container_env(const Config& config) {
  docker::ContainerEnvRoots roots;
  roots.proc_root = config.general.proc_root;
  roots.cgroup_root = config.general.cgroup_root;
  roots.cgroup_v2_root = docker::detect_cgroup_v2_root(config.general.cgroup_root);
  return docker::detect_container_env(roots);
}

}  // namespace

int run_check_config(const CliOptions& options) {
  ConfigLoad result = load(options);
  print_issues(result);
  if (!result.ok()) {
    std::printf("%s: INVALID (%zu errors, %zu warnings)\n", options.config_path.c_str(),
                result.errors.size(), result.warnings.size());
    return 1;
  }
  const Config& config = *result.config;
  std::printf("%s: OK (%zu warnings)\n", options.config_path.c_str(), result.warnings.size());
  for (const auto& tier : config.tiers) {
    std::string patterns;
    for (const auto& p : tier.containers) patterns += (patterns.empty() ? "" : ", ") + p;
    std::printf("  tier %d %-12s containers: [%s]\n", tier.id, tier.name.c_str(), patterns.c_str());
  }
  std::printf("  media mode: %s (provider %s), thermal: %s, memory: %s, io: %s\n",
              config.media_mode.enabled ? "on" : "off", config.media_mode.provider.c_str(),
              config.thermal.enabled ? "on" : "off", config.memory_pressure.enabled ? "on" : "off",
              config.io_pressure.enabled ? "on" : "off");
  if (auto env = container_env(config); env.in_container) {
    std::printf("  running in a container (%s)\n", env.evidence.c_str());
    for (const auto& problem : env.problems) std::printf("  warning: %s\n", problem.c_str());
  }

  // ADRG's --check-config also listed the running containers with their tiers. "" is the
  // daemon's "no Docker": nothing is contacted, as the daemon would not either.
  if (config.general.docker_socket.empty()) {
    std::printf(
        "  containers: not listed (general.docker_socket is \"\": Docker integration off)\n");
    return 0;
  }
  auto reactor = Reactor::create(options.reactor);
  if (!reactor) {
    std::printf("  containers: not listed (%s)\n", reactor.error().describe().c_str());
    return 0;
  }
  HttpClient http(**reactor);
  docker::DockerClient client(http, docker::resolve_socket_path(config.general.docker_socket));
  RealClock clock;
  docker::InventoryOptions inventory_options;
  inventory_options.cgroup_root = config.general.cgroup_root;
  inventory_options.proc_root = config.general.proc_root;
  docker::DockerInventory inventory(**reactor, client, config, clock, inventory_options);
  inventory.start();
  if (!run_until(
          **reactor, [&] { return inventory.ready(); }, std::chrono::seconds(5))) {
    std::printf("  containers: docker not reachable at %s (%s)\n", client.socket_path().c_str(),
                inventory.last_error().c_str());
    return 0;
  }
  std::printf("  running containers:\n");
  for (const auto& unit : inventory.units()) {
    std::printf("    %-32s tier %d%s\n", unit.name.c_str(), unit.tier,
                unit.is_protected ? " (protected)" : "");
  }
  for (const auto& name : inventory.unmanaged()) {
    std::printf("    %-32s not governed (no tier matches)\n", name.c_str());
  }
  inventory.stop();
  return 0;
}

namespace {

// The download client's own limit, journaled beside the cgroup journal: after a kill -9 while
// media played the client stays capped until this gives its limit back (DownloadThrottle's
// start() restores a leftover record; the journal is gone once the client took it).
Status restore_download_limit(const Config& config, const CliOptions& options) {
  std::string journal = downloads::download_journal_path(config.general.journal_file);
  std::error_code ec;
  if (!std::filesystem::exists(journal, ec)) return {};
  auto reactor = Reactor::create(options.reactor);
  if (!reactor) return reactor.error();
  HttpClient http(**reactor);
  downloads::DownloadService service(**reactor, http, config, journal,
                                     downloads::DownloadThrottle::Options{});
  // The actuator's rule: given back, or with --dry-run only reported.
  auto started = give_back_external_leftover(service, options.dry_run);
  if (!started) return started.error();
  if (!*started) return {};
  auto gone = [&] {
    std::error_code missing;
    return !std::filesystem::exists(journal, missing) && service.settled();
  };
  if (!run_until(**reactor, gone, std::chrono::seconds(20))) {
    const auto* throttle = service.throttle();
    return Error{std::make_error_code(std::errc::timed_out),
                 "the download client did not take its limit back (" +
                     (throttle != nullptr ? throttle->last_error() : std::string("no client")) +
                     "); " + journal + " keeps it"};
  }
  spdlog::info("the download client has its own limit back");
  return {};
}

}  // namespace

int run_cleanup(const CliOptions& options) {
  ConfigLoad result = load(options);
  print_issues(result);
  // Cleanup must work even when the config was broken meanwhile: fall back to the defaults'
  // paths rather than leave containers frozen.
  Config config = result.config ? *result.config : default_config();
  ActuatorOptions actuator_options;
  actuator_options.cgroup_root = config.general.cgroup_root;
  actuator_options.journal_path = config.general.journal_file;
  actuator_options.proc_root = config.general.proc_root;
  actuator_options.dry_run = options.dry_run;

  std::string socket = docker::resolve_socket_path(config.general.docker_socket);
  auto unpause = [&](const JournalPause& pause) -> Status {
    auto reactor = Reactor::create(options.reactor);
    if (!reactor) return reactor.error();
    HttpClient http(**reactor);
    docker::DockerClient client(http, socket);
    std::optional<Status> outcome;
    client.unpause(pause.unit_id, [&](Status st) { outcome = std::move(st); });
    if (!run_until(
            **reactor, [&] { return outcome.has_value(); }, std::chrono::seconds(15))) {
      return Error{std::make_error_code(std::errc::timed_out), "docker unpause " + pause.name};
    }
    return *outcome;
  };
  Status st = cleanup_from_journal(actuator_options, unpause);
  Status downloads = restore_download_limit(config, options);
  if (!downloads) spdlog::error("download limit not restored: {}", downloads.error().describe());
  if (!st) {
    spdlog::error("cleanup incomplete: {}", st.error().describe());
    return 1;
  }
  if (!downloads) return 1;
  spdlog::info("cleanup done: every journaled override restored");
  return 0;
}

int run_daemon(const CliOptions& options) {
  ConfigLoad result = load(options);
  for (const auto& w : result.warnings) spdlog::warn("{}", format_issue(w, "warning"));
  if (!result.ok()) {
    for (const auto& e : result.errors) spdlog::error("{}", format_issue(e, "error"));
    spdlog::critical("{} is invalid; not starting", options.config_path);
    return 1;
  }
  Config config = std::move(*result.config);
  LogOptions log_options;
  log_options.level = options.log_level;
  log_options.file = config.general.log_file;
  log_options.file_max_bytes = config.general.log_max_bytes;
  log_options.file_backups = config.general.log_backup_count;
  if (auto problem = setup_logging(log_options); !problem.empty()) spdlog::warn("{}", problem);

  // Block the governor's signals before any thread exists (executor worker, curl resolver):
  // threads inherit the mask, so SIGHUP can only arrive through the reactor's signalfd and
  // never hits a worker thread with its default action (terminate).
  sigset_t governed;
  sigemptyset(&governed);
  for (int sig : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&governed, sig);
  pthread_sigmask(SIG_BLOCK, &governed, nullptr);

  auto reactor = Reactor::create(options.reactor);
  if (!reactor) {
    spdlog::critical("no event loop: {}", reactor.error().describe());
    return 1;
  }
  spdlog::info("adrg {} starting: config {}, reactor {}{}", ADRG_VERSION, options.config_path,
               to_string((*reactor)->backend()), options.dry_run ? ", dry run" : "");
  docker::log_container_env(container_env(config));

  RealClock clock;
  GovernorOptions governor_options;
  governor_options.config_path = options.config_path;
  governor_options.load_options.env_file = options.env_file;
  governor_options.dry_run = options.dry_run;
  governor_options.fault_stall_seconds = options.fault_stall_seconds;
  Governor governor(**reactor, clock, std::move(config), governor_options);
  if (auto st = governor.start(); !st) {
    spdlog::critical("cannot start: {}", st.error().describe());
    return 1;
  }
  (*reactor)->run();
  spdlog::info("adrg stopped");
  return 0;
}

}  // namespace adrg
