#include "scheduler/service/client_identity.h"

#include "gtest/gtest.h"

namespace flowgrid::service {
namespace {

TEST(PeerHostTest, DropsThePortOfIpv4AndIpv6Peers) {
  EXPECT_EQ(PeerHost("ipv4:127.0.0.1:53412"), "127.0.0.1");
  EXPECT_EQ(PeerHost("ipv6:[::1]:53412"), "[::1]");
  EXPECT_EQ(PeerHost("ipv6:[fe80::1%25eth0]:7070"), "[fe80::1%25eth0]");
}

TEST(PeerHostTest, KeepsOtherPeersWhole) {
  EXPECT_EQ(PeerHost("unix:/run/flowgrid.sock"), "unix:/run/flowgrid.sock");
  EXPECT_EQ(PeerHost(""), "");
}

}  // namespace
}  // namespace flowgrid::service
