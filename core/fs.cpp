#include "core/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

namespace adrg {

FdCloser::~FdCloser() { reset(); }

void FdCloser::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

Status write_all(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("write " + path);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string parent_dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<std::string> read_text_file(const std::string& path) {
  FdCloser fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::from_errno("open " + path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status write_kernel_file(const std::string& path, std::string_view content) {
  FdCloser fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC));
  if (fd.get() < 0) return Error::from_errno("open " + path);
  // Kernel attribute files take the value in one write; a short write is an error there.
  ssize_t n;
  do {
    n = ::write(fd.get(), content.data(), content.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno("write " + path);
  if (static_cast<size_t>(n) != content.size()) {
    return Error{std::make_error_code(std::errc::io_error), "short write to " + path};
  }
  return {};
}

namespace {
Status replace_via_temp(const std::string& path, std::string_view content, int mode, bool sync) {
  std::string tmp = path + ".tmp";
  FdCloser fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (fd.get() < 0) return Error::from_errno("open " + tmp);
  if (auto st = write_all(fd.get(), content, tmp); !st) return st;
  if (sync && ::fsync(fd.get()) != 0) return Error::from_errno("fsync " + tmp);
  if (::close(fd.release()) != 0) return Error::from_errno("close " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::from_errno("rename " + tmp);
  if (sync) {
    FdCloser dir(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) ::fsync(dir.get());  // best effort: the rename itself is already atomic
  }
  return {};
}
}  // namespace

Status write_file_atomic(const std::string& path, std::string_view content, int mode) {
  return replace_via_temp(path, content, mode, /*sync=*/true);
}

Status replace_file(const std::string& path, std::string_view content, int mode) {
  return replace_via_temp(path, content, mode, /*sync=*/false);
}

Status make_directories(const std::string& path, int mode) {
  if (path.empty()) return {};
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      return Error::from_errno("mkdir " + partial);
    }
  }
  return {};
}

std::string join_path(std::string_view base, std::string_view leaf) {
  std::string out(base);
  while (!out.empty() && out.back() == '/' && out.size() > 1) out.pop_back();
  while (!leaf.empty() && leaf.front() == '/') leaf.remove_prefix(1);
  if (out.empty()) return std::string(leaf);
  if (out.back() != '/') out += '/';
  out += leaf;
  return out;
}

std::string trim(std::string_view text) {
  const char* ws = " \t\r\n";
  auto begin = text.find_first_not_of(ws);
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(ws);
  return std::string(text.substr(begin, end - begin + 1));
}

std::string_view trim_view(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

}  // namespace adrg
