#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace adrg::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "adrg-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(std::string_view relative, std::string_view content) const {
  auto full = std::filesystem::path(path_) / relative;
  std::filesystem::create_directories(full.parent_path());
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out << content;
  return full.string();
}

std::string TempDir::read(std::string_view relative) const {
  std::ifstream in(std::filesystem::path(path_) / relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempDir::mkdir(std::string_view relative) const {
  auto full = std::filesystem::path(path_) / relative;
  std::filesystem::create_directories(full);
  return full.string();
}

}  // namespace adrg::testing
