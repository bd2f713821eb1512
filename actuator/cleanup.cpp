#include "actuator/cleanup.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace adrg {

Status cleanup_from_journal(const ActuatorOptions& options,
                            const UnpauseContainerFn& unpause_container) {
  Journal journal(options.journal_path, !options.dry_run, read_boot_id(options.proc_root));
  if (auto st = journal.load(); !st) {
    spdlog::error("cleanup: {}", st.error().describe());
    return st;
  }
  if (journal.data().empty()) {
    spdlog::info("cleanup: journal {} holds nothing to undo", options.journal_path);
    return {};
  }
  Status result = restore_journaled_overrides(journal, options.dry_run);
  std::vector<JournalPause> paused;
  for (const auto& [key, pause] : journal.data().pauses) {
    if (pause.via == PauseVia::kPauser) paused.push_back(pause);
  }
  int unpause_failures = 0;
  for (const auto& pause : paused) {
    const std::string who = pause.name.empty() ? pause.unit_id : pause.name;
    if (options.dry_run) {
      spdlog::info("dry-run: would unpause container {} through Docker", who);
      continue;
    }
    Status st = unpause_container
                    ? unpause_container(pause)
                    : Status(Error{std::make_error_code(std::errc::operation_not_supported),
                                   "no Docker connection to unpause container " + who});
    if (!st) {
      spdlog::error("cleanup: unpausing container {}: {}", who, st.error().describe());
      if (result && unpause_failures == 0) result = st;
      ++unpause_failures;
      continue;
    }
    spdlog::info("cleanup: unpaused container {}", who);
    journal.erase_pause(pause.unit_id, pause.cgroup_dir);
    if (auto saved = journal.save(); !saved && result) result = saved;
  }
  return result;
}

}  // namespace adrg
