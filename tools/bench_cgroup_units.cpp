// bench_cgroup_units: measures the real adrg binary governing real cgroup v2 units
// (general.cgroup_units_root) on this machine's cgroup2 mount. Not a test: prints tables.
//
//   bench_cgroup_units ADRG pause     [UNITS=30] [RUNS=20]
//       POST /trigger media_start -> every tier-3 unit "frozen 1" in cgroup.events (inotify),
//       and media_stop -> every unit "frozen 0". p50/p95 over RUNS.
//   bench_cgroup_units ADRG reaction  [RUNS=20] [THRESHOLD=10] [STORM_DIR=/var/tmp] [STORM...]
//       A real I/O storm (fio randrw O_DIRECT, 4 jobs; or the STORM command line, killed with
//       its process group after the run) starts at t0. Two observers watch it:
//       adrg with its PSI trigger on /proc/pressure/io (reaction = its io rule's "io_max" action
//       on tier 3, read from its /events stream), and ADRG 1.1's method, a loop reading io
//       "some avg10" every 5 s (random phase) that freezes a tier-3 cgroup when avg10 > THRESHOLD
//       (reaction = "frozen 1"). Before each run io avg10 must be calm
//       (< min(1, THRESHOLD/4), waited for at most 60 s).
//   bench_cgroup_units ADRG footprint [UNITS=50] [SECONDS=60]
//       adrg idle with UNITS units: VmRSS, CPU % (utime+stime of all threads) and wake-ups/s
//       (voluntary + involuntary context switches of all threads) over SECONDS.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

