// The Docker parsers on samples recorded from Engine 20.10.24 (API 1.41) on this host
// (Engine 20.10.24), plus malformed input.
#include <gtest/gtest.h>

#include <string>

#include "integrations/docker/docker_parse.h"

namespace adrg::docker {
namespace {

constexpr const char* kId = "672807c00ea2cd2689d10d9de9c00bba423ac5e5a46a7d25996a37275197b0c8";

// GET /version, trimmed.
constexpr const char* kVersion =
    R"({"Platform":{"Name":""},"Components":[{"Name":"Engine","Version":"20.10.24+dfsg1",)"
    R"("Details":{"ApiVersion":"1.41","MinAPIVersion":"1.12"}}],"Version":"20.10.24+dfsg1",)"
    R"("ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"})";

// GET /v1.41/containers/json with one running container (recorded) and a paused one.
constexpr const char* kList =
    R"([{"Id":"672807c00ea2cd2689d10d9de9c00bba423ac5e5a46a7d25996a37275197b0c8",)"
    R"("Names":["/smp-a"],"Image":"local/busybox","ImageID":"sha256:50cf4b22c9a6",)"
    R"("Command":"sh -c 'while :; do sleep 1; done'","Created":1795443996,"Ports":[],)"
    R"("Labels":{"adrg.tier":"3","smp":"1"},"State":"running","Status":"Up Less than a second",)"
    R"("HostConfig":{"NetworkMode":"none"},"NetworkSettings":{"Networks":{"none":{}}},"Mounts":[]},)"
    R"({"Id":"76c6aa","Names":["/web/db","/db"],"State":"paused","Labels":null}])";

// GET /v1.41/containers/smp-a/json, trimmed of GraphDriver/NetworkSettings.
constexpr const char* kInspect =
    R"({"Id":"672807c00ea2cd2689d10d9de9c00bba423ac5e5a46a7d25996a37275197b0c8",)"
    R"("Created":"2026-11-23T14:26:36.862600237Z","Path":"sh","Args":["-c","while :; do sleep 1; done"],)"
    R"("State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,)"
    R"("OOMKilled":false,"Dead":false,"Pid":6649,"ExitCode":0,"Error":"",)"
    R"("StartedAt":"2026-11-23T14:26:37.293436167Z","FinishedAt":"0001-01-01T00:00:00Z"},)"
    R"("Image":"sha256:50cf4b22c9a6","Name":"/smp-a","RestartCount":0,"Driver":"overlay2",)"
    R"("HostConfig":{"NetworkMode":"none","RestartPolicy":{"Name":"no","MaximumRetryCount":0},)"
    R"("CgroupnsMode":"host","CpuQuota":0,"BlkioDeviceReadBps":[]},)"
    R"("Config":{"Hostname":"672807c00ea2","Env":null,"Cmd":["sh","-c","while :; do sleep 1; done"],)"
    R"("Image":"local/busybox","Labels":{"adrg.tier":"3","smp":"1"}}})";

std::string event(const std::string& action, const std::string& extra_attributes = "") {
  return std::string(R"({"status":")") + action + R"(","id":")" + kId +
         R"(","from":"local/busybox","Type":"container","Action":")" + action +
         R"(","Actor":{"ID":")" + kId +
         R"(","Attributes":{"adrg.tier":"3","image":"local/busybox",)" + extra_attributes +
         R"("name":"smp-b","smp":"1"}},"scope":"local","time":1795444001,)" +
         R"("timeNano":1795444001159895015})";
}

TEST(DockerParse, Version) {
  auto info = parse_version(kVersion);
  ASSERT_TRUE(info.ok()) << info.error().describe();
  EXPECT_EQ(info->api_version, "1.41");
  EXPECT_EQ(info->min_api_version, "1.12");
  EXPECT_EQ(info->version, "20.10.24+dfsg1");
  EXPECT_FALSE(parse_version(R"({"Version":"x"})").ok());
  EXPECT_FALSE(parse_version("not json").ok());
}

TEST(DockerParse, CompareApiVersions) {
  EXPECT_LT(compare_api_versions("1.9", "1.41"), 0);  // numeric, not lexicographic
  EXPECT_GT(compare_api_versions("1.43", "1.41"), 0);
  EXPECT_EQ(compare_api_versions("1.41", "1.41"), 0);
  EXPECT_GT(compare_api_versions("2.0", "1.41"), 0);
}

TEST(DockerParse, ContainerList) {
  auto list = parse_container_list(kList);
  ASSERT_TRUE(list.ok()) << list.error().describe();
  ASSERT_EQ(list->size(), 2u);
  const ContainerSummary& a = (*list)[0];
  EXPECT_EQ(a.id, kId);
  EXPECT_EQ(a.name, "smp-a");  // leading '/' stripped
  EXPECT_EQ(a.state, "running");
  EXPECT_EQ(a.labels.at("adrg.tier"), "3");
  EXPECT_EQ(a.labels.at("smp"), "1");
  const ContainerSummary& b = (*list)[1];
  EXPECT_EQ(b.name, "db");  // the link alias "/web/db" is not the container's own name
  EXPECT_EQ(b.state, "paused");
  EXPECT_TRUE(b.labels.empty());  // "Labels":null
}

TEST(DockerParse, ContainerListEmptyAndMalformed) {
  auto empty = parse_container_list("[]");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(parse_container_list(R"({"message":"x"})").ok());
  EXPECT_FALSE(parse_container_list(R"([{"Names":["/x"]}])").ok());  // no Id
  EXPECT_FALSE(parse_container_list(R"([{"Id":"a")").ok());          // truncated
}

TEST(DockerParse, Inspect) {
  auto inspect = parse_inspect(kInspect);
  ASSERT_TRUE(inspect.ok()) << inspect.error().describe();
  EXPECT_EQ(inspect->id, kId);
  EXPECT_EQ(inspect->name, "smp-a");
  EXPECT_EQ(inspect->status, "running");
  EXPECT_TRUE(inspect->running);
  EXPECT_FALSE(inspect->paused);
  EXPECT_EQ(inspect->pid, 6649);
  EXPECT_EQ(inspect->restart_policy, "no");
  EXPECT_EQ(inspect->started_at, "2026-11-23T14:26:37.293436167Z");
  EXPECT_EQ(inspect->labels.at("adrg.tier"), "3");
  EXPECT_EQ(inspect->labels.size(), 2u);
}

TEST(DockerParse, InspectPausedAndStopped) {
  auto paused = parse_inspect(
      R"({"Id":"abc","Name":"/p","State":{"Status":"paused","Running":true,"Paused":true,"Pid":77},)"
      R"("Config":{"Labels":null}})");
  ASSERT_TRUE(paused.ok());
  EXPECT_TRUE(paused->paused);
  EXPECT_TRUE(paused->running);
  EXPECT_EQ(paused->pid, 77);
  EXPECT_TRUE(paused->labels.empty());
  auto exited = parse_inspect(
      R"({"Id":"abc","Name":"/p","State":{"Status":"exited","Running":false,"Pid":0}})");
  ASSERT_TRUE(exited.ok());
  EXPECT_FALSE(exited->running);
  EXPECT_EQ(exited->pid, 0);
  EXPECT_FALSE(parse_inspect(R"({"message":"No such container: nope"})").ok());
  EXPECT_FALSE(parse_inspect("[]").ok());
}

TEST(DockerParse, EventsOfEachAction) {
  for (const char* action : {"create", "start", "die", "kill", "stop", "restart", "pause",
                             "unpause", "update", "oom", "destroy"}) {
    auto parsed = parse_event_line(event(action));
    ASSERT_TRUE(parsed.ok()) << action << ": " << parsed.error().describe();
    EXPECT_EQ(parsed->action, action);
    EXPECT_EQ(parsed->type, "container");
    EXPECT_EQ(parsed->id, kId);
    EXPECT_EQ(parsed->name, "smp-b");
    EXPECT_EQ(parsed->attributes.at("adrg.tier"), "3");  // labels are mixed into Attributes
    EXPECT_EQ(parsed->time_nano, 1795444001159895015);
  }
}

TEST(DockerParse, EventDieCarriesExitCodeAsString) {
  auto die = parse_event_line(event("die", R"("exitCode":"137",)"));
  ASSERT_TRUE(die.ok());
  EXPECT_EQ(die->attributes.at("exitCode"), "137");
  auto kill = parse_event_line(event("kill", R"("signal":"15",)"));
  ASSERT_TRUE(kill.ok());
  EXPECT_EQ(kill->attributes.at("signal"), "15");
}

TEST(DockerParse, EventRenameStripsOldNameSlash) {
  // Recorded: name has no slash, oldName keeps it.
  auto rename = parse_event_line(event("rename", R"("oldName":"/smp-a",)"));
  ASSERT_TRUE(rename.ok());
  EXPECT_EQ(rename->action, "rename");
  EXPECT_EQ(rename->name, "smp-b");
  EXPECT_EQ(rename->old_name, "smp-a");
}

TEST(DockerParse, ExecEventSplitsCommandOutOfAction) {
  auto exec = parse_event_line(
      R"({"Type":"container","Action":"exec_start: echo exec-ok","Actor":{"ID":"abc",)"
      R"("Attributes":{"execID":"6927","name":"x"}},"time":1795444001})");
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->action, "exec_start");
  EXPECT_EQ(exec->action_detail, "echo exec-ok");
  EXPECT_EQ(exec->time_nano, 1795444001000000000);  // falls back to "time" seconds
}

// Seconds past the year 2262 overflowed time * 10^9 (signed overflow, UBSan aborted; found by
// fuzzing): such a time is treated as absent.
TEST(DockerParse, EventTimeBeyondNanosecondRangeIsDropped) {
  for (const char* time : {"179540154015", "-9223372036854775808", "9223372036854775807"}) {
    auto event = parse_event_line(std::string(R"({"Type":"container","Action":"kill","time":)") +
                                  time + "}");
    ASSERT_TRUE(event.ok()) << time;
    EXPECT_EQ(event->time_nano, 0) << time;
  }
}

TEST(DockerParse, MalformedEvents) {
  EXPECT_FALSE(parse_event_line("").ok());
  EXPECT_FALSE(parse_event_line(R"({"status":"start","id":)").ok());
  EXPECT_FALSE(parse_event_line(R"({"Type":"container"})").ok());  // no Action
  EXPECT_FALSE(parse_event_line("[1,2]").ok());
}

TEST(DockerParse, ErrorMessage) {
  EXPECT_EQ(parse_error_message(R"({"message":"Container abc is not paused"})"
                                "\n"),
            "Container abc is not paused");
  EXPECT_EQ(parse_error_message("page not found\n"), "page not found");
}

TEST(LineSplitter, ReassemblesPartialLinesAcrossChunks) {
  LineSplitter splitter;
  std::string a = event("pause");
  std::string b = event("unpause");
  std::string stream = a + "\n" + b + "\n";
  // Every split point: the two events come out whole, exactly once, in order.
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    splitter.reset();
    auto first = splitter.feed(std::string_view(stream).substr(0, cut));
    auto second = splitter.feed(std::string_view(stream).substr(cut));
    first.insert(first.end(), second.begin(), second.end());
    ASSERT_EQ(first.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(first[0], a);
    EXPECT_EQ(first[1], b);
    EXPECT_EQ(splitter.pending_bytes(), 0u);
    auto parsed = parse_event_line(first[1]);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->action, "unpause");
  }
}

