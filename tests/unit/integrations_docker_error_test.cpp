// docker_error: what the daemon's log, /status and --check-config print when Docker cannot be
// reached. It must name the socket (not curl's "localhost port 80") and give the kernel's reason
// once (issue 16 part 7).
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "integrations/docker/docker_client.h"

namespace adrg::docker {
namespace {

HttpResponse failed_connect(int os_errno, const char* reason) {
  HttpResponse response;
  response.curl_code = CURLE_COULDNT_CONNECT;
  response.os_errno = os_errno;
  response.error = std::string("cannot connect to unix socket /run/docker.sock: ") + reason;
  return response;
}

TEST(DockerError, AFailedConnectNamesTheSocketAndTheKernelsReasonOnce) {
  Error missing =
      docker_error("docker GET /version", failed_connect(ENOENT, "No such file or directory"));
  EXPECT_EQ(missing.code.value(), ENOENT);
  EXPECT_EQ(missing.describe(),
            "docker GET /version: cannot connect to unix socket /run/docker.sock: No such file or "
            "directory");
  Error refused =
      docker_error("docker GET /version", failed_connect(ECONNREFUSED, "Connection refused"));
  EXPECT_EQ(refused.code.value(), ECONNREFUSED);
  EXPECT_EQ(refused.describe(),
            "docker GET /version: cannot connect to unix socket /run/docker.sock: Connection "
            "refused");
}

TEST(DockerError, OtherTransportErrorsKeepTheirText) {
  HttpResponse response;
  response.curl_code = CURLE_OPERATION_TIMEDOUT;
  response.error = "unix socket /run/docker.sock: Operation timed out after 30000 milliseconds";
  Error timed_out = docker_error("docker pause abc", response);
  EXPECT_EQ(timed_out.code.value(), ETIMEDOUT);
  EXPECT_EQ(timed_out.describe(),
            "docker pause abc: unix socket /run/docker.sock: Operation timed out after 30000 "
            "milliseconds: Connection timed out");
}

}  // namespace
}  // namespace adrg::docker
