// Every pure Docker parser (integrations/docker/docker_parse.h) on the same bytes: the Engine
// API's JSON shapes (/version, /containers/json, inspect, /events lines, error bodies) share one
// input so a mutation of one seed reaches all of them, plus /proc/<pid>/cgroup text. The input
// is also fed to LineSplitter in two chunks split at a point the first byte picks, as a chunked
// /events stream arrives, and every completed line goes to parse_event_line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "integrations/docker/docker_parse.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  adrg::fuzz::quiet_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace docker = adrg::docker;
  const std::string_view input = adrg::fuzz::as_text(data, size);

  (void)docker::parse_version(input);
  (void)docker::parse_container_list(input);
  (void)docker::parse_inspect(input);
  (void)docker::parse_event_line(input);
  (void)docker::parse_error_message(input);
  (void)docker::parse_cgroup_file(input);
  (void)docker::url_encode(input);
  (void)docker::compare_api_versions(input, "1.41");
  (void)docker::compare_api_versions("1.41", input);

  docker::LineSplitter splitter;
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  for (std::string_view chunk : {input.substr(0, cut), input.substr(cut)}) {
    for (const auto& line : splitter.feed(chunk)) (void)docker::parse_event_line(line);
  }
  return 0;
}