TEST(LineSplitter, ByteByByteAndCrlf) {
  LineSplitter splitter;
  std::string stream = event("start") + "\r\n\n" + event("die");
  std::vector<std::string> lines;
  for (char c : stream) {
    for (auto& line : splitter.feed(std::string_view(&c, 1))) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 1u);  // the empty line is dropped, the last one is still incomplete
  EXPECT_EQ(lines[0], event("start"));
  EXPECT_GT(splitter.pending_bytes(), 0u);
  auto rest = splitter.feed("\n");
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0], event("die"));
}

TEST(ParseCgroupFile, HybridCgroupfsRecorded) {
  // /proc/<State.Pid>/cgroup on this host: v1 controllers plus the unified "0::" line.
  std::string content;
  for (const char* line :
       {"9:name=systemd:/docker/", "8:pids:/docker/", "7:blkio:/docker/", "6:freezer:/docker/",
        "5:devices:/docker/", "4:memory:/docker/", "3:cpuset:/docker/", "2:cpuacct:/docker/",
        "1:cpu:/docker/", "0::/docker/"}) {
    content += std::string(line) + kId + "\n";
  }
  auto parsed = parse_cgroup_file(content);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->path, std::string("/docker/") + kId);
  EXPECT_FALSE(parsed->outside_namespace);
  EXPECT_EQ(parsed->v1_memory_path, std::string("/docker/") + kId);
}

