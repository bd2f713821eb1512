// The config loader (config/loader.h) on arbitrary YAML: parsing, ${VAR} expansion, every
// section's validation and the issue locations. Hermetic: an injected empty environment and
// /dev/null as the env file (named explicitly, so general.env_file in the input is never opened;
// a nonexistent one would add the same "env file not found" error to every load and hide the
// successful path). The env-file parser gets the same bytes, since adrg.env is input too.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/env.h"
#include "config/loader.h"
#include "config/size.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  adrg::fuzz::quiet_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::map<std::string, std::string> kNoEnvironment;
  const std::string_view input = adrg::fuzz::as_text(data, size);

  adrg::LoadOptions options;
  options.env_file = "/dev/null";
  options.environment = &kNoEnvironment;
  adrg::ConfigLoad load = adrg::load_config_text(input, "fuzz.yaml", options);
  for (const auto& issue : load.errors) (void)adrg::format_issue(issue, "error");
  for (const auto& issue : load.warnings) (void)adrg::format_issue(issue, "warning");

  (void)adrg::parse_env_file(input);
  (void)adrg::parse_size(input);
  return 0;
}
