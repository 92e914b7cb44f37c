// The ssh_config subset Cuttle reads itself (HostName, User, Port, IdentityFile,
// ProxyJump) and the ?jump= list parser.
#include <gtest/gtest.h>

#include "adaptors/ssh/ssh_config.h"
#include "cuttle/error.h"

namespace cuttle::detail {
namespace {

TEST(SshConfigTest, FirstMatchingValueWinsAndIdentityFilesAccumulate) {
  const std::string text =
      "# comment\n"
      "Host hpc login-*\n"
      "  HostName login.example.org\n"
      "  User alice\n"
      "  Port=2222\n"
      "  IdentityFile ~/.ssh/hpc_key\n"
      "  ProxyJump bob@bastion:22\n"
      "Host *\n"
      "  User nobody\n"
      "  Port 22\n"
      "  IdentityFile \"/keys/with space\"\n";
  HostConfig c = parse_host_config(text, "hpc");
  EXPECT_EQ(c.host_name, "login.example.org");
  EXPECT_EQ(c.user, "alice");
  EXPECT_EQ(c.port, std::optional<std::uint16_t>(2222));
  EXPECT_EQ(c.identity_files, (std::vector<std::string>{"~/.ssh/hpc_key", "/keys/with space"}));
  EXPECT_EQ(c.proxy_jump, "bob@bastion:22");
  HostConfig other = parse_host_config(text, "elsewhere");
  EXPECT_EQ(other.user, "nobody");
  EXPECT_EQ(other.host_name, "");
  EXPECT_EQ(parse_host_config(text, "login-3").user, "alice");
}

TEST(SshConfigTest, NegatedPatternExcludesAHost) {
  const std::string text = "Host * !secret\n  User shared\n";
  EXPECT_EQ(parse_host_config(text, "any").user, "shared");
  EXPECT_EQ(parse_host_config(text, "secret").user, "");
}

TEST(SshConfigTest, MatchBlocksAreSkipped) {
  const std::string text = "Match exec \"touch /tmp/x\"\n  User evil\nHost a\n  User good\n";
  EXPECT_EQ(parse_host_config(text, "a").user, "good");
}

TEST(SshConfigTest, HostNameTokenExpands) {
  EXPECT_EQ(parse_host_config("Host *\n HostName %h.cluster\n", "n1").host_name, "n1.cluster");
}

TEST(SshConfigTest, BadPortIsInvalidArgument) {
  EXPECT_THROW(parse_host_config("Host *\n Port 99999\n", "a"), InvalidArgument);
}

TEST(SshJumpListTest, ParsesUsersPortsAndIpv6) {
  auto jumps = parse_jump_list("alice@bastion:2222,inner,[::1]:22,ssh://bob@gw");
  ASSERT_EQ(jumps.size(), 4u);
  EXPECT_EQ(jumps[0].user, "alice");
  EXPECT_EQ(jumps[0].host, "bastion");
  EXPECT_EQ(jumps[0].port, std::optional<std::uint16_t>(2222));
  EXPECT_EQ(jumps[1].host, "inner");
  EXPECT_FALSE(jumps[1].port);
  EXPECT_EQ(jumps[2].host, "::1");
  EXPECT_EQ(jumps[3].user, "bob");
  EXPECT_EQ(jumps[3].host, "gw");
}

TEST(SshJumpListTest, MalformedEntriesAreRefused) {
  for (const char* bad : {"", "a,,b", "host:", "host:0", "host:abc", "[::1", "a b", "@"}) {
    EXPECT_THROW(parse_jump_list(bad), InvalidArgument) << bad;
  }
}

TEST(SshRouteTest, LocationAndCredentialUserWinOverConfig) {
  Location location = Location::parse("ssh://carol@hpc:2200?jump=j1:23");
  Credential credential = Credential::key("/k");
  Route route = resolve_route(location, credential, "");
  EXPECT_EQ(route.target.user, "carol");
  EXPECT_EQ(route.target.port, 2200);
  ASSERT_EQ(route.jumps.size(), 1u);
  EXPECT_EQ(route.jumps[0].host, "j1");
  EXPECT_EQ(route.jumps[0].port, 23);
  credential.user = "dave";
  EXPECT_EQ(resolve_route(location, credential, "").target.user, "dave");
  EXPECT_TRUE(resolve_route(Location::parse("ssh://h?jump=none"), credential, "").jumps.empty());
}

}  // namespace
}  // namespace cuttle::detail
