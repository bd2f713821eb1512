#include <gtest/gtest.h>

#include <filesystem>

#include "actuator/journal.h"
#include "core/fs.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::TempDir;

JournalData sample() {
  JournalData data;
  JournalOverride cpu{
      {"abc123", "/sys/fs/cgroup/docker/abc123", "cpu.max", ""}, "150000 100000\n", "40000 100000"};
  JournalOverride io{{"abc123", "/sys/fs/cgroup/docker/abc123", "io.max", "254:0"}, "", "x"};
  JournalOverride io2{{"abc123", "/sys/fs/cgroup/docker/abc123", "io.max", "8:0"},
                      "8:0 rbps=1000 wbps=max riops=max wiops=max",
                      "8:0 rbps=5242880 wbps=2097152"};
  data.overrides[cpu.key] = cpu;
  data.overrides[io.key] = io;
  data.overrides[io2.key] = io2;
  JournalPause docker{"abc123", "tdarr", "/sys/fs/cgroup/docker/abc123", PauseVia::kPauser};
  JournalPause job{"job-7", "backup", "/sys/fs/cgroup/adrg/job-7", PauseVia::kFreeze};
  data.pauses[{docker.unit_id, docker.cgroup_dir}] = docker;
  data.pauses[{job.unit_id, job.cgroup_dir}] = job;
  return data;
}

std::vector<std::string> corrupt_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.find(".corrupt-") != std::string::npos) out.push_back(name);
  }
  return out;
}

TEST(JournalText, RoundTripsThroughJson) {
  auto data = sample();
  auto parsed = parse_journal(journal_to_json(data, 1700000000));
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(*parsed, data);
}

TEST(JournalText, EmptyJournalRoundTrips) {
  auto parsed = parse_journal(journal_to_json({}, 0));
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_TRUE(parsed->empty());
}

