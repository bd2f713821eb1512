// Admission of wait_for_calm jobs: a pure function of the thresholds and the snapshot's PSI.
#include <gtest/gtest.h>

#include "jobs/job_admission.h"

namespace adrg {
namespace {

std::optional<PsiStats> psi(double some_avg10) {
  PsiStats s;
  s.some.avg10 = some_avg10;
  s.full.avg10 = some_avg10 / 2;
  return s;
}

JobAdmissionConfig thresholds() {
  JobAdmissionConfig t;
  t.cpu_some_avg10_max = 40;
  t.memory_some_avg10_max = 20;
  t.io_some_avg10_max = 30;
  return t;
}

TEST(JobAdmission, CalmAdmitsWithoutReason) {
  auto v = decide_admission(thresholds(), psi(10), psi(5), psi(1));
  EXPECT_TRUE(v.admit);
  EXPECT_EQ(v.reason, "");
}

TEST(JobAdmission, ThresholdItselfIsCalm) {
  EXPECT_TRUE(decide_admission(thresholds(), psi(40), psi(20), psi(30)).admit);
}

TEST(JobAdmission, EachResourceAboveItsThresholdHoldsTheJob) {
  auto cpu = decide_admission(thresholds(), psi(40.01), psi(0), psi(0));
  EXPECT_FALSE(cpu.admit);
  EXPECT_EQ(cpu.reason, "waiting for calm: cpu pressure some avg10 40.01% > 40%");
  auto memory = decide_admission(thresholds(), psi(0), psi(25), psi(0));
  EXPECT_FALSE(memory.admit);
  EXPECT_EQ(memory.reason, "waiting for calm: memory pressure some avg10 25.00% > 20%");
  auto io = decide_admission(thresholds(), psi(0), psi(0), psi(99.5));
  EXPECT_FALSE(io.admit);
  EXPECT_EQ(io.reason, "waiting for calm: io pressure some avg10 99.50% > 30%");
}

TEST(JobAdmission, EveryOffendingResourceIsNamed) {
  auto v = decide_admission(thresholds(), psi(90), psi(21), psi(31));
  EXPECT_FALSE(v.admit);
  EXPECT_EQ(v.reason,
            "waiting for calm: cpu pressure some avg10 90.00% > 40%, memory pressure some avg10 "
            "21.00% > 20%, io pressure some avg10 31.00% > 30%");
}

TEST(JobAdmission, OnlySomeAvg10Counts) {
  PsiStats s;
  s.some.avg10 = 1;
  s.some.avg60 = 99;
  s.full.avg10 = 99;
  EXPECT_TRUE(decide_admission(thresholds(), s, s, s).admit);
}

TEST(JobAdmission, ZeroThresholdMeansNoPressureAtAll) {
  JobAdmissionConfig t;
  t.cpu_some_avg10_max = 0;
  EXPECT_TRUE(decide_admission(t, psi(0), psi(0), psi(0)).admit);
  EXPECT_FALSE(decide_admission(t, psi(0.01), psi(0), psi(0)).admit);
}

TEST(JobAdmission, MissingPsiAdmitsAndSaysSo) {
  auto v = decide_admission(thresholds(), std::nullopt, psi(1), std::nullopt);
  EXPECT_TRUE(v.admit);
  EXPECT_EQ(v.reason, "admitted without a measurement of cpu, io (no PSI)");
  // A measured resource above its threshold still holds the job.
  EXPECT_FALSE(decide_admission(thresholds(), std::nullopt, psi(50), std::nullopt).admit);
}

}  // namespace
}  // namespace adrg
