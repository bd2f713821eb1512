// bench_playback: the "player" of the playback-protection benchmark, modelled on a
// latency-sensitive service such as resctl-demo's rd-hashd: it streams a media file at a fixed
// bitrate and records, for every chunk, how late it was against its deadline. Not a test.
//
//   bench_playback play FILE SECONDS [MBIT=40] [CHUNK_KIB=1024] [CPU_MS=20]
//       Reads FILE with O_DIRECT (the page cache would hide the disk), chunk after chunk,
//       wrapping at its end. Chunk i is due at start + (i + 1) * interval, where interval is
//       the chunk's play time at MBIT; it is read no earlier than start + i * interval (a player
//       fills its buffer ahead by one chunk), then costs CPU_MS of this thread's own CPU time
//       (the decode), measured with CLOCK_THREAD_CPUTIME_ID so CPU contention shows as
//       lateness. The deadlines never move: after a stall the player catches up, as a buffered
//       client does. Prints "DUE_MS LATE_MS CLOCK_MS" per chunk (DUE_MS since the start,
//       CLOCK_MS the deadline on CLOCK_MONOTONIC, the clock of `journalctl -o short-monotonic`,
//       to line late chunks up with what the governor did) and flushes each line, so a killed
//       player still leaves its record.
//
//   bench_playback summary FILE FROM_S TO_S
//       Over the chunks due in [FROM_S, TO_S): "chunks N misses M p50 X p99 Y max Z" (ms of
//       lateness; a miss is a chunk late by more than 1 ms).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"

namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

void burn_cpu(double ms) {
  const double until = thread_cpu_ms() + ms;
  volatile unsigned long sink = 0;
  while (thread_cpu_ms() < until) {
    for (int i = 0; i < 1000; ++i) sink = sink + static_cast<unsigned long>(i);
  }
}

int play(const char* path, double seconds, double mbit, size_t chunk_kib, double cpu_ms) {
  const size_t chunk = chunk_kib * 1024;
  int fd = ::open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "bench_playback: open %s: %s\n", path, adrg::errno_text(errno).c_str());
    return 1;
  }
  void* raw = nullptr;
  if (::posix_memalign(&raw, 4096, chunk) != 0) return 1;
  char* buf = static_cast<char*>(raw);
  const auto interval =
      std::chrono::duration<double>(static_cast<double>(chunk) * 8.0 / (mbit * 1e6));
  const auto start = Clock::now();
  off_t offset = 0;
  for (long i = 0;; ++i) {
    const auto release = start + std::chrono::duration_cast<Clock::duration>(interval * i);
    const auto due = start + std::chrono::duration_cast<Clock::duration>(interval * (i + 1));
    if (std::chrono::duration<double>(due - start).count() > seconds) break;
    std::this_thread::sleep_until(release);
    ssize_t n = ::pread(fd, buf, chunk, offset);
    if (n == 0) {  // end of file: the stream loops
      offset = 0;
      n = ::pread(fd, buf, chunk, offset);
    }
    if (n < 0) {
      std::fprintf(stderr, "bench_playback: read: %s\n", adrg::errno_text(errno).c_str());
      return 1;
    }
    offset += n;
    burn_cpu(cpu_ms);
    const auto done = Clock::now();
    const double due_ms = std::chrono::duration<double, std::milli>(due - start).count();
    const double late_ms =
        std::max(0.0, std::chrono::duration<double, std::milli>(done - due).count());
    const double clock_ms =
        std::chrono::duration<double, std::milli>(due.time_since_epoch()).count();
    std::printf("%.1f %.1f %.1f\n", due_ms, late_ms, clock_ms);
    std::fflush(stdout);
  }
  std::free(raw);
  ::close(fd);
  return 0;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

int summary(const char* path, double from_s, double to_s) {
  FILE* in = std::fopen(path, "r");
  if (in == nullptr) {
    std::fprintf(stderr, "bench_playback: %s: %s\n", path, adrg::errno_text(errno).c_str());
    return 1;
  }
  std::vector<double> late;
  char line[256];
  while (std::fgets(line, sizeof line, in) != nullptr) {
    double due = 0;
    double ms = 0;
    if (std::sscanf(line, "%lf %lf", &due, &ms) != 2) continue;
    if (due >= from_s * 1e3 && due < to_s * 1e3) late.push_back(ms);
  }
  std::fclose(in);
  long misses = std::count_if(late.begin(), late.end(), [](double x) { return x > 1.0; });
  std::printf("chunks %zu misses %ld p50 %.1f p99 %.1f max %.1f\n", late.size(), misses,
              percentile(late, 50), percentile(late, 99),
              late.empty() ? 0.0 : *std::max_element(late.begin(), late.end()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "play" && argc >= 4) {
    return play(argv[2], std::atof(argv[3]), argc > 4 ? std::atof(argv[4]) : 40.0,
                argc > 5 ? std::strtoul(argv[5], nullptr, 10) : 1024,
                argc > 6 ? std::atof(argv[6]) : 20.0);
  }
  if (mode == "summary" && argc == 5) {
    return summary(argv[2], std::atof(argv[3]), std::atof(argv[4]));
  }
  std::fprintf(stderr,
               "usage: bench_playback play FILE SECONDS [MBIT] [CHUNK_KIB] [CPU_MS]\n"
               "       bench_playback summary FILE FROM_S TO_S\n");
  return 2;
}
