// The /jobs endpoints of the HTTP API (contract: README "Jobs"): routing,
// request validation and the JSON answers, on top of the JobManager. Runs on the loop thread.
#pragma once

#include "integrations/http_api/http_api.h"
#include "jobs/job_manager.h"

namespace adrg {

inline constexpr std::size_t kJobLogChunkMax = std::size_t{1024} * 1024;
inline constexpr double kJobWaitDefaultSeconds = 30;
inline constexpr double kJobWaitMaxSeconds = 300;

void handle_job_request(JobManager& jobs, const ApiRequest& request, const ApiReplyFn& reply);

}  // namespace adrg
