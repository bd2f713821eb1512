// bench_docker_vm: measurements of the installed adrg governing real Docker containers, run
// inside the e2e VM by tools/bench/vm-docker-bench.sh (pure cgroup v2, systemd cgroup driver).
// Not a test: prints table rows.
//
//   bench_docker_vm relief LABEL PORT ROUNDS DOCKER_SOCKET CGROUP_DIR...
//       The containers whose cgroups are given spin a CPU each and carry the label adrg.bench.
//       Each round (after one warm-up round): POST /trigger media_start at t0, then
//         relief  the start of the first 100 ms window in which their summed CPU use is below
//                 1.5 x the relief's floor: each throttled container still gets the kernel's
//                 smallest quota, 1 ms per 100 ms period, so N of them hold N % of a core
//         quiet   the same below 1 % of one core, which only the pause reaches
//                 (cpu.stat usage_usec, sampled every 10 ms; Docker is polled on its own
//                 thread so the samples never wait for dockerd)
//         paused  every container Paused by Docker (GET /containers/json, status=paused)
//         throttled  every container's cpu.max holds a quota (adrg's relief written), as read;
//                 with the relief's time it separates adrg's delay from the kernel's and the
//                 window's; the longest gap between two samples is the bench's own delay
//       then media_stop, and the next round once all run and spin again. p50/p95/max per row.
//   bench_docker_vm kernel LABEL ROUNDS CGROUP_DIR...
//       The floor under every relief: no adrg, no HTTP. Each round the bench itself writes the
//       relief's cpu.max ("1000 100000") into every container's cgroup at t0 and measures the
//       relief as above; then writes "max 100000" back. What is left between t0 and the relief
//       is the kernel's: every spinning group still runs out its current slice (up to a tick)
//       and its first 1 ms of quota before it is throttled.
//   bench_docker_vm footprint LABEL PID SECONDS
//       The process idle for SECONDS: VmRSS, Pss, anonymous and private-dirty memory, CPU % and
//       wake-ups/s (context switches of all threads).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tools/bench/bench_support.h"
#include "tools/bench/proc_footprint.h"

