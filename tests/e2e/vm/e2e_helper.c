// e2e-helper: the few things the VM guest needs that busybox cannot do, built with
// `gcc -static` by build-image.sh so it runs in the bare initramfs.
//   exit CODE                 QEMU exit status (CODE << 1) | 1 through isa-debug-exit (port 0xf4);
//                             busybox has no outb.
//   spin                      burn one CPU forever (a tier-2/3 busy workload).
//   hold MIB                  touch MIB of anonymous memory once, then sleep forever.
//   hog MIB                   touch MIB of anonymous memory in a loop forever: under a small
//                             memory.high the kernel throttles it (memory PSI stall).
//   dio read|write DEV SECONDS BLOCK_KIB
//                             sequential O_DIRECT I/O on DEV for SECONDS; prints
//                             "bytes=N seconds=S mib_per_s=R" (page cache bypassed, so io.max
//                             sees every byte).
//   cpu-share CGROUP SECONDS  the cgroup's CPU use over SECONDS as a percentage of the whole
//                             machine (usage_usec delta / (wall * online CPUs)), from cpu.stat.
//   forks N                   fork N children that sleep forever; prints "forked F refused R
//                             (errno E)" (pids.max refuses forks with EAGAIN) and then sleeps
//                             forever itself, so its cgroup can be looked at.
//   wait-frozen CGROUP VALUE TIMEOUT_MS
//                             wait until cgroup.events says "frozen VALUE"; exit 0 when it does,
//                             1 on timeout (a condition with a deadline, not a sleep).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int debug_exit(int code) {
  if (ioperm(0xf4, 4, 1) != 0) {
    perror("ioperm 0xf4");
    return 2;
  }
  outl((unsigned)code, 0xf4);
  // Only reached when the device is missing.
  fprintf(stderr, "isa-debug-exit did not stop the machine\n");
  return 2;
}

static char* touch_memory(size_t bytes) {
  char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  return p;
}

static int hog(size_t mib, int forever) {
  size_t bytes = mib << 20;
  char* p = touch_memory(bytes);
  long page = sysconf(_SC_PAGESIZE);
  unsigned char round = 0;
  do {
    for (size_t off = 0; off < bytes; off += (size_t)page) p[off] = (char)round;
    ++round;
  } while (forever);
  for (;;) pause();
  return 0;
}

static int dio(const char* mode, const char* dev, double seconds, size_t block_kib) {
  int writing = strcmp(mode, "write") == 0;
  int fd = open(dev, (writing ? O_WRONLY : O_RDONLY) | O_DIRECT);
  if (fd < 0) {
    perror(dev);
    return 1;
  }
  off_t size = lseek(fd, 0, SEEK_END);
  size_t block = block_kib << 10;
  void* buf = NULL;
  if (size <= 0 || posix_memalign(&buf, 4096, block) != 0) {
    fprintf(stderr, "bad device size or no memory\n");
    return 1;
  }
  memset(buf, 0x5a, block);
  uint64_t total = 0;
  off_t off = 0;
  double start = now_seconds();
  double end = start + seconds;
  double t = start;
  while (t < end) {
    if (off + (off_t)block > size) off = 0;
    ssize_t n = writing ? pwrite(fd, buf, block, off) : pread(fd, buf, block, off);
    if (n <= 0) {
      perror("direct io");
      return 1;
    }
    total += (uint64_t)n;
    off += n;
    t = now_seconds();
  }
  double elapsed = t - start;
  printf("bytes=%" PRIu64 " seconds=%.3f mib_per_s=%.3f\n", total, elapsed,
         (double)total / elapsed / 1048576.0);
  close(fd);
  return 0;
}

static int read_usage_usec(const char* cgroup, uint64_t* usage) {
  char path[512];
  snprintf(path, sizeof path, "%s/cpu.stat", cgroup);
  FILE* f = fopen(path, "r");
  if (!f) {
    perror(path);
    return -1;
  }
  char key[64];
  unsigned long long value;
  int found = -1;
  while (fscanf(f, "%63s %llu", key, &value) == 2) {
    if (strcmp(key, "usage_usec") == 0) {
      *usage = value;
      found = 0;
      break;
    }
  }
  fclose(f);
  return found;
}

static int cpu_share(const char* cgroup, double seconds) {
  uint64_t a = 0, b = 0;
  if (read_usage_usec(cgroup, &a) != 0) return 1;
  double t0 = now_seconds();
  struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
  nanosleep(&ts, NULL);
  if (read_usage_usec(cgroup, &b) != 0) return 1;
  double wall = now_seconds() - t0;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  printf("%.2f\n", (double)(b - a) / 1e6 / (wall * (double)cpus) * 100.0);
  return 0;
}

static int wait_frozen(const char* cgroup, const char* value, double timeout_ms) {
  char path[512], want[32], buf[512];
  snprintf(path, sizeof path, "%s/cgroup.events", cgroup);
  snprintf(want, sizeof want, "frozen %s", value);
  double deadline = now_seconds() + timeout_ms / 1000.0;
  for (;;) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
      ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (n > 0) {
        buf[n] = 0;
        if (strstr(buf, want)) return 0;
      }
    }
    if (now_seconds() > deadline) return 1;
    usleep(10000);
  }
}

static _Noreturn void forks(int n) {
  int forked = 0, refused = 0, last_errno = 0;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      for (;;) pause();
    }
    if (pid > 0) {
      ++forked;
    } else {
      ++refused;
      last_errno = errno;
    }
  }
  printf("forked %d refused %d (errno %s)\n", forked, refused,
         last_errno ? strerrorname_np(last_errno) : "none");
  fflush(stdout);
  for (;;) pause();
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "exit") == 0) return debug_exit(atoi(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "spin") == 0) {
    for (volatile uint64_t i = 0;; ++i) {
    }
  }
  if (argc >= 3 && strcmp(argv[1], "hold") == 0) return hog(strtoul(argv[2], NULL, 10), 0);
  if (argc >= 3 && strcmp(argv[1], "hog") == 0) return hog(strtoul(argv[2], NULL, 10), 1);
  if (argc >= 6 && strcmp(argv[1], "dio") == 0) {
    return dio(argv[2], argv[3], atof(argv[4]), strtoul(argv[5], NULL, 10));
  }
  if (argc >= 4 && strcmp(argv[1], "cpu-share") == 0) return cpu_share(argv[2], atof(argv[3]));
  if (argc >= 3 && strcmp(argv[1], "forks") == 0) forks(atoi(argv[2]));
  if (argc >= 5 && strcmp(argv[1], "wait-frozen") == 0) {
    return wait_frozen(argv[2], argv[3], atof(argv[4]));
  }
  fprintf(stderr, "usage: e2e-helper exit|spin|hold|hog|dio|cpu-share|forks|wait-frozen ...\n");
  return 2;
}
