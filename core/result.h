// One error convention for the whole code base: Result<T> carries a value or a std::error_code
// plus a human sentence. Exceptions are used only at start-up, in config loading and at
// third-party edges.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace adrg {

struct Error {
  std::error_code code;
  std::string message;  // says what was attempted, e.g. "write /sys/fs/cgroup/x/cpu.max"

  static Error from_errno(std::string what, int err = errno) {
    return Error{std::error_code(err, std::system_category()), std::move(what)};
  }
  std::string describe() const { return code ? message + ": " + code.message() : message; }
};

// strerror(3)'s text without its shared buffer: the blocking executor and curl's threads
// describe errors too. (libstdc++ formats through strerror_r.)
inline std::string errno_text(int err) { return std::system_category().message(err); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : data_(std::move(error)) {}  // NOLINT

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(data_); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace adrg
