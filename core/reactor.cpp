// Backend selection. io_uring is preferred, but it is often unavailable on a home server:
// Docker's default seccomp profile blocks io_uring_setup (EPERM), kernels may be built without
// it (ENOSYS), and since 6.6 /proc/sys/kernel/io_uring_disabled can forbid it (1: only
// CAP_SYS_ADMIN or io_uring_group members, 2: nobody; Documentation/admin-guide/sysctl/kernel.rst).
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

#include "core/fs.h"
#include "core/reactor_base.h"

namespace adrg {

std::string_view to_string(ReactorBackend backend) {
  switch (backend) {
    case ReactorBackend::kIoUring:
      return "io_uring";
    case ReactorBackend::kEpoll:
      return "epoll";
  }
  return "unknown";
}

namespace {

// Why io_uring is administratively disabled, or empty when the sysctl allows us.
std::string io_uring_sysctl_veto() {
  auto text = read_text_file("/proc/sys/kernel/io_uring_disabled");
  if (!text) return {};  // older kernels have no such knob
  std::string value = trim(*text);
  if (value == "2") return "kernel.io_uring_disabled=2 forbids io_uring for every process";
  // With 1, root (CAP_SYS_ADMIN) and io_uring_group members may still use it: the real
  // io_uring_queue_init below decides.
  return {};
}

ReactorChoice choice_from_env(ReactorChoice choice) {
  if (choice != ReactorChoice::kAuto) return choice;
  const char* env = std::getenv("ADRG_REACTOR");
  if (env == nullptr || *env == '\0') return choice;
  std::string_view value(env);
  if (value == "epoll") return ReactorChoice::kEpoll;
  if (value == "io_uring" || value == "uring") return ReactorChoice::kIoUring;
  if (value != "auto") spdlog::warn("ADRG_REACTOR={} is not epoll|io_uring|auto; probing", value);
  return choice;
}

}  // namespace

Result<std::unique_ptr<Reactor>> Reactor::create(ReactorChoice choice) {
  switch (choice_from_env(choice)) {
    case ReactorChoice::kEpoll:
      return make_epoll_reactor();
    case ReactorChoice::kIoUring:
      return make_uring_reactor();  // forced: no silent fallback
    case ReactorChoice::kAuto:
      break;
  }
  if (std::string veto = io_uring_sysctl_veto(); !veto.empty()) {
    spdlog::info("reactor: {}; using epoll", veto);
    return make_epoll_reactor();
  }
  auto uring = make_uring_reactor();
  if (uring) return uring;
  spdlog::info("reactor: io_uring unavailable ({}); using epoll", uring.error().describe());
  return make_epoll_reactor();
}

}  // namespace adrg
