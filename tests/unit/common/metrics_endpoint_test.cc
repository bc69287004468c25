#include "common/metrics/metrics_endpoint.h"

#include <cstdint>
#include <ctime>
#include <map>
#include <string>

#include "common/metrics/latency_buckets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "tests/unit/common/http_get.h"
#include "tests/unit/common/prometheus_samples.h"

namespace flowgrid {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The value of `series` ("name{labels}" or "name") in a scrape, or -1.
double SampleValue(const std::string& exposition, const std::string& series) {
  std::map<std::string, double> samples = testing::ParseSamples(exposition);
  auto it = samples.find(series);
  return it == samples.end() ? -1 : it->second;
}

// Spends about 50 ms of CPU (bounded in iterations too), so that the
// process CPU counter has moved past its first clock tick.
void SpendCpu() {
  const std::clock_t start = std::clock();
  volatile uint64_t sum = 0;
  for (uint64_t i = 0; i < 4'000'000'000 && std::clock() - start < CLOCKS_PER_SEC / 20; ++i) {
    sum = sum + i;
  }
}

TEST(MetricsEndpoint, ServesBuildInfoProcessMetricsAndTheRegistry) {
  auto endpoint = MetricsEndpoint::Start("127.0.0.1:0", "scheduler");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_THAT((*endpoint)->bound_address(), StartsWith("127.0.0.1:"));
  EXPECT_NE((*endpoint)->bound_address(), "127.0.0.1:0");
  prometheus::BuildCounter()
      .Name("flowgrid_test_events_total")
      .Help("events")
      .Register(*(*endpoint)->registry())
      .Add({})
      .Increment(3);

  SpendCpu();

  absl::StatusOr<std::string> body = testing::HttpGet((*endpoint)->bound_address(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(SampleValue(*body, "flowgrid_build_info{component=\"scheduler\",version=\"0.1.0\"}"),
            1);
  EXPECT_EQ(SampleValue(*body, "flowgrid_test_events_total"), 3);
  EXPECT_GT(SampleValue(*body, "process_cpu_seconds_total"), 0);
  EXPECT_GT(SampleValue(*body, "process_resident_memory_bytes"), 1 << 20);
  // This test has at least stdin/out/err and the endpoint's listening socket.
  EXPECT_GE(SampleValue(*body, "process_open_fds"), 4);
  const double started = SampleValue(*body, "process_start_time_seconds");
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(started, now - 3600);
  EXPECT_LE(started, now + 1);
  EXPECT_THAT(*body, HasSubstr("# TYPE process_cpu_seconds_total counter"));
}

TEST(MetricsEndpoint, MalformedAddressIsAnErrorNamingIt) {
  for (const char* addr : {"", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", ":0",
                           "127.0.0.1:0,127.0.0.1:1"}) {
    auto endpoint = MetricsEndpoint::Start(addr, "worker");
    ASSERT_FALSE(endpoint.ok()) << addr;
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << addr;
    EXPECT_THAT(endpoint.status().message(), HasSubstr(addr));
  }
}

TEST(MetricsEndpoint, PortInUseIsAnErrorNotAnAbort) {
  auto first = MetricsEndpoint::Start("127.0.0.1:0", "worker");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = MetricsEndpoint::Start((*first)->bound_address(), "worker");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr((*first)->bound_address()));
}

TEST(MetricsEndpoint, AddressOfNoLocalInterfaceIsAnError) {
  // 192.0.2.0/24 is reserved for documentation; no interface has it.
  auto endpoint = MetricsEndpoint::Start("192.0.2.1:0", "worker");
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(endpoint.status().message(), HasSubstr("192.0.2.1:0"));
}

TEST(LatencyBuckets, AreIncreasingFromHalfAMillisecondToTwoMinutes) {
  const std::vector<double>& buckets = LatencyBuckets();
  ASSERT_EQ(buckets.size(), 17u);
  EXPECT_EQ(buckets.front(), 0.0005);
  EXPECT_EQ(buckets.back(), 120);
  for (size_t i = 1; i < buckets.size(); ++i) EXPECT_LT(buckets[i - 1], buckets[i]);
}

}  // namespace
}  // namespace flowgrid