std::string find_cgroup2() {
  for (const char* dir : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    std::string probe = std::string(dir) + "/adrg-bench-probe-" + std::to_string(::getpid());
    if (::mkdir(probe.c_str(), 0755) == 0) {
      bool ok = ::access((probe + "/cgroup.freeze").c_str(), W_OK) == 0;
      ::rmdir(probe.c_str());
      if (ok) return dir;
    }
  }
  return "";
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log = "/dev/null") {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Units: cgroup directories with a sleeping process each, removed again at scope end.
class Units {
 public:
  Units(const std::string& cgroup2, const std::string& tag) {
    root_ = cgroup2 + "/adrg-bench-" + tag + "-" + std::to_string(::getpid());
    ::mkdir(root_.c_str(), 0755);
  }
  ~Units() {
    for (const auto& d : dirs_) write_file(d + "/cgroup.freeze", "0");
    for (pid_t p : pids_) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
    for (const auto& d : dirs_) {
      for (int i = 0; i < 100 && ::rmdir(d.c_str()) != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    ::rmdir(root_.c_str());
  }
  std::string add(const std::string& name) {
    std::string dir = root_ + "/" + name;
    ::mkdir(dir.c_str(), 0755);
    pid_t pid = spawn({"/bin/sleep", "86400"});
    write_file(dir + "/cgroup.procs", std::to_string(pid));
    dirs_.push_back(dir);
    pids_.push_back(pid);
    return dir;
  }
  const std::string& root() const { return root_; }
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  std::string root_;
  std::vector<std::string> dirs_;
  std::vector<pid_t> pids_;
};

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

int connect_local(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One HTTP/1.1 request on a fresh connection; returns the status code (0 on failure).
int http(int port, const std::string& method, const std::string& path, const std::string& body) {
  int fd = connect_local(port);
  if (fd < 0) return 0;
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty()) {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  (void)::write(fd, req.data(), req.size());
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n < 12) return 0;
  buf[n] = 0;
  return std::atoi(buf + 9);
}

class Adrg {
 public:
  Adrg(const std::string& binary, const std::string& dir, const std::string& units_root,
       const std::string& extra_yaml)
      : dir_(dir), port_(free_port()) {
    std::string config = dir + "/config.yaml";
    std::ofstream(config) << "general:\n"
                          << "  log_file: \"\"\n"
                          << "  journal_file: " << dir << "/journal.json\n"
                          << "  docker_socket: \"\"\n"
                          << "  cgroup_units_root: " << units_root << "\n"
                          << "  thermal_root: " << dir << "/none\n"
                          << "  hwmon_root: " << dir << "/none\n"
                          << "  http_server: {enabled: true, host: 127.0.0.1, port: " << port_
                          << ", unix_socket: \"\"}\n"
                          << "tiers:\n"
                          << "  2: {name: Background, containers: [\"bg-*\"]}\n"
                          << "  3: {name: Bulk, containers: [\"bulk-*\"]}\n"
                          << "thermal: {enabled: false}\n"
                          << extra_yaml;
    pid_ = spawn({binary, "--config", config}, dir + "/adrg.log");
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline && http(port_, "GET", "/healthz", "") != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~Adrg() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  bool healthy() const { return http(port_, "GET", "/healthz", "") == 200; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

// inotify on cgroup.events of each unit: the kernel raises IN_MODIFY when "frozen" changes.
class FrozenWatch {
 public:
  explicit FrozenWatch(const std::vector<std::string>& dirs) : dirs_(dirs) {
    fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    for (const auto& d : dirs_) ::inotify_add_watch(fd_, (d + "/cgroup.events").c_str(), IN_MODIFY);
  }
  ~FrozenWatch() { ::close(fd_); }
  bool all(bool frozen) const {
    const char* want = frozen ? "frozen 1" : "frozen 0";
    for (const auto& d : dirs_) {
      if (read_file(d + "/cgroup.events").find(want) == std::string::npos) return false;
    }
    return true;
  }
  // Time at which every unit reached the state, or nullopt at the deadline.
  std::optional<Clock::time_point> wait_all(bool frozen, std::chrono::milliseconds deadline) {
    auto end = Clock::now() + deadline;
    while (true) {
      if (all(frozen)) return Clock::now();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100)));
      char buf[4096];
      while (::read(fd_, buf, sizeof buf) > 0) {
      }
    }
  }
  int fd() const { return fd_; }

 private:
  std::vector<std::string> dirs_;
  int fd_ = -1;
};

std::string make_temp_dir() {
  char tmpl[] = "/tmp/adrg-bench-XXXXXX";
  return ::mkdtemp(tmpl);
}

// BENCH_KEEP=1 keeps adrg's config and log for a look at where the time went.
void remove_temp_dir(const std::string& dir) {
  const char* keep = std::getenv("BENCH_KEEP");
  if (keep != nullptr && *keep == '1') {
    std::fprintf(stderr, "kept %s\n", dir.c_str());
    return;
  }
  std::string cmd = "rm -rf " + dir;
  (void)std::system(cmd.c_str());
}

// ------------------------------------------------------------------------------------ pause
int bench_pause(const std::string& adrg, const std::string& cg, int n, int runs) {
  Units units(cg, "pause");
  std::vector<std::string> bulk;
  for (int i = 0; i < n; ++i) bulk.push_back(units.add("bulk-" + std::to_string(i)));
  std::string dir = make_temp_dir();
  Adrg daemon(adrg, dir, units.root(),
              "media_mode: {enabled: true, provider: webhook, cooldown_seconds: 0}\n");
  if (!daemon.healthy()) {
    std::fprintf(stderr, "adrg not healthy; log in %s/adrg.log\n", dir.c_str());
    return 1;
  }
  FrozenWatch watch(bulk);
  std::vector<double> pause_ms, resume_ms;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    if (http(daemon.port(), "POST", "/trigger", "{\"event\":\"media_start\"}") != 200) return 1;
    auto t1 = watch.wait_all(true, std::chrono::seconds(20));
    if (!t1) return std::fprintf(stderr, "not all frozen after 20 s\n"), 1;
    pause_ms.push_back(Ms(*t1 - t0).count());
    auto t2 = Clock::now();
    if (http(daemon.port(), "POST", "/trigger", "{\"event\":\"media_stop\"}") != 200) return 1;
    auto t3 = watch.wait_all(false, std::chrono::seconds(20));
    if (!t3) return std::fprintf(stderr, "not all thawed after 20 s\n"), 1;
    resume_ms.push_back(Ms(*t3 - t2).count());
  }
  std::printf("| /trigger media_start -> %d units frozen 1 | %d | %8.1f | %8.1f | %8.1f |\n", n,
              runs, percentile(pause_ms, 50), percentile(pause_ms, 95),
              *std::max_element(pause_ms.begin(), pause_ms.end()));
  std::printf("| /trigger media_stop  -> %d units frozen 0 | %d | %8.1f | %8.1f | %8.1f |\n", n,
              runs, percentile(resume_ms, 50), percentile(resume_ms, 95),
              *std::max_element(resume_ms.begin(), resume_ms.end()));
  remove_temp_dir(dir);
  return 0;
}

// --------------------------------------------------------------------------------- reaction
double io_some_avg10() {
  std::string text = read_file("/proc/pressure/io");
  auto pos = text.find("some avg10=");
  return pos == std::string::npos ? 0 : std::atof(text.c_str() + pos + 11);
}

// storm_argv: the storm's command line; empty = fio randrw O_DIRECT 4 jobs in storm_dir.
int bench_reaction(const std::string& adrg, const std::string& cg, int runs, double threshold,
                   const std::string& storm_dir, std::vector<std::string> storm_argv) {
  Units units(cg, "reaction");
  std::string adrg_unit = units.add("bulk-adrg");
  // The baseline's unit lives outside adrg's units root: each method acts on its own unit.
  Units baseline_units(cg, "baseline");
  std::string base_unit = baseline_units.add("bulk-baseline");
  std::string dir = make_temp_dir();
  std::string fio_file = storm_dir + "/adrg-bench-storm.dat";
  if (storm_argv.empty()) {
    // Lay the file out once so each storm is pure I/O, not allocation.
    std::string layout = "fio --name=layout --filename=" + fio_file +
                         " --size=256M --rw=write --bs=1M --direct=1 --ioengine=psync "
                         "--output=/dev/null";
    if (std::system(layout.c_str()) != 0) return std::fprintf(stderr, "fio layout failed\n"), 1;
    storm_argv = {"/usr/bin/fio", "--name=storm",     "--filename=" + fio_file,
                  "--size=256M",  "--rw=randrw",      "--bs=4k",
                  "--direct=1",   "--ioengine=psync", "--numjobs=4",
                  "--runtime=25", "--time_based",     "--output=/dev/null"};
  }

  std::mt19937 rng(std::random_device{}());
  std::vector<double> adrg_ms, base_ms;
  int adrg_missed = 0, base_missed = 0;
  for (int r = 0; r < runs; ++r) {
    // Calm machine first, or avg10 would carry the last storm into this one (bounded: on a
    // busy host the background never reaches zero).
    auto calm_deadline = Clock::now() + std::chrono::seconds(60);
    while (io_some_avg10() >= std::min(1.0, threshold / 4) && Clock::now() < calm_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    write_file(base_unit + "/cgroup.freeze", "0");
    Adrg daemon(adrg, dir, units.root(),
                "io_pressure:\n"
                "  enabled: true\n"
                "  trigger_avg10_threshold: " +
                    std::to_string(threshold) +
                    "\n"
                    "  recovery_avg10_threshold: 1\n"
                    "  trigger: {enabled: true, type: some, stall_ms: 150, window_ms: 1000}\n"
                    "memory_pressure: {enabled: false}\n");
    if (!daemon.healthy()) return std::fprintf(stderr, "adrg not healthy (%s)\n", dir.c_str()), 1;
    // /events: adrg publishes {"type":"action","action":"io_max",...} when its io rule acts.
    int sse = connect_local(daemon.port());
    std::string get =
        "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    (void)::write(sse, get.data(), get.size());
    FrozenWatch base_watch({base_unit});

    auto t0 = Clock::now();
    pid_t storm = spawn(storm_argv);
    // ADRG's loop: its 5 s phase relative to the storm is random.
    auto next_poll = t0 + std::chrono::milliseconds(rng() % 5000);
    std::optional<double> adrg_t, base_t;
    bool base_freezing = false;
    std::string stream;
    auto end = t0 + std::chrono::seconds(25);
    while ((!adrg_t || !base_t) && Clock::now() < end) {
      auto now = Clock::now();
      if (!base_freezing && now >= next_poll) {
        if (io_some_avg10() > threshold) {
          write_file(base_unit + "/cgroup.freeze", "1");
          base_freezing = true;
        }
        next_poll += std::chrono::seconds(5);
      }
      if (base_freezing && !base_t && base_watch.all(true)) base_t = Ms(Clock::now() - t0).count();
      pollfd p[2] = {{sse, POLLIN, 0}, {base_watch.fd(), POLLIN, 0}};
      auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - now).count();
      ::poll(p, 2, static_cast<int>(std::clamp<long>(wait_ms, 1, 50)));
      if (p[1].revents & POLLIN) {
        char b[4096];
        while (::read(base_watch.fd(), b, sizeof b) > 0) {
        }
      }
      if (p[0].revents & POLLIN) {
        char b[8192];
        ssize_t n = ::read(sse, b, sizeof b);
        if (n > 0) stream.append(b, static_cast<size_t>(n));
        if (!adrg_t && stream.find("\"action\":\"io_max\"") != std::string::npos) {
          adrg_t = Ms(Clock::now() - t0).count();
        }
      }
    }
    ::kill(-storm, SIGKILL);
    ::waitpid(storm, nullptr, 0);
    ::close(sse);
    if (adrg_t) {
      adrg_ms.push_back(*adrg_t);
    } else {
      ++adrg_missed;
    }
    if (base_t) {
      base_ms.push_back(*base_t);
    } else {
      ++base_missed;
    }
    std::fprintf(stderr, "run %2d: adrg %8.1f ms  baseline %8.1f ms\n", r + 1, adrg_t.value_or(-1),
                 base_t.value_or(-1));
  }
  write_file(base_unit + "/cgroup.freeze", "0");
  ::unlink(fio_file.c_str());
  auto line = [&](const char* what, const std::vector<double>& v, int missed) {
    std::printf("| %-58s | %3zu | %5d | %9.1f | %9.1f | %9.1f |\n", what, v.size(), missed,
                percentile(v, 50), percentile(v, 95),
                v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
  };
  std::printf("| %-58s | %3s | %5s | %9s | %9s | %9s |\n", "I/O storm ->", "n", "miss", "p50 ms",
              "p95 ms", "max ms");
  std::printf(
      "|------------------------------------------------------------|-----|-------|"
      "-----------|-----------|-----------|\n");
  line("adrg PSI trigger -> io rule acts on tier 3 (io_max action)", adrg_ms, adrg_missed);
  line("ADRG 5 s avg10 poll -> tier 3 frozen 1", base_ms, base_missed);
  double a = percentile(adrg_ms, 95), b = percentile(base_ms, 95);
  if (a > 0)
    std::printf("p95 ratio baseline/adrg: %.1fx; p50 ratio: %.1fx\n", b / a,
                percentile(base_ms, 50) / std::max(percentile(adrg_ms, 50), 0.001));
  remove_temp_dir(dir);
  return 0;
}

// -------------------------------------------------------------------------------- footprint
struct ProcSample {
  double cpu_seconds = 0;
  long long switches = 0;
  long rss_kb = 0;
  long rss_anon_kb = 0;  // heap, stacks: adrg's own memory
  long rss_file_kb = 0;  // mapped binary and shared libraries (shared with other processes)
  int threads = 0;
};

ProcSample sample(pid_t pid) {
  ProcSample s;
  std::string base = "/proc/" + std::to_string(pid);
  std::string status = read_file(base + "/status");
  auto pos = status.find("VmRSS:");
  if (pos != std::string::npos) s.rss_kb = std::atol(status.c_str() + pos + 6);
  pos = status.find("RssAnon:");
  if (pos != std::string::npos) s.rss_anon_kb = std::atol(status.c_str() + pos + 8);
  pos = status.find("RssFile:");
  if (pos != std::string::npos) s.rss_file_kb = std::atol(status.c_str() + pos + 8);
  long ticks = ::sysconf(_SC_CLK_TCK);
  DIR* d = ::opendir((base + "/task").c_str());
  while (d != nullptr) {
    dirent* e = ::readdir(d);
    if (e == nullptr) break;
    if (e->d_name[0] == '.') continue;
    std::string task = base + "/task/" + e->d_name;
    std::string stat = read_file(task + "/stat");
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream in(stat.substr(close_paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    s.cpu_seconds += static_cast<double>(utime + stime) / static_cast<double>(ticks);
    std::string ts = read_file(task + "/status");
    for (const char* key : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"}) {
      auto p = ts.find(std::string("\n") + key);
      if (p != std::string::npos) s.switches += std::atoll(ts.c_str() + p + 1 + std::strlen(key));
    }
    ++s.threads;
  }
  if (d != nullptr) ::closedir(d);
  return s;
}

int bench_footprint(const std::string& adrg, const std::string& cg, int n, int seconds) {
  Units units(cg, "footprint");
  for (int i = 0; i < n; ++i) {
    units.add(std::string(i % 2 == 0 ? "bg-" : "bulk-") + std::to_string(i));
  }
  std::string dir = make_temp_dir();
  Adrg daemon(adrg, dir, units.root(),
              "media_mode: {enabled: true, provider: webhook, cooldown_seconds: 0}\n");
  if (!daemon.healthy()) return std::fprintf(stderr, "adrg not healthy (%s)\n", dir.c_str()), 1;
  // Let start-up (baselines, first evaluation) settle before measuring idle.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  ProcSample a = sample(daemon.pid());
  auto t0 = Clock::now();
  long max_rss = a.rss_kb;
  for (int i = 0; i < seconds; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    max_rss = std::max(max_rss, sample(daemon.pid()).rss_kb);
  }
  ProcSample b = sample(daemon.pid());
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "| idle adrg, %d cgroup units, %d s | VmRSS %.1f MiB (max %.1f; anon %.1f, file %.1f) | "
      "CPU %.3f %% | %.2f wakeups/s | %d threads |\n",
      n, seconds, static_cast<double>(b.rss_kb) / 1024.0, static_cast<double>(max_rss) / 1024.0,
      static_cast<double>(b.rss_anon_kb) / 1024.0, static_cast<double>(b.rss_file_kb) / 1024.0,
      (b.cpu_seconds - a.cpu_seconds) / wall * 100,
      static_cast<double>(b.switches - a.switches) / wall, b.threads);
  remove_temp_dir(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s ADRG pause [UNITS RUNS] | reaction [RUNS THRESHOLD STORM_DIR] | "
                 "footprint [UNITS SECONDS]\n",
                 argv[0]);
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  std::string adrg = argv[1], mode = argv[2];
  auto arg = [&](int i, const char* def) { return std::string(argc > i ? argv[i] : def); };
  std::string cg = find_cgroup2();
  if (cg.empty()) return std::fprintf(stderr, "no writable cgroup2 with cgroup.freeze\n"), 77;
  if (mode == "pause")
    return bench_pause(adrg, cg, std::stoi(arg(3, "30")), std::stoi(arg(4, "20")));
  if (mode == "reaction") {
    std::vector<std::string> storm(argv + std::min(argc, 6), argv + argc);
    return bench_reaction(adrg, cg, std::stoi(arg(3, "20")), std::stod(arg(4, "10")),
                          arg(5, "/var/tmp"), storm);
  }
  if (mode == "footprint") {
    return bench_footprint(adrg, cg, std::stoi(arg(3, "50")), std::stoi(arg(4, "60")));
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
