#include "common/listen_address.h"

#include "gtest/gtest.h"

namespace flowgrid {
namespace {

TEST(ListenAddressHostTest, ReturnsTheHostOfHostPort) {
  EXPECT_EQ(*ListenAddressHost("127.0.0.1:0", "console address"), "127.0.0.1");
  EXPECT_EQ(*ListenAddressHost("0.0.0.0:65535", "console address"), "0.0.0.0");
  EXPECT_EQ(*ListenAddressHost("[::1]:9464", "metrics address"), "[::1]");
}

TEST(ListenAddressHostTest, RefusesWhatIsNotOneHostPortNamingTheFlag) {
  for (const char* bad : {"9464", ":9464", "host:", "host:port", "host:65536", "host:-1",
                          "127.0.0.1:8080,8443s"}) {
    absl::StatusOr<std::string> host = ListenAddressHost(bad, "metrics address");
    ASSERT_FALSE(host.ok()) << bad;
    EXPECT_EQ(host.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(host.status().message(),
              std::string("metrics address \"") + bad + "\" is not HOST:PORT (port 0..65535)");
  }
}

}  // namespace
}  // namespace flowgrid
