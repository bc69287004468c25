#include "scheduler/limits/client_rate_limiter.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace flowgrid::limits {
namespace {

// A clock the test moves by hand.
class FakeClock {
 public:
  absl::Time Now() const { return now_; }
  void Advance(absl::Duration d) { now_ += d; }
  ClientRateLimiter::Clock AsClock() {
    return [this] { return Now(); };
  }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
};

TEST(ClientRateLimiter, ABurstPassesThenTheNextWaitsForItsToken) {
  FakeClock clock;
  ClientRateLimiter limiter(/*rate=*/4, /*burst=*/3, clock.AsClock());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.TryAcquire("a"), std::nullopt) << i;
  EXPECT_EQ(limiter.TryAcquire("a"), absl::Milliseconds(250));

  clock.Advance(absl::Milliseconds(100));
  EXPECT_EQ(limiter.TryAcquire("a"), absl::Milliseconds(150));
  clock.Advance(absl::Milliseconds(150));
  EXPECT_EQ(limiter.TryAcquire("a"), std::nullopt);
  EXPECT_EQ(limiter.TryAcquire("a"), absl::Milliseconds(250));
}

TEST(ClientRateLimiter, HoldsTheRateOverTimeAndNeverRefillsBeyondTheBurst) {
  FakeClock clock;
  ClientRateLimiter limiter(/*rate=*/10, /*burst=*/2, clock.AsClock());
  int allowed = 0;
  // 10 s in steps of 25 ms: at most the burst plus 10 per second.
  for (int step = 0; step < 400; ++step) {
    if (!limiter.TryAcquire("a").has_value()) ++allowed;
    clock.Advance(absl::Milliseconds(25));
  }
  // The burst at 0 and 25 ms, then one every 100 ms up to 9.9 s.
  EXPECT_EQ(allowed, 2 + 99);

  clock.Advance(absl::Hours(1));
  EXPECT_EQ(limiter.TryAcquire("a"), std::nullopt);
  EXPECT_EQ(limiter.TryAcquire("a"), std::nullopt);
  EXPECT_TRUE(limiter.TryAcquire("a").has_value());
}

TEST(ClientRateLimiter, EachClientHasItsOwnBucket) {
  FakeClock clock;
  ClientRateLimiter limiter(/*rate=*/1, /*burst=*/1, clock.AsClock());
  EXPECT_EQ(limiter.TryAcquire("a"), std::nullopt);
  EXPECT_EQ(limiter.TryAcquire("a"), absl::Seconds(1));
  EXPECT_EQ(limiter.TryAcquire("b"), std::nullopt);
  EXPECT_EQ(limiter.TryAcquire("b"), absl::Seconds(1));
}

TEST(ClientRateLimiter, WaitsAreRoundedUpToWholeMilliseconds) {
  FakeClock clock;
  ClientRateLimiter limiter(/*rate=*/3, /*burst=*/1, clock.AsClock());
  EXPECT_EQ(limiter.TryAcquire("a"), std::nullopt);
  EXPECT_EQ(limiter.TryAcquire("a"), absl::Milliseconds(334));
}

TEST(ClientRateLimiter, IdleClientsAreForgottenOnceTheirBucketsRefilled) {
  FakeClock clock;
  // Refill time: burst / rate = 1 s.
  ClientRateLimiter limiter(/*rate=*/2, /*burst=*/2, clock.AsClock());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(limiter.TryAcquire("client-" + std::to_string(i)), std::nullopt);
  }
  EXPECT_EQ(limiter.tracked_clients(), 100u);
  // One client stays busy; the others idle for a refill time.
  clock.Advance(absl::Milliseconds(600));
  EXPECT_EQ(limiter.TryAcquire("client-0"), std::nullopt);
  EXPECT_EQ(limiter.TryAcquire("client-0"), std::nullopt);
  clock.Advance(absl::Milliseconds(600));
  EXPECT_EQ(limiter.TryAcquire("new"), std::nullopt);
  // Swept: the 99 idle ones, full again; kept: client-0 (still refilling)
  // and the newcomer.
  EXPECT_EQ(limiter.tracked_clients(), 2u);
  // A forgotten client starts again with a full burst.
  EXPECT_EQ(limiter.TryAcquire("client-5"), std::nullopt);
  EXPECT_EQ(limiter.TryAcquire("client-5"), std::nullopt);
  EXPECT_TRUE(limiter.TryAcquire("client-5").has_value());
}

TEST(ClientRateLimiter, TheFlagsBurstIsATenthOfASecondsWorthAtLeastOne) {
  EXPECT_EQ(ClientRateLimiter::BurstForRate(1000), 100);
  EXPECT_EQ(ClientRateLimiter::BurstForRate(25), 3);
  EXPECT_EQ(ClientRateLimiter::BurstForRate(2), 1);
  EXPECT_EQ(ClientRateLimiter::BurstForRate(0.5), 1);
}

}  // namespace
}  // namespace flowgrid::limits
