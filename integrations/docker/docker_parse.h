// Pure parsers for what the Docker Engine API and the kernel hand us about containers. No I/O:
// docker_client.cpp does the requests, inventory.cpp reads /proc; these turn text into structs
// and are unit-tested on samples recorded from Engine 20.10 (API 1.41) on this host.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace adrg::docker {

using Labels = std::map<std::string, std::string>;

// One element of GET /containers/json.
struct ContainerSummary {
  std::string id;
  std::string name;   // first of Names, without Docker's leading '/'
  std::string state;  // "running", "paused", ...
  Labels labels;
};

// The part of GET /containers/{id}/json that adrg uses.
struct ContainerInspect {
  std::string id;
  std::string name;    // without the leading '/' that inspect's Name carries
  std::string status;  // State.Status
  bool running = false;
  bool paused = false;
  bool restarting = false;
  int pid = 0;  // State.Pid, 0 when not running
  std::string started_at;
  std::string restart_policy;  // HostConfig.RestartPolicy.Name
  Labels labels;               // Config.Labels
};

// One line of the GET /events stream.
struct DockerEvent {
  std::string type;    // "container", "network", ...
  std::string action;  // "start", "die", ...; "exec_start: echo x" is split into action + detail
  std::string action_detail;
  std::string id;        // Actor.ID
  std::string name;      // Actor.Attributes.name (no leading '/')
  std::string old_name;  // rename only: Actor.Attributes.oldName, leading '/' stripped
  Labels attributes;     // Actor.Attributes: labels mixed with name/image/exitCode/signal
  std::int64_t time_nano = 0;
};

// GET /version: ApiVersion and MinAPIVersion.
struct VersionInfo {
  std::string version;
  std::string api_version;
  std::string min_api_version;
};

// A cgroup v2 path read from /proc/<pid>/cgroup.
struct ProcCgroup {
  // The "0::" path with any leading "/.." segments removed, e.g. "/docker/<id>". Empty means the
  // root of the reader's namespace.
  std::string path;
  // True when the path climbed out of the reader's cgroup namespace ("0::/../../docker/<id>":
  // adrg itself runs in a container with a private cgroupns). Then `path` is only a guess
  // relative to the mounted root and the caller must verify it or search by container id.
  bool outside_namespace = false;
  // The v1 memory controller's path ("N:memory:/docker/<id>") on hybrid hosts, else empty.
  std::string v1_memory_path;
};

Result<VersionInfo> parse_version(std::string_view json);
Result<std::vector<ContainerSummary>> parse_container_list(std::string_view json);
Result<ContainerInspect> parse_inspect(std::string_view json);
Result<DockerEvent> parse_event_line(std::string_view line);
// Docker error bodies are {"message":"..."}; returns the message, or the raw text when the body
// is not that shape.
std::string parse_error_message(std::string_view body);
Result<ProcCgroup> parse_cgroup_file(std::string_view content);

// "1.41" < "1.9"? No: API versions compare as (major, minor) integers. Returns <0, 0, >0.
int compare_api_versions(std::string_view a, std::string_view b);

// Reassembles newline-delimited JSON from a chunked stream. Docker sends one event per chunk
// today, but HTTP chunks and curl's write callbacks do not promise to keep that boundary.
class LineSplitter {
 public:
  // Appends a chunk and returns every line it completed (without the '\n'; empty lines and a
  // trailing '\r' dropped).
  std::vector<std::string> feed(std::string_view chunk);
  std::size_t pending_bytes() const { return pending_.size(); }
  void reset() { pending_.clear(); }

 private:
  std::string pending_;
};

// Percent-encoding for a query component.
std::string url_encode(std::string_view text);

}  // namespace adrg::docker
