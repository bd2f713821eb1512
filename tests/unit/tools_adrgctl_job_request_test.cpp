// adrgctl's job subcommands without a server: the command line as CLI11 parses it -> the POST
// /jobs body, and a finished job object -> the printed end line and the exit status.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <CLI/CLI.hpp>

#include "tools/adrgctl/job_commands.h"
#include "tools/adrgctl/job_request.h"

namespace adrg::ctl {
namespace {

// Parses `args` (after the program name) with the real subcommand wiring.
JobCommands parse(std::vector<std::string> args) {
  CLI::App app{"test"};
  app.require_subcommand(1);
  JobCommands commands;
  add_job_commands(app, commands);
  std::vector<const char*> argv = {"adrgctl"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  // The App dies with this scope; keep only the values.
  commands.run = commands.jobs = commands.inspect = commands.wait = commands.logs = commands.kill =
      commands.remove = nullptr;
  return commands;
}

simdjson::dom::element json(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element element;
  EXPECT_EQ(parser.parse(simdjson::padded_string(text)).get(element), simdjson::SUCCESS) << text;
  return element;
}

TEST(AdrgctlJobRequest, FullRunCommandLineBecomesTheContractBody) {
  auto commands = parse({"run",
                         "--id",
                         "backup",
                         "--tier",
                         "3",
                         "--cpu-max",
                         "50000/100000",
                         "--cpu-weight",
                         "50",
                         "--memory-max",
                         "1G",
                         "--memory-high",
                         "768M",
                         "--io-max",
                         "8:0 rbps=1048576",
                         "--io-max",
                         "8:16 wiops=100",
                         "--pids-max",
                         "64",
                         "--cwd",
                         "/srv",
                         "--env",
                         "PATH=/opt/bin",
                         "--env",
                         "NEW=1",
                         "--wait-for-calm",
                         "--",
                         "rsync",
                         "-a",
                         "/a",
                         "/b"});
  EXPECT_FALSE(commands.run_wait);
  auto body = build_run_body(commands.run_options, {"HOME=/root", "PATH=/usr/bin"}, "/home/x");
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body,
            R"({"id":"backup","tier":3,"argv":["rsync","-a","/a","/b"],)"
            R"("env":["HOME=/root","PATH=/opt/bin","NEW=1"],"cwd":"/srv","wait_for_calm":true,)"
            R"("limits":{"cpu_max":"50000 100000","cpu_weight":50,"memory_max":1073741824,)"
            R"("memory_high":805306368,"io_max":["8:0 rbps=1048576","8:16 wiops=100"],)"
            R"("pids_max":64}})");
  simdjson::dom::parser parser;
  auto document = json(parser, *body);  // and it is valid JSON
  EXPECT_EQ(std::string_view(document["limits"]["cpu_max"]), "50000 100000");
}

TEST(AdrgctlJobRequest, MinimalRunTakesCallersEnvAndCwd) {
  auto commands = parse({"run", "--id", "j", "--tier", "2", "--wait", "--", "sh", "-c", "exit 3"});
  EXPECT_TRUE(commands.run_wait);
  auto body = build_run_body(commands.run_options, {"A=1", "B=\"quoted\""}, "/work dir");
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, R"({"id":"j","tier":2,"argv":["sh","-c","exit 3"],"env":["A=1","B=\"quoted\""],)"
                   R"("cwd":"/work dir","wait_for_calm":false,"limits":{}})");
}

TEST(AdrgctlJobRequest, RunNeedsIdTierAndCommand) {
  EXPECT_THROW(parse({"run", "--tier", "3", "--", "true"}), CLI::ParseError);
  EXPECT_THROW(parse({"run", "--id", "x", "--", "true"}), CLI::ParseError);
  EXPECT_THROW(parse({"run", "--id", "x", "--tier", "3"}), CLI::ParseError);
  EXPECT_THROW(parse({"run", "--id", "x", "--tier", "three", "--", "true"}), CLI::ParseError);
}

TEST(AdrgctlJobRequest, BadSizesAndQuotasAreClearErrors) {
  RunOptions options;
  options.id = "x";
  options.argv = {"true"};
  options.memory_max = "1.5";
  auto body = build_run_body(options, {}, "/");
  ASSERT_FALSE(body);
  EXPECT_NE(body.error().message.find("--memory-max"), std::string::npos) << body.error().message;
  EXPECT_NE(body.error().message.find("1.5"), std::string::npos);
  options.memory_max.reset();
  options.memory_high = "lots";
  EXPECT_FALSE(build_run_body(options, {}, "/"));
  options.memory_high = "1.5G";
  body = build_run_body(options, {}, "/");
  ASSERT_TRUE(body);
  EXPECT_NE(body->find(R"("memory_high":1610612736)"), std::string::npos) << *body;
  options.cpu_max = "half";
  body = build_run_body(options, {}, "/");
  ASSERT_FALSE(body);
  EXPECT_NE(body.error().message.find("--cpu-max 'half'"), std::string::npos);
  options.cpu_max.reset();
  options.env = {"NOEQUALS"};
  EXPECT_FALSE(build_run_body(options, {}, "/"));
  options.env = {"=1"};
  EXPECT_FALSE(build_run_body(options, {}, "/"));
  options.env.clear();
  options.argv.clear();
  EXPECT_FALSE(build_run_body(options, {}, "/"));
}