TEST(ParseCgroupFile, PureV2Cgroupfs) {
  auto parsed = parse_cgroup_file(std::string("0::/docker/") + kId + "\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->path, std::string("/docker/") + kId);
  EXPECT_TRUE(parsed->v1_memory_path.empty());
}

TEST(ParseCgroupFile, SystemdDriver) {
  auto parsed = parse_cgroup_file(std::string("0::/system.slice/docker-") + kId + ".scope\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->path, std::string("/system.slice/docker-") + kId + ".scope");
}

TEST(ParseCgroupFile, CombinedV1ControllersAndColonInPath) {
  auto parsed =
      parse_cgroup_file("3:cpu,cpuacct:/a\n2:blkio,memory:/docker/x\n0::/odd:name/with:colons\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->path, "/odd:name/with:colons");
  EXPECT_EQ(parsed->v1_memory_path, "/docker/x");
}

TEST(ParseCgroupFile, ContainerInsideContainerEscapesNamespace) {
  // adrg in a container with a private cgroupns reading a sibling's /proc/<pid>/cgroup.
  auto sibling = parse_cgroup_file(std::string("0::/../") + kId + "\n");
  ASSERT_TRUE(sibling.ok());
  EXPECT_TRUE(sibling->outside_namespace);
  EXPECT_EQ(sibling->path, std::string("/") + kId);
  auto deeper = parse_cgroup_file("0::/../../system.slice/docker-abc.scope\n");
  ASSERT_TRUE(deeper.ok());
  EXPECT_TRUE(deeper->outside_namespace);
  EXPECT_EQ(deeper->path, "/system.slice/docker-abc.scope");
  // A name that merely starts with dots is not an escape.
  auto dotted = parse_cgroup_file("0::/..hidden/x\n");
  ASSERT_TRUE(dotted.ok());
  EXPECT_FALSE(dotted->outside_namespace);
  EXPECT_EQ(dotted->path, "/..hidden/x");
}

TEST(ParseCgroupFile, RootDeletedAndMissing) {
  auto root = parse_cgroup_file("0::/\n");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->path, "");
  auto deleted = parse_cgroup_file("0::/docker/abc (deleted)\n");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->path, "/docker/abc");
  EXPECT_FALSE(parse_cgroup_file("4:memory:/docker/abc\n1:cpu:/docker/abc\n").ok());  // pure v1
  EXPECT_FALSE(parse_cgroup_file("").ok());
  EXPECT_FALSE(parse_cgroup_file("garbage without colons").ok());
}

TEST(UrlEncode, FiltersJson) {
  EXPECT_EQ(url_encode(R"({"type":["container"]})"), "%7B%22type%22%3A%5B%22container%22%5D%7D");
  EXPECT_EQ(url_encode("a-b_c.d~e"), "a-b_c.d~e");
}

}  // namespace
}  // namespace adrg::docker
