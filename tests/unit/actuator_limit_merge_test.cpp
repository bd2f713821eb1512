#include <gtest/gtest.h>

#include "actuator/limit_merge.h"

namespace adrg {
namespace {

MergedLimit user(std::string text) { return {std::move(text), LimitSource::kUser}; }
MergedLimit adrg(std::string text) { return {std::move(text), LimitSource::kAdrg}; }
MergedLimit both(std::string text) { return {std::move(text), LimitSource::kBoth}; }

TEST(LimitMerge, TheLimitFiles) {
  for (const char* f : {"memory.max", "memory.high", "cpu.max", "io.max"}) {
    EXPECT_TRUE(is_user_limit_file(f)) << f;
  }
  for (const char* f : {"cpu.weight", "io.weight", "cgroup.freeze", "memory.low", ""}) {
    EXPECT_FALSE(is_user_limit_file(f)) << f;
  }
  EXPECT_EQ(to_string(LimitSource::kUser), "user");
  EXPECT_EQ(to_string(LimitSource::kAdrg), "adrg");
  EXPECT_EQ(to_string(LimitSource::kBoth), "both");
}

TEST(LimitMerge, MemoryTheSmallerByteCount) {
  for (const char* f : {"memory.max", "memory.high"}) {
    // docker run -m 64m, tier-3 baseline 3 GiB: the user's stays (the issue-17 bug).
    EXPECT_EQ(stricter_limit(f, "67108864\n", "3221225472"), user("67108864")) << f;
    EXPECT_EQ(stricter_limit(f, "3221225472\n", "67108864"), adrg("67108864")) << f;
    EXPECT_EQ(stricter_limit(f, "max\n", "3221225472"), adrg("3221225472")) << f;
    EXPECT_EQ(stricter_limit(f, "67108864\n", "max"), user("67108864")) << f;
    EXPECT_EQ(stricter_limit(f, "max\n", "max"), user("max")) << f;
    EXPECT_EQ(stricter_limit(f, "1024\n", "1024"), user("1024")) << f;  // a tie: nothing to write
    EXPECT_EQ(stricter_limit(f, "0\n", "1"), user("0")) << f;
    EXPECT_EQ(stricter_limit(f, "18446744073709551615\n", "max"), user("18446744073709551615"));
    EXPECT_EQ(stricter_limit(f, "1024", "1023"), adrg("1023")) << f;  // no newline either way
    // Nothing a kernel prints: adrg's, as before.
    for (const char* bad : {"", "\n", "-1\n", "1e9\n", "12 34\n", "Max\n", "18446744073709551616\n",
                            "99999999999999999999999\n", "0x10\n"}) {
      EXPECT_EQ(stricter_limit(f, bad, "4096"), adrg("4096")) << f << " [" << bad << "]";
    }
    EXPECT_EQ(stricter_limit(f, "4096\n", "junk"), adrg("junk")) << f;
  }
}

TEST(LimitMerge, CpuMaxTheSmallerRate) {
  // 0.5 CPU of the user's vs 2 CPUs of adrg's (25 % of an 8-CPU machine): the user's.
  EXPECT_EQ(stricter_limit("cpu.max", "50000 100000\n", "200000 100000"), user("50000 100000"));
  EXPECT_EQ(stricter_limit("cpu.max", "200000 100000\n", "50000 100000"), adrg("50000 100000"));
  EXPECT_EQ(stricter_limit("cpu.max", "max 100000\n", "50000 100000"), adrg("50000 100000"));
  EXPECT_EQ(stricter_limit("cpu.max", "50000 100000\n", "max 100000"), user("50000 100000"));
  EXPECT_EQ(stricter_limit("cpu.max", "max 100000\n", "max 50000"), user("max 100000"));
  // Rates, not quotas: 30000/50000 = 0.6 CPU vs 50000/100000 = 0.5 CPU.
  EXPECT_EQ(stricter_limit("cpu.max", "30000 50000\n", "50000 100000"), adrg("50000 100000"));
  EXPECT_EQ(stricter_limit("cpu.max", "20000 50000\n", "50000 100000"), user("20000 50000"));
  EXPECT_EQ(stricter_limit("cpu.max", "25000 50000\n", "50000 100000"), user("25000 50000"));
  // Exact where a double would not be: 1/3 vs 333333/1000000.
  EXPECT_EQ(stricter_limit("cpu.max", "1000 3000\n", "333333 1000000"), adrg("333333 1000000"));
  EXPECT_EQ(stricter_limit("cpu.max", "333333 1000000\n", "1000 3000"), user("333333 1000000"));
  EXPECT_EQ(stricter_limit("cpu.max", "333334 1000000\n", "1000 3000"), adrg("1000 3000"));
  // Huge quotas (products beyond 64 bits) compare right too.
  EXPECT_EQ(
      stricter_limit("cpu.max", "18446744073709551000 1000000\n", "18446744073709551001 1000001"),
      adrg("18446744073709551001 1000001"));
  EXPECT_EQ(
      stricter_limit("cpu.max", "18446744073709551000 999999\n", "18446744073709551000 1000000"),
      adrg("18446744073709551000 1000000"));
  // A bare quota means the default period (100 ms).
  EXPECT_EQ(stricter_limit("cpu.max", "50000\n", "60000 100000"), user("50000"));
  EXPECT_EQ(stricter_limit("cpu.max", "max\n", "60000 100000"), adrg("60000 100000"));
  for (const char* bad :
       {"", "\n", "50000 0\n", "50000 max\n", "a b\n", "1 2 3\n", "-5 100000\n"}) {
    EXPECT_EQ(stricter_limit("cpu.max", bad, "1000 100000"), adrg("1000 100000")) << bad;
  }
}

TEST(LimitMerge, IoMaxKeyByKey) {
  constexpr char kWant[] = "8:0 rbps=2097152 wbps=4194304";
  // The device had no line: no limit of the user's.
  EXPECT_EQ(stricter_limit("io.max", "", kWant), adrg(kWant));
  EXPECT_EQ(stricter_limit("io.max", "\n", kWant), adrg(kWant));
  // The kernel's line for a device whose limits were all lifted again.
  EXPECT_EQ(stricter_limit("io.max", "8:0 rbps=max wbps=max riops=max wiops=max", kWant),
            adrg(kWant));
  // The user's wbps only (docker run --device-write-bps), plus riops: merged per direction,
  // the user's riops kept.
  EXPECT_EQ(stricter_limit("io.max", "8:0 rbps=max wbps=1048576 riops=300 wiops=max", kWant),
            both("8:0 rbps=2097152 wbps=1048576 riops=300"));
  // The user's riops alone next to adrg's bps: kept.
  EXPECT_EQ(stricter_limit("io.max", "8:0 rbps=max wbps=max riops=300 wiops=max", kWant),
            both("8:0 rbps=2097152 wbps=4194304 riops=300"));
  // Stricter in every direction adrg sets: the user's line, untouched.
  constexpr char kTight[] = "8:0 rbps=1048576 wbps=1048576 riops=max wiops=max";
  EXPECT_EQ(stricter_limit("io.max", kTight, kWant), user(kTight));
  EXPECT_EQ(stricter_limit("io.max", std::string(kTight) + "\n", kWant), user(kTight));
  // adrg's "max" direction never lifts the user's.
  EXPECT_EQ(stricter_limit("io.max", "8:0 rbps=max wbps=1048576 riops=max wiops=max",
                           "8:0 rbps=2097152 wbps=max"),
            both("8:0 rbps=2097152 wbps=1048576"));
  EXPECT_EQ(stricter_limit("io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=max",
                           "8:0 rbps=5242880 wbps=max"),
            user("8:0 rbps=1048576 wbps=max riops=max wiops=max"));
  // Equal everywhere: the user's (nothing to write).
  EXPECT_EQ(stricter_limit("io.max", "8:0 rbps=2097152 wbps=4194304 riops=max wiops=max", kWant),
            user("8:0 rbps=2097152 wbps=4194304 riops=max wiops=max"));
  // Keys in any order, unknown keys treated alike.
  EXPECT_EQ(stricter_limit("io.max", "8:0 wiops=10 rbps=1", "8:0 rbps=5 wbps=5"),
            both("8:0 rbps=1 wbps=5 wiops=10"));
  // What does not parse, or another device's line: adrg's.
  for (const char* bad : {"8:0 rbps=", "8:0 rbps=-1", "8:0 rbps", "rbps=1 wbps=2",
                          "8:0 rbps=1 rbps=2", "8:0 =5", "254:0 rbps=1 wbps=1"}) {
    EXPECT_EQ(stricter_limit("io.max", bad, kWant), adrg(kWant)) << bad;
  }
  EXPECT_EQ(stricter_limit("io.max", kTight, "garbage"), adrg("garbage"));
}

TEST(LimitMerge, OtherFilesAreAdrgs) {
  EXPECT_EQ(stricter_limit("cpu.weight", "10\n", "100"), adrg("100"));
  EXPECT_EQ(stricter_limit("io.weight", "default 10\n", "default 100"), adrg("default 100"));
}

TEST(LimitMerge, UserTextForStatus) {
  EXPECT_EQ(user_limit_text("memory.max", "67108864\n"), "67108864");
  EXPECT_EQ(user_limit_text("cpu.max", "max 100000\n"), "max 100000");
  EXPECT_EQ(user_limit_text("io.max", ""), "max");
  EXPECT_EQ(user_limit_text("io.max", "8:0 rbps=1 wbps=max riops=max wiops=max"),
            "8:0 rbps=1 wbps=max riops=max wiops=max");
}

}  // namespace
}  // namespace adrg
