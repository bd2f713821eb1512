// load_yaml_documents: yaml-cpp 0.7's LoadAll never returns on a lone "," (it collects empty
// documents until memory runs out; found by tests/fuzz/fuzz_config). The loads run in a child
// process killed at a deadline or a memory bound, so a regression fails this test instead of
// hanging the suite and eating the machine's memory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "config/loader.h"
#include "config/yaml_documents.h"
#include "tests/support/config_load.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

// Resident memory of a process in MiB (0 when it cannot be read).
long resident_mib(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

// Runs `check` in a forked child; true when it returned true and the child exited in time. The
// child is killed at 30 s or 1 GiB resident, whichever comes first: the bug allocates fast.
bool passes_in_child(const std::function<bool()>& check) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(check() ? 0 : 1);
  if (pid < 0) return false;
  int status = 0;
  bool exited = false;
  bool runaway = false;
  testing::wait_until(
      [&] {
        exited = ::waitpid(pid, &status, WNOHANG) == pid;
        runaway = !exited && resident_mib(pid) > 1024;
        return exited || runaway;
      },
      std::chrono::seconds(30));
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "the load did not finish (" << (runaway ? "over 1 GiB" : "30 s")
                  << "): yaml-cpp's endless LoadAll loop";
    return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(YamlDocuments, StrayCommaIsAnErrorNotAnEndlessLoop) {
  for (const char* text : {",", "general:\n  poll_interval_seconds: 5\n,\n", "- !+(.,.)"}) {
    EXPECT_TRUE(passes_in_child([text] {
      static const std::map<std::string, std::string> kNoEnvironment;
      ConfigLoad load =
          load_config_text(text, "comma.yaml", testing::isolated_load_options(&kNoEnvironment));
      return !load.ok() && !load.errors.empty() &&
             load.errors.front().message.starts_with("invalid YAML");
    })) << text;
  }
}

TEST(YamlDocuments, ReadsWhatLoadAllReads) {
  auto one = load_yaml_documents("general:\n  port: 1\n");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_TRUE(one[0].IsMap());
  auto two = load_yaml_documents("a: 1\n---\nb: 2\n");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1]["b"].as<int>(), 2);
  EXPECT_TRUE(load_yaml_documents("").empty());
}

TEST(YamlDocuments, TooManyDocumentsAreRefused) {
  std::string text;
  for (std::size_t i = 0; i <= kMaxYamlDocuments; ++i) text += "---\na: 1\n";
  EXPECT_THROW(load_yaml_documents(text), YAML::ParserException);
}

}  // namespace
}  // namespace adrg