namespace bench {
namespace {

// GET over the Engine API's unix socket; HTTP/1.0 so dockerd closes after the answer.
std::string docker_get(const std::string& socket_path, const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bound_reads(fd);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket_path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n";
  (void)::write(fd, req.data(), req.size());
  std::string out;
  char buf[8192];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

int count_paused(const std::string& socket_path) {
  // filters={"status":["paused"],"label":["adrg.bench"]}
  std::string reply = docker_get(
      socket_path,
      "/containers/json?filters=%7B%22status%22%3A%5B%22paused%22%5D%2C%22label%22%3A%5B%22adrg."
      "bench%22%5D%7D");
  if (reply.empty()) return -1;
  int n = 0;
  for (size_t pos = reply.find("\"Id\":"); pos != std::string::npos;
       pos = reply.find("\"Id\":", pos + 1)) {
    ++n;
  }
  return n;
}

// The containers' cgroup files, opened once: each sample is one pread per file (a cgroup file
// regenerates at offset 0), so the sampler costs little of the CPU it measures under QEMU.
class CgroupFiles {
 public:
  CgroupFiles(const std::vector<std::string>& dirs, const std::string& name) {
    for (const auto& d : dirs)
      fds_.push_back(::open((d + "/" + name).c_str(), O_RDONLY | O_CLOEXEC));
  }
  ~CgroupFiles() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  CgroupFiles(const CgroupFiles&) = delete;
  CgroupFiles& operator=(const CgroupFiles&) = delete;
  std::size_t size() const { return fds_.size(); }
  std::string read(std::size_t i) const {
    char buf[512];
    ssize_t n = fds_[i] >= 0 ? ::pread(fds_[i], buf, sizeof buf - 1, 0) : -1;
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  std::vector<int> fds_;
};

long long usage_usec(const CgroupFiles& stats) {
  long long sum = 0;
  for (std::size_t i = 0; i < stats.size(); ++i) {
    std::string stat = stats.read(i);
    auto pos = stat.find("usage_usec ");
    if (pos != std::string::npos) sum += std::atoll(stat.c_str() + pos + 11);
  }
  return sum;
}

// Whether every container's cpu.max holds a quota (adrg's relief throttle), as read.
bool all_throttled(const CgroupFiles& cpu_max) {
  for (std::size_t i = 0; i < cpu_max.size(); ++i) {
    if (cpu_max.read(i).rfind("max ", 0) == 0) return false;
  }
  return true;
}

// Summed CPU rate (cores) of the containers over the last `window`.
class CpuRate {
 public:
  explicit CpuRate(const std::vector<std::string>& dirs) : stats_(dirs, "cpu.stat") {}
  // Samples now; returns the rate over the last window once a full window is held.
  std::optional<double> sample(std::chrono::milliseconds window) {
    auto now = Clock::now();
    if (!samples_.empty()) longest_gap_ = std::max(longest_gap_, now - samples_.back().first);
    samples_.push_back({now, usage_usec(stats_)});
    while (samples_.size() > 2 && now - samples_[1].first >= window) samples_.pop_front();
    if (now - samples_.front().first < window) return std::nullopt;
    double secs = std::chrono::duration<double>(now - samples_.front().first).count();
    return static_cast<double>(samples_.back().second - samples_.front().second) / 1e6 / secs;
  }
  Clock::time_point window_start() const { return samples_.front().first; }
  // The longest time between two samples since reset(): the bench's own delay.
  Clock::duration longest_gap() const { return longest_gap_; }
  void reset() {
    samples_.clear();
    longest_gap_ = Clock::duration::zero();
  }

 private:
  CgroupFiles stats_;
  std::deque<std::pair<Clock::time_point, long long>> samples_;
  Clock::duration longest_gap_ = Clock::duration::zero();
};

void print_row(const std::string& what, std::vector<double> ms) {
  if (ms.empty()) {
    std::printf("| %s | 0 | - | - | - |\n", what.c_str());
    return;
  }
  std::printf("| %s | %zu | %.0f | %.0f | %.0f |\n", what.c_str(), ms.size(), percentile(ms, 50),
              percentile(ms, 95), *std::max_element(ms.begin(), ms.end()));
}

int bench_relief(const std::string& label, int port, int rounds, const std::string& socket_path,
                 const std::vector<std::string>& dirs) {
  using namespace std::chrono_literals;
  const auto window = 100ms;
  std::vector<double> relief_ms, quiet_ms, paused_ms, throttled_ms, gap_ms;
  const double relief_cores = 1.5 * 0.01 * static_cast<double>(dirs.size());
  CpuRate rate(dirs);
  CgroupFiles cpu_max(dirs, "cpu.max");
  // Round 0 is a warm-up, not counted: the first media_start after adrg's start took 88 s to
  // quiet 30 containers in the VM (dockerd's first pauses), 10-20x any later round.
  for (int r = 0; r <= rounds; ++r) {
    // Start from the storm: nothing paused and the containers spinning.
    auto deadline = Clock::now() + 120s;
    rate.reset();
    while (true) {
      auto busy = rate.sample(500ms);
      if (count_paused(socket_path) == 0 && busy && *busy > 0.5) break;
      if (Clock::now() > deadline) {
        const int paused = count_paused(socket_path);
        std::fprintf(stderr, "round %d: containers not running and busy after 120 s (%s)\n", r,
                     paused < 0 ? "dockerd did not answer /containers/json within 15 s"
                                : (std::to_string(paused) + " paused").c_str());
        return 1;
      }
      std::this_thread::sleep_for(50ms);
    }
    rate.reset();
    auto t0 = Clock::now();
    if (http(port, "POST", "/trigger", "{\"event\":\"media_start\"}") != 200) return 1;
    const double http_ms = Ms(Clock::now() - t0).count();
    std::optional<double> relief, quiet, paused, throttled;
    deadline = t0 + 120s;
    // Docker is asked on its own thread: dockerd, busy pausing, takes hundreds of ms to list
    // containers, and the CPU samples must not wait for it.
    std::atomic<double> paused_ms_at{-1};
    std::atomic<bool> stop_docker{false};
    std::thread docker_poll([&] {
      while (!stop_docker && Clock::now() < deadline) {
        if (count_paused(socket_path) == static_cast<int>(dirs.size())) {
          paused_ms_at = Ms(Clock::now() - t0).count();
          return;
        }
        std::this_thread::sleep_for(50ms);
      }
    });
    while ((!quiet || !paused) && Clock::now() < deadline) {
      if (!throttled && all_throttled(cpu_max)) throttled = Ms(Clock::now() - t0).count();
      if (!quiet) {
        auto cores = rate.sample(window);
        if (cores && *cores < relief_cores && !relief) {
          relief = Ms(rate.window_start() - t0).count();
        }
        if (cores && *cores < 0.01) quiet = Ms(rate.window_start() - t0).count();
      }
      if (!paused && paused_ms_at >= 0) paused = paused_ms_at.load();
      std::this_thread::sleep_for(10ms);
    }
    stop_docker = true;
    docker_poll.join();
    if (!quiet || !paused) {
      std::fprintf(stderr, "round %d: quiet %s, paused %s after 120 s\n", r, quiet ? "yes" : "no",
                   paused ? "yes" : "no");
      return 1;
    }
    if (!relief) relief = quiet;  // below 1 % is below the relief threshold too
    const double gap = Ms(rate.longest_gap()).count();
    if (r > 0) {
      relief_ms.push_back(std::max(0.0, *relief));
      quiet_ms.push_back(std::max(0.0, *quiet));
      paused_ms.push_back(*paused);
      if (throttled) throttled_ms.push_back(*throttled);
      gap_ms.push_back(gap);
    }
    std::fprintf(stderr,
                 "%s round %d: /trigger answered %.0f ms, every cpu.max throttled %s ms, relief "
                 "%.0f ms, quiet %.0f ms, all paused %.0f ms, longest sampling gap %.0f ms\n",
                 label.c_str(), r, http_ms,
                 throttled ? std::to_string(static_cast<int>(*throttled)).c_str() : "-", *relief,
                 *quiet, *paused, gap);
    if (http(port, "POST", "/trigger", "{\"event\":\"media_stop\"}") != 200) return 1;
  }
  char relief_what[64];
  std::snprintf(relief_what, sizeof relief_what, ": CPU < %.0f %% of a core", relief_cores * 100);
  if (!throttled_ms.empty()) print_row(label + ": every cpu.max throttled (as read)", throttled_ms);
  print_row(label + relief_what, relief_ms);
  print_row(label + ": CPU < 1 % of a core", quiet_ms);
  print_row(label + ": all Paused in Docker", paused_ms);
  print_row(label + ": the bench's longest gap between samples", gap_ms);
  return 0;
}

// Writes `text` to every container's cpu.max; false when one write fails.
bool write_cpu_max(const std::vector<std::string>& dirs, const std::string& text) {
  bool ok = true;
  for (const auto& d : dirs) {
    int fd = ::open((d + "/cpu.max").c_str(), O_WRONLY | O_CLOEXEC);
    ok =
        fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ok;
    if (fd >= 0) ::close(fd);
  }
  return ok;
}

int bench_kernel(const std::string& label, int rounds, const std::vector<std::string>& dirs) {
  using namespace std::chrono_literals;
  const auto window = 100ms;
  const double relief_cores = 1.5 * 0.01 * static_cast<double>(dirs.size());
  std::vector<double> written_ms, relief_ms;
  CpuRate rate(dirs);
  for (int r = 0; r <= rounds; ++r) {
    auto deadline = Clock::now() + 60s;
    rate.reset();
    while (true) {
      auto busy = rate.sample(500ms);
      if (busy && *busy > 0.5) break;
      if (Clock::now() > deadline) {
        std::fprintf(stderr, "kernel round %d: containers not busy after 60 s\n", r);
        return 1;
      }
      std::this_thread::sleep_for(50ms);
    }
    rate.reset();
    auto t0 = Clock::now();
    if (!write_cpu_max(dirs, "1000 100000")) {
      std::fprintf(stderr, "kernel round %d: a cpu.max write failed\n", r);
      write_cpu_max(dirs, "max 100000");
      return 1;
    }
    const double written = Ms(Clock::now() - t0).count();
    std::optional<double> relief;
    deadline = t0 + 10s;
    while (!relief && Clock::now() < deadline) {
      auto cores = rate.sample(window);
      if (cores && *cores < relief_cores) relief = Ms(rate.window_start() - t0).count();
      std::this_thread::sleep_for(10ms);
    }
    write_cpu_max(dirs, "max 100000");
    if (!relief) {
      std::fprintf(stderr, "kernel round %d: no relief within 10 s\n", r);
      return 1;
    }
    if (r > 0) {
      written_ms.push_back(written);
      relief_ms.push_back(std::max(0.0, *relief));
    }
    std::fprintf(stderr,
                 "%s round %d: cpu.max written %.0f ms, relief %.0f ms, longest sampling gap "
                 "%.0f ms\n",
                 label.c_str(), r, written, *relief, Ms(rate.longest_gap()).count());
  }
  char relief_what[64];
  std::snprintf(relief_what, sizeof relief_what, ": CPU < %.0f %% of a core", relief_cores * 100);
  print_row(label + ": every cpu.max written (by the bench)", written_ms);
  print_row(label + relief_what, relief_ms);
  return 0;
}

int bench_idle(const std::string& label, pid_t pid, int seconds) {
  ProcSample a = sample(pid);
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  ProcSample b = sample(pid);
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::string roll = read_file("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::printf("| %s | %.1f MiB | %.1f MiB | %.1f MiB | %.1f MiB | %.3f %% | %.2f | %d |\n",
              label.c_str(), static_cast<double>(b.rss_kb) / 1024.0,
              static_cast<double>(smaps_kb(roll, "Pss")) / 1024.0,
              static_cast<double>(smaps_kb(roll, "Anonymous")) / 1024.0,
              static_cast<double>(smaps_kb(roll, "Private_Dirty")) / 1024.0,
              (b.cpu_seconds - a.cpu_seconds) / wall * 100,
              static_cast<double>(b.switches - a.switches) / wall, b.threads);
  return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "relief" && argc >= 7) {
    std::vector<std::string> dirs(argv + 6, argv + argc);
    return bench::bench_relief(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), argv[5], dirs);
  }
  if (mode == "kernel" && argc >= 5) {
    std::vector<std::string> dirs(argv + 4, argv + argc);
    return bench::bench_kernel(argv[2], std::atoi(argv[3]), dirs);
  }
  if (mode == "footprint" && argc == 5) {
    return bench::bench_idle(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  }
  std::fprintf(stderr,
               "usage: %s relief LABEL PORT ROUNDS DOCKER_SOCKET CGROUP_DIR...\n"
               "       %s kernel LABEL ROUNDS CGROUP_DIR...\n"
               "       %s footprint LABEL PID SECONDS\n",
               argv[0], argv[0], argv[0]);
  return 2;
}
