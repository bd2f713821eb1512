#include "jobs/job_admission.h"

#include <fmt/format.h>

namespace adrg {

AdmissionVerdict decide_admission(const JobAdmissionConfig& thresholds,
                                  const std::optional<PsiStats>& cpu,
                                  const std::optional<PsiStats>& memory,
                                  const std::optional<PsiStats>& io) {
  struct Check {
    const char* name;
    const std::optional<PsiStats>& stats;
    double max;
  };
  const Check checks[] = {{"cpu", cpu, thresholds.cpu_some_avg10_max},
                          {"memory", memory, thresholds.memory_some_avg10_max},
                          {"io", io, thresholds.io_some_avg10_max}};
  std::string over;
  std::string unknown;
  for (const Check& c : checks) {
    if (!c.stats) {
      unknown += unknown.empty() ? c.name : std::string(", ") + c.name;
      continue;
    }
    double value = c.stats->some.avg10;
    if (value > c.max) {
      if (!over.empty()) over += ", ";
      over += fmt::format("{} pressure some avg10 {:.2f}% > {:g}%", c.name, value, c.max);
    }
  }
  if (!over.empty()) return {false, "waiting for calm: " + over};
  if (!unknown.empty()) return {true, "admitted without a measurement of " + unknown + " (no PSI)"};
  return {true, ""};
}

}  // namespace adrg
