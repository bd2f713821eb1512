// Logging through spdlog. Under systemd (stderr is the journal, detected from JOURNAL_STREAM)
// every line gets an sd-daemon priority prefix ("<3>" error ... "<7>" debug) and no timestamp,
// so journalctl shows the right priority; on a terminal lines carry time and level instead.
#pragma once

#include <cstdint>
#include <string>

namespace adrg {

struct LogOptions {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  std::string file;            // ADRG's general.log_file; empty = no file
  std::int64_t file_max_bytes = 10485760;
  int file_backups = 3;
};

// True when fd 2 is the journal stream systemd set up for this service.
bool stderr_is_journal();
// sd-daemon prefix for an spdlog level number (spdlog::level::level_enum as int).
int syslog_priority_for(int spdlog_level);
// Installs the default logger. Returns a sentence describing a problem with the file sink (the
// logger still works on stderr), or empty.
std::string setup_logging(const LogOptions& options);

}  // namespace adrg
