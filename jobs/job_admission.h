// Admission of a job submitted with wait_for_calm: a pure function of the configured thresholds
// and the system PSI of the governor's snapshot. No I/O, no clock.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "sensors/snapshot.h"

namespace adrg {

struct AdmissionVerdict {
  bool admit = false;
  // Why not (every resource above its threshold, with the numbers), or a note when admitted
  // without a measurement; "" when calm.
  std::string reason;
};

// Admits when every "some" avg10 is at or below its threshold. A resource whose PSI could not be
// read (a kernel without PSI) does not hold a job back: the verdict admits and says so.
AdmissionVerdict decide_admission(const JobAdmissionConfig& thresholds,
                                  const std::optional<PsiStats>& cpu,
                                  const std::optional<PsiStats>& memory,
                                  const std::optional<PsiStats>& io);

}  // namespace adrg
