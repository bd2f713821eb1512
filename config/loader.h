// Loads ADRG's config.yaml unchanged (tests/data/adrg-1.1.2-config.yaml is the contract) into
// the validated Config of config/config.h. Every problem carries file:line:column, and all of
// them are collected in one pass so a user fixes a file in one go.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace adrg {

struct ConfigIssue {
  std::string file;
  int line = 0;    // 1-based; 0 when the issue concerns the whole file (e.g. it is missing)
  int column = 0;  // 1-based
  std::string message;
};

// "file:line:column: severity: message", or "file: severity: message" without a line, the form
// compilers use, so editors can jump to it.
std::string format_issue(const ConfigIssue& issue, std::string_view severity);

struct ConfigLoad {
  std::optional<Config> config;  // set only when errors is empty
  std::vector<ConfigIssue> errors;
  std::vector<ConfigIssue> warnings;
  bool ok() const { return config.has_value() && errors.empty(); }
};

struct LoadOptions {
  // Env file supplying ${VAR} values. Empty: general.env_file from the config (relative paths are
  // resolved against the config file's directory), else /etc/adrg/adrg.env; either may be missing.
  // A file named here explicitly must exist.
  std::string env_file;
  // The process environment; nullptr reads the real environ. Tests inject a map.
  const std::map<std::string, std::string>* environment = nullptr;
  // A reload of a running daemon (SIGHUP, the config file rewritten). An empty document (no
  // content, or only blanks and comments) is then an error instead of "ADRG's defaults": `: >
  // file`, a truncating editor or a half-finished copy must not drop the token and move the API.
  // At start-up an empty file still means the defaults, with a warning (see README).
  bool reload = false;
};

ConfigLoad load_config_file(const std::string& path, const LoadOptions& options = {});
ConfigLoad load_config_text(std::string_view yaml, const std::string& display_name,
                            const LoadOptions& options = {});

// ADRG 1.1.2's defaults: what the reference template yields with no secrets set.
Config default_config();

// The events notifications.notify_on may name (ADRG 1.1.2's list).
const std::vector<std::string>& known_notify_events();

}  // namespace adrg