TEST(JournalText, OddContentSurvivesByteExact) {
  // Quotes, backslashes, every control byte, DEL, bytes that are not UTF-8, NUL, and a real
  // UTF-8 sequence: all must come back as the same bytes.
  std::string odd = "a\"b\\c\n\t\r/\x01\x1f\x7f";
  odd += std::string("\0", 1);
  odd += "\x80\xff\xc3\xa9 \xe2\x82\xac";
  for (int b = 0; b < 256; ++b) odd += static_cast<char>(b);
  JournalData data;
  JournalOverride o{{"unit \"x\"", "/cg/with space/\\dir", "cpu.max", "1:2"}, odd, odd + "w"};
  data.overrides[o.key] = o;
  JournalPause p{"u\n", "na\x01me\xfe", "/d", PauseVia::kFreeze};
  data.pauses[{p.unit_id, p.cgroup_dir}] = p;
  std::string json = journal_to_json(data, 1);
  for (char c : json) {
    auto b = static_cast<unsigned char>(c);
    EXPECT_TRUE(b == '\n' || (b >= 0x20 && b < 0x7f)) << "raw byte " << int(b) << " in the JSON";
  }
  auto parsed = parse_journal(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(*parsed, data);
}

TEST(JournalText, RejectsWhatIsNotACompleteJournal) {
  std::string good = journal_to_json(sample(), 1);
  // Every truncation is detected: nothing short of the full text parses.
  for (size_t len = 0; len + 2 < good.size(); len += 7) {
    EXPECT_FALSE(parse_journal(good.substr(0, len)).ok()) << "prefix of " << len << " parsed";
  }
  EXPECT_FALSE(parse_journal("").ok());
  EXPECT_FALSE(parse_journal("   \n").ok());
  EXPECT_FALSE(parse_journal("[]").ok());
  EXPECT_FALSE(parse_journal(R"({"version":1,"overrides":[],"pauses":[]})").ok());  // no marker
  EXPECT_FALSE(
      parse_journal(
          R"({"format":"adrg-journal","version":1,"overrides":[{"unit":"u"}],"pauses":[]})")
          .ok());
  EXPECT_FALSE(parse_journal(R"({"format":"adrg-journal","version":1,"overrides":[],)"
                             R"("pauses":[{"unit":"u","via":"sigstop"}]})")
                   .ok());
  // A character adrg never writes (above U+00FF) means a hand edit or garbage.
  EXPECT_FALSE(parse_journal(R"({"format":"adrg-journal","version":1,"overrides":[{"unit":"u",)"
                             R"("cgroup":"/c","file":"cpu.max","original":"\u20ac"}],"pauses":[]})")
                   .ok());
}

TEST(JournalText, ToleratesUnknownFieldsAndNewerVersions) {
  auto parsed = parse_journal(
      R"({"format":"adrg-journal","version":3,"future":{"x":[1,2]},"overrides":[)"
      R"({"unit":"u","cgroup":"/c","file":"memory.max","original":"max\n","extra":true}],)"
      R"("pauses":[]})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  ASSERT_EQ(parsed->overrides.size(), 1u);
  const auto& o = parsed->overrides.begin()->second;
  EXPECT_EQ(o.original, "max\n");
  EXPECT_EQ(o.written, "");
  EXPECT_EQ(o.key.device, "");
}

TEST(JournalFile, MissingFileIsAnEmptyJournal) {
  TempDir tmp;
  Journal journal(tmp.path() + "/state/journal.json");
  ASSERT_TRUE(journal.load().ok());
  EXPECT_TRUE(journal.data().empty());
}

TEST(JournalFile, SaveAndLoadRoundTrip) {
  TempDir tmp;
  std::string path = tmp.path() + "/lib/adrg/journal.json";  // parent dirs are created
  Journal a(path);
  for (auto& [k, v] : sample().overrides) a.put(v);
  for (auto& [k, v] : sample().pauses) a.put_pause(v);
  ASSERT_TRUE(a.save().ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  Journal b(path);
  ASSERT_TRUE(b.load().ok());
  EXPECT_EQ(b.data(), sample());

  ASSERT_TRUE(b.erase(JournalKey{"abc123", "/sys/fs/cgroup/docker/abc123", "cpu.max", ""}));
  EXPECT_TRUE(b.erase_pause("job-7", "/sys/fs/cgroup/adrg/job-7"));
  b.erase_unit_dir("abc123", "/sys/fs/cgroup/docker/abc123");
  EXPECT_TRUE(b.data().empty());
  ASSERT_TRUE(b.save().ok());
  Journal c(path);
  ASSERT_TRUE(c.load().ok());
  EXPECT_TRUE(c.data().empty());
}

TEST(JournalFile, StaleTmpFromACrashIsIgnored) {
  // A crash inside write_file_atomic leaves journal.json.tmp half written; the rename never
  // happened, so journal.json (the previous complete version) is the truth.
  TempDir tmp;
  std::string path = tmp.path() + "/journal.json";
  Journal a(path);
  for (auto& [k, v] : sample().overrides) a.put(v);
  ASSERT_TRUE(a.save().ok());
  std::string full = journal_to_json(JournalData{}, 5);
  tmp.write("journal.json.tmp", full.substr(0, full.size() / 2));
  Journal b(path);
  ASSERT_TRUE(b.load().ok());
  EXPECT_EQ(b.data().overrides, sample().overrides);
  // The next save replaces the stale tmp and leaves none behind.
  ASSERT_TRUE(b.save().ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  Journal c(path);
  ASSERT_TRUE(c.load().ok());
  EXPECT_EQ(c.data().overrides, sample().overrides);
}

TEST(JournalFile, TruncatedFileIsDetectedAndMovedAside) {
  TempDir tmp;
  std::string path = tmp.path() + "/journal.json";
  std::string full = journal_to_json(sample(), 1);
  std::string torn = full.substr(0, full.size() * 2 / 3);
  tmp.write("journal.json", torn);
  tmp.write("journal.json.tmp", full.substr(0, 10));  // and a stale tmp from the same crash

  Journal journal(path);
  auto st = journal.load();
  ASSERT_FALSE(st.ok());
  const std::string message = st.error().describe();
  EXPECT_NE(message.find("corrupt journal"), std::string::npos) << message;
  EXPECT_NE(message.find(".corrupt-"), std::string::npos) << message;  // says where it went
  EXPECT_TRUE(journal.data().empty());

  // The torn file is kept byte for byte for a human, and the journal path is free again.
  auto aside = corrupt_files(tmp.path());
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(tmp.read(aside[0]), torn);
  EXPECT_FALSE(std::filesystem::exists(path));

  // Working on from an empty journal does not touch the kept copy.
  journal.put(sample().overrides.begin()->second);
  ASSERT_TRUE(journal.save().ok());
  Journal again(path);
  ASSERT_TRUE(again.load().ok());
  EXPECT_EQ(again.data().overrides.size(), 1u);
  EXPECT_EQ(tmp.read(aside[0]), torn);

  // A second corruption in the same second gets its own name.
  tmp.write("journal.json", "{\"format\":");
  Journal third(path);
  EXPECT_FALSE(third.load().ok());
  EXPECT_EQ(corrupt_files(tmp.path()).size(), 2u);
}

TEST(JournalFile, EmptyFileIsCorrupt) {
  TempDir tmp;
  tmp.write("journal.json", "");
  Journal journal(tmp.path() + "/journal.json");
  EXPECT_FALSE(journal.load().ok());
  EXPECT_EQ(corrupt_files(tmp.path()).size(), 1u);
}

TEST(JournalText, BootIdRoundTrips) {
  auto data = sample();
  data.boot_id = "5d3e1f7a-0c2b-4d8e-9f61-2a7b3c4d5e6f";
  auto text = journal_to_json(data, 1);
  EXPECT_NE(text.find("\"boot_id\":\"5d3e1f7a-0c2b-4d8e-9f61-2a7b3c4d5e6f\""), std::string::npos);
  auto parsed = parse_journal(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(*parsed, data);
}

TEST(JournalFile, JournalOfAnEarlierBootIsSetAsideNotRestored) {
  // After a reboot every override and pause the journal names is gone with the old kernel;
  // "restoring" them would write stale originals over the new boot's containers.
  TempDir tmp;
  std::string path = tmp.path() + "/journal.json";
  Journal before(path, true, "boot-A");
  for (auto& [k, v] : sample().overrides) before.put(v);
  for (auto& [k, v] : sample().pauses) before.put_pause(v);
  ASSERT_TRUE(before.save().ok());
  const std::string saved = tmp.read("journal.json");
  EXPECT_NE(saved.find("\"boot_id\":\"boot-A\""), std::string::npos) << saved;

  Journal same_boot(path, true, "boot-A");  // a restart of adrg: everything is still there
  ASSERT_TRUE(same_boot.load().ok());
  EXPECT_EQ(same_boot.data().overrides, sample().overrides);
  EXPECT_EQ(same_boot.data().pauses, sample().pauses);

  Journal after_reboot(path, true, "boot-B");
  ASSERT_TRUE(after_reboot.load().ok());  // nothing was lost: not an error
  EXPECT_TRUE(after_reboot.data().empty());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(tmp.read("journal.json.previous-boot"), saved);  // kept for a human
  after_reboot.put(sample().overrides.begin()->second);
  ASSERT_TRUE(after_reboot.save().ok());
  EXPECT_NE(tmp.read("journal.json").find("\"boot_id\":\"boot-B\""), std::string::npos);
}

TEST(JournalFile, JournalWithoutBootIdIsTrustedAndStampedOnSave) {
  // Written before journals carried a boot_id, or where none could be read: restoring is the
  // safe side (the originals may still be needed).
  TempDir tmp;
  std::string path = tmp.path() + "/journal.json";
  tmp.write("journal.json", journal_to_json(sample(), 1));
  Journal journal(path, true, "boot-C");
  ASSERT_TRUE(journal.load().ok());
  EXPECT_EQ(journal.data().overrides, sample().overrides);
  ASSERT_TRUE(journal.save().ok());
  EXPECT_NE(tmp.read("journal.json").find("\"boot_id\":\"boot-C\""), std::string::npos);
  // And an adrg that cannot read its own boot_id checks nothing.
  Journal unknown(path, true, "");
  ASSERT_TRUE(unknown.load().ok());
  EXPECT_EQ(unknown.data().overrides, sample().overrides);
}

TEST(JournalFile, ReadsTheKernelsBootId) {
  TempDir proc;
  EXPECT_EQ(read_boot_id(proc.path()), "");
  proc.write("sys/kernel/random/boot_id", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\n");
  EXPECT_EQ(read_boot_id(proc.path()), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  // The real one is a 36-character UUID.
  EXPECT_EQ(read_boot_id("/proc").size(), 36u);
}

TEST(JournalFile, NotPersistentWritesNothing) {
  TempDir tmp;
  std::string path = tmp.path() + "/sub/journal.json";
  Journal journal(path, /*persistent=*/false);
  journal.put(sample().overrides.begin()->second);
  ASSERT_TRUE(journal.save().ok());
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/sub"));
  // And a corrupt file is reported but left where it is (dry-run changes nothing).
  tmp.write("journal.json", "{");
  Journal dry(tmp.path() + "/journal.json", false);
  EXPECT_FALSE(dry.load().ok());
  EXPECT_EQ(tmp.read("journal.json"), "{");
  EXPECT_TRUE(corrupt_files(tmp.path()).empty());
}

}  // namespace
}  // namespace adrg
