#include "core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace adrg {

namespace {

// "%*" in a pattern: the sd-daemon priority prefix, see sd-daemon(3).
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char buf[8];
    int n = std::snprintf(buf, sizeof buf, "<%d>", syslog_priority_for(msg.level));
    dest.append(buf, buf + n);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

}  // namespace

bool stderr_is_journal() {
  // JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; compare with fd 2 so a
  // child whose stderr was redirected elsewhere does not mistake itself for a journal writer.
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

int syslog_priority_for(int spdlog_level) {
  switch (spdlog_level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

std::string setup_logging(const LogOptions& options) {
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<PriorityFlag>('*');
  formatter->set_pattern(stderr_is_journal() ? "%*%v" : "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  console->set_formatter(std::move(formatter));
  sinks.push_back(console);

  std::string problem;
  if (!options.file.empty()) {
    try {
      auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          options.file, static_cast<std::size_t>(options.file_max_bytes),
          static_cast<std::size_t>(options.file_backups));
      file->set_pattern("%Y-%m-%d %H:%M:%S.%e %-5l %v");
      sinks.push_back(file);
    } catch (const spdlog::spdlog_ex& e) {
      problem = "log file " + options.file + " not used: " + e.what();
    }
  }
  auto logger = std::make_shared<spdlog::logger>("adrg", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(options.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return problem;
}

}  // namespace adrg
