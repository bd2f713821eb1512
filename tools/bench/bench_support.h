// Shared by the benchmark tools (bench_cgroup_units, bench_reaction): real cgroup v2 units
// with a sleeping process each, the real adrg binary started on a generated config, a tiny
// HTTP/1.1 client, and an inotify watch on cgroup.events. Header-only so the VM benchmark can
// build each tool statically from one source file (g++ -static -I<repo>).
#pragma once

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

namespace bench {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "Key:   123 kB" from /proc/PID/status or smaps_rollup text (0 when absent).
inline long smaps_kb(const std::string& text, const std::string& key) {
  auto pos = text.find("\n" + key + ":");
  if (pos == std::string::npos && text.rfind(key + ":", 0) == 0) pos = 0;
  if (pos == std::string::npos) return 0;
  return std::atol(text.c_str() + pos + key.size() + (pos == 0 ? 1 : 2));
}

inline bool write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

inline std::string find_cgroup2() {
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

inline pid_t spawn(const std::vector<std::string>& argv, const std::string& log = "/dev/null") {
  // Built before fork(): a malloc in the child may wait on a lock another thread held.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
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
  // Lets the units have e.g. io.max (pure cgroup v2; fails harmlessly where the controller is
  // not in the parent's subtree_control, as on a hybrid host).
  bool enable_controllers(const std::string& controllers) {
    return write_file(root_ + "/cgroup.subtree_control", controllers);
  }
  const std::string& root() const { return root_; }
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  std::string root_;
  std::vector<std::string> dirs_;
  std::vector<pid_t> pids_;
};

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  return bound ? ntohs(a.sin_port) : 0;
}

// A bench must report a peer that stopped answering, not hang on it: every read, write and (on
// a unix socket, whose connect waits on the send timeout when the backlog is full) connect
// gives up after this long (the caller sees an empty answer).
inline void bound_reads(int fd, int seconds = 15) {
  timeval tv{};
  tv.tv_sec = seconds;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

inline int connect_local(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bound_reads(fd);
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
inline int http(int port, const std::string& method, const std::string& path,
                const std::string& body) {
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
    std::vector<std::string> argv = {binary, "--config", config};
    // BENCH_LOG_LEVEL=debug: adrg's log (kept with BENCH_KEEP=1) shows each evaluation's cause.
    if (const char* level = std::getenv("BENCH_LOG_LEVEL"); level != nullptr && *level != 0) {
      argv.insert(argv.end(), {"--log-level", level});
    }
    pid_ = spawn(argv, dir + "/adrg.log");
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

inline std::string make_temp_dir() {
  char tmpl[] = "/tmp/adrg-bench-XXXXXX";
  return ::mkdtemp(tmpl);
}

// BENCH_KEEP=1 keeps adrg's config and log for a look at where the time went.
inline void remove_temp_dir(const std::string& dir) {
  const char* keep = std::getenv("BENCH_KEEP");
  if (keep != nullptr && *keep == '1') {
    std::fprintf(stderr, "kept %s\n", dir.c_str());
    return;
  }
  std::string cmd = "rm -rf " + dir;
  (void)std::system(cmd.c_str());
}

}  // namespace bench
