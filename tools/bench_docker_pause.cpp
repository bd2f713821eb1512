// Benchmark: pause/unpause N busybox containers through the Docker Engine API with every
// request in flight at once (DockerClient::pause_all on curl multi) versus one request after
// another. Creates the containers (label adrg.bench=<pid>), prints a table, removes them.
//
//   bench_docker_pause [--count 30] [--rounds 5] [--socket /var/run/docker.sock]
//
// Needs a running dockerd with the local/busybox image (tools/start-test-peers.sh).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "integrations/docker/docker_client.h"
#include "integrations/docker/policy.h"

namespace {

using adrg::Duration;
using adrg::SteadyClock;
using adrg::docker::DockerClient;
using adrg::docker::OpResult;

std::string shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = ::fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

struct Bench {
  adrg::Reactor& reactor;
  DockerClient& client;
  std::vector<std::string> ids;
  int errors = 0;
  std::vector<double> overlap;

  void wait(const std::function<bool()>& done) {
    while (!done()) reactor.run_once(std::chrono::milliseconds(100));
  }

  void count_errors(const std::vector<OpResult>& results) {
    for (const OpResult& r : results) {
      if (!r.status.ok()) {
        ++errors;
        std::fprintf(stderr, "  error: %s\n", r.status.error().describe().c_str());
      }
    }
  }

  // Every request issued at once; seconds until the last answer.
  double concurrent(bool pause) {
    std::optional<std::vector<OpResult>> results;
    auto start = SteadyClock::now();
    auto done = [&](std::vector<OpResult> r) { results = std::move(r); };
    if (pause) {
      client.pause_all(ids, done);
    } else {
      client.unpause_all(ids, done);
    }
    wait([&] { return results.has_value(); });
    double seconds = adrg::to_seconds(SteadyClock::now() - start);
    count_errors(*results);
    // Sum of the individual round trips over the wall time: how many requests were in flight
    // on average (1.0 would mean they ran one after another).
    double sum = 0;
    for (const OpResult& r : *results) sum += r.seconds;
    overlap.push_back(seconds > 0 ? sum / seconds : 0);
    return seconds;
  }

  // The next request only after the previous answer: what a naive loop does.
  double sequential(bool pause) {
    std::size_t next = 0;
    bool finished = false;
    std::function<void()> step = [&] {
      if (next == ids.size()) {
        finished = true;
        return;
      }
      const std::string& id = ids[next++];
      auto after = [&](const adrg::Status& status) {
        if (!status.ok()) {
          ++errors;
          std::fprintf(stderr, "  error: %s\n", status.error().describe().c_str());
        }
        step();
      };
      if (pause) {
        client.pause(id, after);
      } else {
        client.unpause(id, after);
      }
    };
    auto start = SteadyClock::now();
    step();
    wait([&] { return finished; });
    return adrg::to_seconds(SteadyClock::now() - start);
  }
};

struct Stats {
  double min = 0, median = 0, max = 0;
};

Stats stats(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return {values.front(), values[values.size() / 2], values.back()};
}

}  // namespace

int main(int argc, char** argv) {
  int count = 30;
  int rounds = 5;
  std::string socket = adrg::docker::resolve_socket_path("/var/run/docker.sock");
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--count" && i + 1 < argc) {
      count = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--socket" && i + 1 < argc) {
      socket = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--count N] [--rounds R] [--socket PATH]\n", argv[0]);
      return 2;
    }
  }
  std::string docker = "docker -H unix://" + socket;
  if (shell(docker + " info --format '{{.ServerVersion}}' 2>/dev/null").empty()) {
    std::fprintf(stderr, "no dockerd at %s (tools/start-test-peers.sh starts one)\n",
                 socket.c_str());
    return 1;
  }
  std::string label = "adrg.bench=" + std::to_string(::getpid());

  std::printf("creating %d busybox containers...\n", count);
  std::string script;
  for (int i = 0; i < count; ++i) {
    script += "( " + docker + " run -d --network none --name adrg-bench-" +
              std::to_string(::getpid()) + "-" + std::to_string(i) + " --label " + label +
              " local/busybox sh -c 'trap \"exit 0\" TERM; while :; do sleep 1; done' "
              ">/dev/null || echo FAIL ) & ";
  }
  auto create_start = SteadyClock::now();
  std::string created = shell(script + "wait");
  std::printf("created in %.2f s (parallel docker run)\n",
              adrg::to_seconds(SteadyClock::now() - create_start));
  auto cleanup = [&] {
    shell(docker + " ps -aq --filter label=" + label + " | xargs -r " + docker +
          " rm -f >/dev/null 2>&1");
  };

  auto reactor_result = adrg::Reactor::create();
  if (!reactor_result.ok()) {
    std::fprintf(stderr, "reactor: %s\n", reactor_result.error().describe().c_str());
    cleanup();
    return 1;
  }
  auto reactor = std::move(reactor_result.value());
  int status = 0;
  {
    adrg::HttpClient http(*reactor);
    DockerClient client(http, socket);
    Bench bench{*reactor, client, {}, 0, {}};
    std::string ids = shell(docker + " ps -q --no-trunc --filter label=" + label);
    for (std::size_t start = 0; start < ids.size();) {
      auto end = ids.find('\n', start);
      if (end == std::string::npos) end = ids.size();
      if (end > start) bench.ids.push_back(ids.substr(start, end - start));
      start = end + 1;
    }
    if (created.find("FAIL") != std::string::npos ||
        bench.ids.size() != static_cast<std::size_t>(count)) {
      std::fprintf(stderr, "only %zu of %d containers run\n", bench.ids.size(), count);
      status = 1;
    } else {
      bool negotiated = false;
      client.negotiate([&](const adrg::Result<adrg::docker::VersionInfo>& v) {
        negotiated = true;
        if (!v.ok()) std::fprintf(stderr, "negotiate: %s\n", v.error().describe().c_str());
      });
      bench.wait([&] { return negotiated; });
      std::vector<double> cp, cu, sp, su;
      for (int r = 0; r < rounds; ++r) {
        cp.push_back(bench.concurrent(true));
        cu.push_back(bench.concurrent(false));
        sp.push_back(bench.sequential(true));
        su.push_back(bench.sequential(false));
      }
      std::printf("\n%d containers, %d rounds, Engine API v%s over %s, load avg %s\n", count,
                  rounds, client.api_version().c_str(), socket.c_str(),
                  shell("cut -d' ' -f1-3 /proc/loadavg").c_str());
      std::printf("%-22s %10s %10s %10s %14s\n", "operation", "min s", "median s", "max s",
                  "per ctr (med)");
      auto row = [&](const char* name, const std::vector<double>& values) {
        Stats s = stats(values);
        std::printf("%-22s %10.3f %10.3f %10.3f %11.1f ms\n", name, s.min, s.median, s.max,
                    1000 * s.median / count);
      };
      row("pause   concurrent", cp);
      row("pause   sequential", sp);
      row("unpause concurrent", cu);
      row("unpause sequential", su);
      std::printf(
          "speed-up (median): pause x%.1f, unpause x%.1f; concurrent runs had %.1f "
          "requests in flight on average; errors: %d\n",
          stats(sp).median / stats(cp).median, stats(su).median / stats(cu).median,
          stats(bench.overlap).median, bench.errors);
      if (bench.errors > 0) status = 1;
    }
  }
  cleanup();
  return status;
}
