#include "config/loader.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "config/bind_host.h"
#include "config/env.h"
#include "config/loader_internal.h"
#include "config/size.h"
#include "config/yaml_documents.h"
#include "core/fs.h"

namespace adrg {
namespace config_detail {

namespace {
constexpr std::string_view kDefaultEnvFile = "/etc/adrg/adrg.env";
}  // namespace

void Loader::check_relations() {
  // Thermal stages escalate: warn <= stage1 <= stage2, and recovery lies below stage1 or the
  // hysteresis would restore containers while stage 1 still holds.
  const ThermalConfig& t = config_.thermal;
  auto temp = [](double v) { return number_text(v); };
  if (t.warn_temp_c > t.stage1_temp_c) {
    error(location_of({"thermal.warn_temp_c", "thermal.stage1_temp_c", "thermal"}),
          "thermal.warn_temp_c (" + temp(t.warn_temp_c) + ") must not be above stage1_temp_c (" +
              temp(t.stage1_temp_c) + ")");
  }
  if (t.stage1_temp_c > t.stage2_temp_c) {
    error(location_of({"thermal.stage2_temp_c", "thermal.stage1_temp_c", "thermal"}),
          "thermal.stage2_temp_c (" + temp(t.stage2_temp_c) +
              ") must not be below stage1_temp_c (" + temp(t.stage1_temp_c) + ")");
  }
  if (t.recovery_temp_c >= t.stage1_temp_c) {
    error(location_of({"thermal.recovery_temp_c", "thermal.stage1_temp_c", "thermal"}),
          "thermal.recovery_temp_c (" + temp(t.recovery_temp_c) +
              ") must be below stage1_temp_c (" + temp(t.stage1_temp_c) + ")");
  }
  const IoPressureConfig& io = config_.io_pressure;
  if (io.recovery_avg10_threshold >= io.trigger_avg10_threshold) {
    error(location_of({"io_pressure.recovery_avg10_threshold",
                       "io_pressure.trigger_avg10_threshold", "io_pressure"}),
          "io_pressure.recovery_avg10_threshold (" + temp(io.recovery_avg10_threshold) +
              ") must be below trigger_avg10_threshold (" + temp(io.trigger_avg10_threshold) + ")");
  }
  for (const char* section : {"memory_pressure", "io_pressure"}) {
    const PsiTriggerConfig& trig = std::string_view(section) == "memory_pressure"
                                       ? config_.memory_pressure.trigger
                                       : config_.io_pressure.trigger;
    std::string base = std::string(section) + ".trigger";
    if (trig.stall_ms > trig.window_ms) {
      error(location_of({base + ".stall_ms", base + ".window_ms", base}),
            base + ".stall_ms (" + std::to_string(trig.stall_ms) + ") must not exceed window_ms (" +
                std::to_string(trig.window_ms) + ")");
    }
  }
}

void Loader::apply_docker_host() {
  // Docker's own convention: DOCKER_HOST=unix:///path overrides the socket. adrg speaks the
  // Engine API over a unix socket only.
  auto host = env_.lookup("DOCKER_HOST");
  if (!host || host->empty()) return;
  if (config_.general.docker_socket.empty()) {
    // An explicit "" says "no Docker" for this config; an exported DOCKER_HOST meant for the
    // docker CLI must not turn the integration back on (nor make --check-config connect).
    warning(location_of({"general.docker_socket"}),
            "DOCKER_HOST=" + *host + " is ignored: general.docker_socket is \"\" (Docker off)");
    return;
  }
  constexpr std::string_view kUnix = "unix://";
  if (host->rfind(kUnix, 0) == 0 && host->size() > kUnix.size()) {
    config_.general.docker_socket = host->substr(kUnix.size());
  } else {
    warning({}, "DOCKER_HOST=" + *host +
                    " is not a unix:// socket; adrg uses general.docker_socket (" +
                    config_.general.docker_socket + ")");
  }
}

void Loader::load_environment(const YAML::Node& root) {
  std::string path = options_.env_file;
  const bool required = !path.empty();
  Location declared;
  if (path.empty() && root.IsMap()) {
    const YAML::Node general = root["general"];
    if (general.IsDefined() && general.IsMap()) {
      const YAML::Node env_file = general["env_file"];
      if (env_file.IsDefined() && env_file.IsScalar()) {
        path = env_file.Scalar();
        declared = to_location(env_file.Mark());
        if (!path.empty() && path.front() != '/' && !base_dir_.empty()) {
          path = join_path(base_dir_, path);
        }
      }
    }
  }
  const bool implicit = path.empty() && !required;
  if (implicit) path = std::string(kDefaultEnvFile);
  if (declared.line > 0 || required) config_.general.env_file = path;

  std::map<std::string, std::string> process =
      options_.environment != nullptr ? *options_.environment : Environment::process_environment();
  std::map<std::string, std::string> from_file;
  if (!path.empty()) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (required) {
        result_.errors.push_back({path, 0, 0, "env file not found"});
      } else if (declared.line > 0) {
        warning(declared, "general.env_file: " + path +
                              " does not exist; ${VAR} values come from "
                              "the process environment only");
      }
    } else if (auto text = read_text_file(path); !text) {
      // An unreadable default file (mode 0600, --check-config run as a user) is a warning; the
      // undefined-variable warnings that follow say what is missing.
      (required ? result_.errors : result_.warnings)
          .push_back({path, 0, 0, "cannot read env file: " + text.error().describe()});
    } else {
      EnvFile parsed = parse_env_file(*text);
      for (auto& issue : parsed.errors) {
        result_.errors.push_back({path, issue.line, issue.column, std::move(issue.message)});
      }
      from_file = std::move(parsed.values);
    }
  }
  env_ = Environment(std::move(process), std::move(from_file));
}