TEST(AdrgctlJobRequest, CpuMaxSyntax) {
  EXPECT_EQ(*cpu_max_from_cli("50000/100000"), "50000 100000");
  EXPECT_EQ(*cpu_max_from_cli("max/100000"), "max 100000");
  EXPECT_EQ(*cpu_max_from_cli("max"), "max");
  EXPECT_EQ(*cpu_max_from_cli("20000"), "20000");
  for (const char* bad :
       {"", "/100000", "50000/", "50000/abc", "0.5", "-1/100000", "50000 100000"}) {
    EXPECT_FALSE(cpu_max_from_cli(bad)) << bad;
  }
}

TEST(AdrgctlJobRequest, EnvironmentOverridesReplaceInPlace) {
  auto env = merge_environment({"A=1", "AB=2", "C=3"}, {"A=x", "D=4", "C="});
  ASSERT_TRUE(env);
  EXPECT_EQ(*env, (std::vector<std::string>{"A=x", "AB=2", "C=", "D=4"}));
}

TEST(AdrgctlJobRequest, IdCommandsTakeTheirArguments) {
  auto wait = parse({"wait", "backup", "--timeout", "2.5"});
  EXPECT_EQ(wait.id, "backup");
  ASSERT_TRUE(wait.timeout_seconds);
  EXPECT_DOUBLE_EQ(*wait.timeout_seconds, 2.5);
  EXPECT_TRUE(parse({"logs", "backup", "--follow"}).follow);
  EXPECT_TRUE(parse({"inspect", "backup", "--json"}).json);
  EXPECT_EQ(parse({"remove", "old"}).id, "old");
  EXPECT_THROW(parse({"kill"}), CLI::ParseError);
}

TEST(AdrgctlJobRequest, JobEndLinesAndExitStatus) {
  auto end = [](const std::string& job) {
    auto result = describe_job_end(job);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : JobEnd{"?", -1};
  };
  auto exited = end(R"({"id":"b","state":"exited","exit_code":3,"signal":null,"oom_kills":0})");
  EXPECT_EQ(exited.line, "b: exited with status 3");
  EXPECT_EQ(exited.exit_status, 3);
  EXPECT_EQ(end(R"({"id":"b","state":"exited","exit_code":0,"signal":null})").exit_status, 0);
  auto killed = end(R"({"id":"b","state":"killed","exit_code":null,"signal":15,"oom_kills":0})");
  EXPECT_EQ(killed.line, "b: killed by SIGTERM");
  EXPECT_EQ(killed.exit_status, 143);
  auto oom = end(R"({"id":"b","state":"killed","exit_code":null,"signal":9,"oom_kills":1})");
  EXPECT_EQ(oom.line, "b: killed by the OOM killer (oom_kill 1)");
  EXPECT_EQ(oom.exit_status, 137);
  auto survived = end(R"({"id":"b","state":"exited","exit_code":1,"signal":null,"oom_kills":2})");
  EXPECT_EQ(survived.line, "b: exited with status 1 (oom_kill 2)");
  EXPECT_EQ(survived.exit_status, 1);
  auto failed = end(R"({"id":"b","state":"failed","exit_code":null,"signal":null,)"
                    R"("reason":"exec nosuch: No such file or directory"})");
  EXPECT_EQ(failed.line, "b: failed to start: exec nosuch: No such file or directory");
  EXPECT_EQ(failed.exit_status, 127);
  auto refused = end(R"({"id":"b","state":"refused","reason":"queue full"})");
  EXPECT_EQ(refused.line, "b: refused: queue full");
  EXPECT_EQ(refused.exit_status, 1);
  auto adopted = end(R"({"id":"b","state":"exited","exit_code":null,"signal":null,)"
                     R"("reason":"exit status unknown: adrg was restarted while the job ran"})");
  EXPECT_EQ(adopted.line, "b: exited: exit status unknown: adrg was restarted while the job ran");
  EXPECT_EQ(adopted.exit_status, 255);
  auto unqueued =
      end(R"({"id":"b","state":"killed","signal":null,"reason":"killed while queued"})");
  EXPECT_EQ(unqueued.line, "b: killed: killed while queued");
  EXPECT_EQ(unqueued.exit_status, 255);
  EXPECT_FALSE(describe_job_end(R"({"id":"b","state":"running"})"));
  EXPECT_FALSE(describe_job_end("not json"));
}

}  // namespace
}  // namespace adrg::ctl
