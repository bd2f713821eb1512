// A temporary directory removed with its contents at scope end, plus a helper to lay out fake
// kernel trees (cgroup, /proc/pressure, /sys/class/thermal) in it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace adrg::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Creates parent directories as needed; returns the full path.
  std::string write(std::string_view relative, std::string_view content) const;
  std::string read(std::string_view relative) const;
  std::string mkdir(std::string_view relative) const;

 private:
  std::string path_;
};

}  // namespace adrg::testing