ConfigLoad Loader::run(std::string_view text) {
  split_lines(text);
  config_.source_path = file_;
  std::vector<YAML::Node> documents;
  try {
    documents = load_yaml_documents(text_);
  } catch (const YAML::Exception& ex) {
    Location at = to_location(ex.mark);
    std::string message = "invalid YAML: " + ex.msg;
    // yaml-cpp's wording for a tab in indentation varies ("illegal map value", "illegal tab when
    // looking for indentation"); name the real cause and point at the tab.
    if (at.line > 0 && static_cast<std::size_t>(at.line) <= lines_.size()) {
      std::string_view line = lines_[static_cast<std::size_t>(at.line - 1)];
      std::size_t indent = line.find_first_not_of(" \t");
      std::size_t tab = line.find('\t');
      if (tab != std::string_view::npos && (indent == std::string_view::npos || tab < indent)) {
        at.column = static_cast<int>(tab) + 1;
        message = "invalid YAML: tab character used for indentation (YAML allows only spaces)";
      }
    }
    error(at, message);
    return std::move(result_);
  }
  YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  for (std::size_t i = 1; i < documents.size(); ++i) {
    if (documents[i].IsDefined() && !documents[i].IsNull()) {
      error(to_location(documents[i].Mark()),
            "only one YAML document is allowed in a config file (remove the second '---')");
    }
  }
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    error(to_location(root.Mark()),
          "expected a map of sections (general:, tiers:, media_mode:, ...), got " + describe(root));
    return std::move(result_);
  }
  if ((!root.IsDefined() || root.IsNull()) && options_.reload) {
    error({},
          "the config file is empty (nothing but blanks or comments); a reload needs a "
          "complete config, the running one is not replaced by ADRG's defaults");
    return std::move(result_);
  }
  load_environment(root);
  if (!root.IsDefined() || root.IsNull()) {
    warning({}, "the config file is empty; using ADRG's defaults");
  }

  MapReader top(*this, root, "");
  if (auto e = top.take("general")) {
    if (auto s = section(*e)) read_general(*s, config_.general);
  }
  if (auto e = top.take("interval")) {
    // ADRG's older top-level spelling of general.poll_interval_seconds.
    if (was_set("general.poll_interval_seconds")) {
      error(to_location(e->key.Mark()),
            "interval: 'interval' is the older spelling of general.poll_interval_seconds and both "
            "are set (other at line " +
                std::to_string(location_of({"general.poll_interval_seconds"}).line) +
                "); keep one");
    } else {
      read_number(*e, config_.general.poll_interval_seconds, kPollSeconds, kSeconds);
    }
  }
  if (auto e = top.take("tiers")) read_tiers(*e);
  if (auto e = top.take("protected_containers")) {
    read_string_list(*e, config_.protected_containers, "container names or globs");
  }
  if (auto e = top.take("media_mode")) {
    if (auto s = section(*e)) read_media_mode(*s, config_.media_mode);
  }
  if (auto e = top.take("thermal")) {
    if (auto s = section(*e)) read_thermal(*s, config_.thermal);
  }
  if (auto e = top.take("memory_pressure")) {
    if (auto s = section(*e)) read_memory_pressure(*s, config_.memory_pressure);
  }
  if (auto e = top.take("io_pressure")) {
    if (auto s = section(*e)) read_io_pressure(*s, config_.io_pressure);
  }
  if (auto e = top.take("notifications")) {
    if (auto s = section(*e)) read_notifications(*s, config_.notifications);
  }
  if (auto e = top.take("jobs")) {
    if (auto s = section(*e)) read_jobs(*s, config_.jobs);
  }
  top.finish();
  check_relations();
  apply_docker_host();

  // Report in file order (cross-field checks run last); issues of the env file come after.
  auto by_position = [this](const ConfigIssue& a, const ConfigIssue& b) {
    return std::make_tuple(a.file != file_, a.line, a.column) <
           std::make_tuple(b.file != file_, b.line, b.column);
  };
  std::stable_sort(result_.errors.begin(), result_.errors.end(), by_position);
  std::stable_sort(result_.warnings.begin(), result_.warnings.end(), by_position);
  if (result_.errors.empty()) result_.config = std::move(config_);
  return std::move(result_);
}

std::string directory_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace config_detail

using config_detail::directory_of;
using config_detail::Loader;

std::string format_issue(const ConfigIssue& issue, std::string_view severity) {
  std::string out = issue.file;
  if (issue.line > 0) {
    out += ":" + std::to_string(issue.line) + ":" + std::to_string(issue.column);
  }
  out += ": ";
  out += severity;
  out += ": ";
  out += issue.message;
  return out;
}

ConfigLoad load_config_text(std::string_view yaml, const std::string& display_name,
                            const LoadOptions& options) {
  return Loader(display_name, "", options).run(yaml);
}

ConfigLoad load_config_file(const std::string& path, const LoadOptions& options) {
  auto text = read_text_file(path);
  if (!text) {
    ConfigLoad load;
    load.errors.push_back({path, 0, 0, "cannot read config file: " + text.error().describe()});
    return load;
  }
  return Loader(path, directory_of(path), options).run(*text);
}

Config default_config() { return Config{}; }

const std::vector<std::string>& known_notify_events() {
  static const std::vector<std::string> kEvents = {
      "daemon_start",   "daemon_stop",    "media_mode_activated",    "media_mode_deactivated",
      "thermal_stage1", "thermal_stage2", "memory_critical_restart", "memory_emergency_restart"};
  return kEvents;
}

}  // namespace adrg
