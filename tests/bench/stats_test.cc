#include "benchmarks/load/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace flowgrid::bench {
namespace {

std::vector<absl::Duration> Millis(int first, int last) {
  std::vector<absl::Duration> out;
  for (int i = first; i <= last; ++i) out.push_back(absl::Milliseconds(i));
  return out;
}

TEST(Percentile, NearestRank) {
  std::vector<absl::Duration> sorted = Millis(1, 100);
  EXPECT_EQ(Percentile(sorted, 50), absl::Milliseconds(50));
  EXPECT_EQ(Percentile(sorted, 90), absl::Milliseconds(90));
  EXPECT_EQ(Percentile(sorted, 99), absl::Milliseconds(99));
  EXPECT_EQ(Percentile(sorted, 99.5), absl::Milliseconds(100));
  EXPECT_EQ(Percentile(sorted, 100), absl::Milliseconds(100));
  // Ten samples: p95 is the 10th (ceil 9.5), p50 the 5th.
  std::vector<absl::Duration> ten = Millis(1, 10);
  EXPECT_EQ(Percentile(ten, 95), absl::Milliseconds(10));
  EXPECT_EQ(Percentile(ten, 50), absl::Milliseconds(5));
  EXPECT_EQ(Percentile(ten, 0.1), absl::Milliseconds(1));
}

TEST(Percentile, SingleAndEmpty) {
  EXPECT_EQ(Percentile({absl::Milliseconds(7)}, 50), absl::Milliseconds(7));
  EXPECT_EQ(Percentile({absl::Milliseconds(7)}, 99), absl::Milliseconds(7));
  EXPECT_EQ(Percentile({}, 50), absl::ZeroDuration());
}

TEST(Summarize, SortsAndAverages) {
  LatencySummary summary = Summarize(
      {absl::Milliseconds(30), absl::Milliseconds(10), absl::Milliseconds(20), absl::Milliseconds(40)});
  EXPECT_EQ(summary.count, 4);
  EXPECT_EQ(summary.min, absl::Milliseconds(10));
  EXPECT_EQ(summary.max, absl::Milliseconds(40));
  EXPECT_EQ(summary.mean, absl::Milliseconds(25));
  EXPECT_EQ(summary.p50, absl::Milliseconds(20));
  EXPECT_EQ(summary.p90, absl::Milliseconds(40));
  EXPECT_EQ(Summarize({}).count, 0);
  EXPECT_EQ(Summarize({}).p99, absl::ZeroDuration());
}

TEST(Histogram, EverySampleInOneGeometricBucket) {
  std::vector<absl::Duration> samples = Millis(1, 1000);
  std::reverse(samples.begin(), samples.end());  // order must not matter
  std::vector<HistogramBucket> histogram = Histogram(samples, 10);
  ASSERT_EQ(histogram.size(), 10u);
  int64_t total = 0;
  for (size_t i = 0; i < histogram.size(); ++i) {
    total += histogram[i].count;
    if (i > 0) {
      EXPECT_GT(histogram[i].upper, histogram[i - 1].upper);
    }
  }
  EXPECT_EQ(total, 1000);
  EXPECT_EQ(histogram.back().upper, absl::Milliseconds(1000));
  // Bounds are 1 ms * 1000^(i/10): the 5th is 10^1.5 ms ≈ 31.62 ms, so the
  // first five buckets hold the samples 1..31 ms.
  EXPECT_NEAR(absl::ToDoubleMilliseconds(histogram[4].upper), std::pow(10.0, 1.5), 1e-3);
  int64_t first_five = 0;
  for (int i = 0; i < 5; ++i) first_five += histogram[i].count;
  EXPECT_EQ(first_five, 31);
  // The fastest sample is in the first bucket (its lower bound is inclusive).
  EXPECT_EQ(histogram[0].count, 1);  // 1 ms only: the next bound is ≈ 1.995 ms
}

TEST(Histogram, EqualSamplesMakeOneBucketAndNoneMakeNone) {
  std::vector<HistogramBucket> histogram =
      Histogram({absl::Milliseconds(3), absl::Milliseconds(3), absl::Milliseconds(3)}, 10);
  ASSERT_EQ(histogram.size(), 1u);
  EXPECT_EQ(histogram[0].upper, absl::Milliseconds(3));
  EXPECT_EQ(histogram[0].count, 3);
  EXPECT_TRUE(Histogram({}, 10).empty());
}

TEST(Histogram, ZeroLatencyIsCounted) {
  std::vector<HistogramBucket> histogram =
      Histogram({absl::ZeroDuration(), absl::Microseconds(5)}, 4);
  int64_t total = 0;
  for (const HistogramBucket& bucket : histogram) total += bucket.count;
  EXPECT_EQ(total, 2);
  EXPECT_EQ(histogram.front().count, 1);
  EXPECT_EQ(histogram.back().upper, absl::Microseconds(5));
}

}  // namespace
}  // namespace flowgrid::bench
