// Hermetic config loading for tests: no real environ, no /etc/adrg/adrg.env, and every issue of
// a load as text for assertion messages.
#pragma once

#include <map>
#include <string>

#include "config/loader.h"

namespace adrg::testing {

inline LoadOptions isolated_load_options(const std::map<std::string, std::string>* env) {
  LoadOptions options;
  options.env_file = "/dev/null";
  options.environment = env;
  return options;
}

inline std::string all_issues(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) out += format_issue(e, "error") + "\n";
  for (const auto& w : load.warnings) out += format_issue(w, "warning") + "\n";
  return out;
}

}  // namespace adrg::testing
