// ${VAR} expansion inside config.yaml: values from the process environment and from the env file,
// their precedence, where the env file comes from, and DOCKER_HOST.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "config/loader.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

const std::map<std::string, std::string> kNoEnvironment;

LoadOptions isolated(const std::map<std::string, std::string>* env = &kNoEnvironment) {
  LoadOptions options;
  options.env_file = "/dev/null";
  options.environment = env;
  return options;
}

std::string all_issues(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) out += format_issue(e, "error") + "\n";
  for (const auto& w : load.warnings) out += format_issue(w, "warning") + "\n";
  return out;
}

TEST(ConfigLoaderEnv, EnvFileFillsInWhatTheProcessLacks) {
  testing::TempDir dir;
  dir.write("adrg.env",
            "# secrets\nexport ADRG_MEDIA_API_KEY=from-file\nADRG_NTFY_URL='https://ntfy.sh/f'\n");
  const std::map<std::string, std::string> env = {{"ADRG_NTFY_URL", "https://ntfy.sh/process"}};
  const std::string yaml =
      "media_mode:\n  api_key: \"${ADRG_MEDIA_API_KEY}\"\n"
      "notifications:\n  ntfy_url: \"${ADRG_NTFY_URL}\"\n";
  // Named explicitly through LoadOptions.
  LoadOptions options;
  options.env_file = dir.path() + "/adrg.env";
  options.environment = &env;
  ConfigLoad load = load_config_text(yaml, "x.yaml", options);
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_TRUE(load.warnings.empty()) << all_issues(load);
  EXPECT_EQ(load.config->media_mode.api_key, "from-file");
  EXPECT_EQ(load.config->notifications.ntfy_url, "https://ntfy.sh/process");  // process wins
  EXPECT_EQ(load.config->general.env_file, dir.path() + "/adrg.env");

  // Named by general.env_file, relative to the config file's directory.
  dir.write("conf/config.yaml", "general:\n  env_file: ../adrg.env\n" + yaml);
  LoadOptions from_config;
  from_config.environment = &kNoEnvironment;
  ConfigLoad load2 = load_config_file(dir.path() + "/conf/config.yaml", from_config);
  ASSERT_TRUE(load2.ok()) << all_issues(load2);
  EXPECT_EQ(load2.config->media_mode.api_key, "from-file");
  EXPECT_EQ(load2.config->notifications.ntfy_url, "https://ntfy.sh/f");
  EXPECT_EQ(load2.config->general.env_file, dir.path() + "/conf/../adrg.env");
}

TEST(ConfigLoaderEnv, ProcessEnvironmentIsReadWhenNotInjected) {
  ::setenv("ADRG_LOADER_TEST_TOKEN", "from-environ", 1);
  LoadOptions options;
  options.env_file = "/dev/null";
  ConfigLoad load = load_config_text(
      "general:\n  http_server:\n    token: ${ADRG_LOADER_TEST_TOKEN}\n", "x.yaml", options);
  ::unsetenv("ADRG_LOADER_TEST_TOKEN");
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_EQ(load.config->general.http_server.token, "from-environ");
}

TEST(ConfigLoaderEnv, ExpansionFeedsTypedValuesAndNeverInjectsYaml) {
  const std::map<std::string, std::string> env = {{"PORT", "9100"}, {"EVIL", "x\nport: 1"}};
  ConfigLoad load = load_config_text(
      "general:\n  http_server:\n    port: \"${PORT}\"\n    host: \"${UNSET:-127.0.0.2}\"\n"
      "    token: \"${EVIL}\"\n",
      "x.yaml", isolated(&env));
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_EQ(load.config->general.http_server.port, 9100);
  EXPECT_EQ(load.config->general.http_server.host, "127.0.0.2");
  EXPECT_EQ(load.config->general.http_server.token, "x\nport: 1");
}

TEST(ConfigLoaderEnv, MissingDefaultOrConfiguredEnvFileIsFine) {
  LoadOptions options;
  options.environment = &kNoEnvironment;
  ConfigLoad load =
      load_config_text("general:\n  env_file: /nonexistent/adrg.env\n", "x.yaml", options);
  ASSERT_TRUE(load.ok()) << all_issues(load);
  ASSERT_EQ(load.warnings.size(), 1u) << all_issues(load);
  EXPECT_EQ(load.warnings[0].line, 2);
  EXPECT_EQ(load.warnings[0].column, 13);
  EXPECT_NE(load.warnings[0].message.find("does not exist"), std::string::npos);
}

TEST(ConfigLoaderEnv, DockerHostOverridesTheSocket) {
  const std::map<std::string, std::string> env = {{"DOCKER_HOST", "unix:///run/user/docker.sock"}};
  ConfigLoad load = load_config_text("{}\n", "x.yaml", isolated(&env));
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_EQ(load.config->general.docker_socket, "/run/user/docker.sock");
  const std::map<std::string, std::string> tcp = {{"DOCKER_HOST", "tcp://1.2.3.4:2375"}};
  ConfigLoad load2 = load_config_text("{}\n", "x.yaml", isolated(&tcp));
  ASSERT_TRUE(load2.ok());
  EXPECT_EQ(load2.config->general.docker_socket, "/var/run/docker.sock");
  EXPECT_EQ(load2.warnings.size(), 1u);
}

}  // namespace
}  // namespace adrg
