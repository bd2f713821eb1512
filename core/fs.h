// Small filesystem helpers with one error convention. Every caller passes full paths built from
// an injected root (cgroup root, /proc, /sys/class/thermal), never a hard-coded one.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace adrg {

// Owns an fd (negative: none) and closes it at scope end.
class FdCloser {
 public:
  FdCloser() = default;
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser();
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);  // closes the one it had

 private:
  int fd_ = -1;
};

// Whole file as text (cgroup and proc files are small; this is not for large files).
Result<std::string> read_text_file(const std::string& path);
// open(O_WRONLY|O_TRUNC without O_CREAT) + one write(): how cgroup and proc files want it.
Status write_kernel_file(const std::string& path, std::string_view content);
// Durable replace: write path.tmp, fsync it, rename over path, fsync the directory. A crash at
// any point leaves either the old or the new content, never a torn file.
Status write_file_atomic(const std::string& path, std::string_view content, int mode = 0600);
// The same replace without the fsyncs: still never torn for readers or after adrg itself
// crashes (the page cache outlives the process), but a kernel crash or power loss may keep the
// old content or lose the file. For state that dies with the kernel anyway.
Status replace_file(const std::string& path, std::string_view content, int mode = 0600);
// mkdir -p.
Status make_directories(const std::string& path, int mode = 0755);
// "a/b/" + "c" without doubling or dropping the slash.
std::string join_path(std::string_view base, std::string_view leaf);
std::string trim(std::string_view text);
// The same without a copy, trimming every std::isspace character (\v and \f too).
std::string_view trim_view(std::string_view text);

}  // namespace adrg
