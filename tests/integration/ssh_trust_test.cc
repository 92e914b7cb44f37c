// Host-key trust, authentication and routing against the real test sshd pair: strict
// checking (plain and hashed known_hosts entries on a non-22 port), refusal of unknown
// and wrong keys with the host, the offered fingerprint and the file consulted,
// accept-new, insecure mode, and ProxyJump through the second sshd (?jump= and
// ~/.ssh/config style) over a direct-tcpip tunnel, never the ssh binary.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "adaptors/ssh/remote.h"
#include "tests/integration/ssh_test_env.h"

namespace cuttle {
namespace {

namespace fs = std::filesystem;
using ssh_test::read_file;
using ssh_test::write_file;

class SshTrustTest : public ssh_test::ScratchTest {
 protected:
  // Each test uses its own known_hosts path, so it gets its own pooled session.
  detail::Remote open(const std::string& location, std::map<std::string, std::string> values,
                      Credential credential = ssh_test::credential()) {
    if (!values.count("ssh.config")) values["ssh.config"] = "none";
    return detail::open_remote(Location::parse(location),
                               Properties(detail::ssh_property_descriptors(), values), credential);
  }

  std::string run_keygen(const std::vector<std::string>& argv) {
    CommandResult r = LocalRunner().run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    return r.stdout_text;
  }

  // "SHA256:..." of the test server's host key, as ssh-keygen prints it.
  std::string server_fingerprint() {
    std::string pub = fs::path(ssh_test::key()).parent_path() / "host_ed25519.pub";
    std::string out = run_keygen({"ssh-keygen", "-l", "-E", "sha256", "-f", pub});
    return out.substr(out.find("SHA256:"),
                      out.find(' ', out.find("SHA256:")) - out.find("SHA256:"));
  }

  // Writes a known_hosts file `kh` that names the test server with a fresh key of
  // another host: the server's own key then does not match it.
  void write_known_hosts_with_another_key(const std::string& kh) {
    run_keygen({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir_ + "/other"});
    std::string other = read_file(dir_ + "/other.pub");
    write_file(kh,
               "[127.0.0.1]:" + ssh_test::port() + " " + other.substr(0, other.rfind(' ')) + "\n");
  }
};

// An ssh_config Host block for the test sshd (or its jump host) listening on `port`.
std::string host_block(const std::string& alias, const std::string& port) {
  return "Host " + alias + "\n  HostName 127.0.0.1\n  Port " + port + "\n  User " +
         ssh_test::user() + "\n  IdentityFile " + ssh_test::key() + "\n";
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const AuthenticationFailed& e) {
    return e.what();
  }
  return "(no AuthenticationFailed)";
}

TEST_F(SshTrustTest, StrictCheckingAcceptsTheKnownHostOnANon22Port) {
  std::string kh = dir_ + "/known_hosts";
  fs::copy_file(ssh_test::known_hosts(), kh);
  auto remote = open(ssh_test::location(), {{"ssh.known_hosts", kh}});
  EXPECT_EQ(remote.runner->run({"echo", "ok"}).stdout_text, "ok\n");
}

TEST_F(SshTrustTest, HashedKnownHostsEntriesAreAccepted) {
  std::string kh = dir_ + "/known_hosts";
  fs::copy_file(ssh_test::known_hosts(), kh);
  run_keygen({"ssh-keygen", "-H", "-f", kh});
  ASSERT_EQ(read_file(kh).rfind("|1|", 0), 0u) << "entries are hashed";
  auto remote = open(ssh_test::location(), {{"ssh.known_hosts", kh}});
  EXPECT_EQ(remote.runner->run({"echo", "ok"}).stdout_text, "ok\n");
}

TEST_F(SshTrustTest, UnknownHostIsRefusedNamingHostFingerprintAndFile) {
  std::string kh = dir_ + "/empty_known_hosts";
  write_file(kh, "");
  std::string message = error_of([&] { open(ssh_test::location(), {{"ssh.known_hosts", kh}}); });
  EXPECT_NE(message.find("127.0.0.1:" + ssh_test::port()), std::string::npos) << message;
  EXPECT_NE(message.find(server_fingerprint()), std::string::npos) << message;
  EXPECT_NE(message.find(kh), std::string::npos) << message;
  EXPECT_EQ(read_file(kh), "") << "strict mode never writes known_hosts";
}

TEST_F(SshTrustTest, WrongHostKeyIsRefusedNamingHostFingerprintAndFile) {
  std::string kh = dir_ + "/wrong_known_hosts";
  write_known_hosts_with_another_key(kh);
  std::string message = error_of([&] { open(ssh_test::location(), {{"ssh.known_hosts", kh}}); });
  EXPECT_NE(message.find("MISMATCH"), std::string::npos) << message;
  EXPECT_NE(message.find("127.0.0.1:" + ssh_test::port()), std::string::npos) << message;
  EXPECT_NE(message.find(server_fingerprint()), std::string::npos) << message;
  EXPECT_NE(message.find(kh), std::string::npos) << message;
}

TEST_F(SshTrustTest, AcceptNewAddsTheKeyAndStrictModeThenTrustsIt) {
  std::string kh = dir_ + "/sub/known_hosts";  // neither the file nor its directory exist
  auto remote =
      open(ssh_test::location(), {{"ssh.known_hosts", kh}, {"ssh.hostkey.policy", "accept-new"}});
  EXPECT_EQ(remote.runner->run({"true"}).exit_code, 0);
  EXPECT_NE(read_file(kh).find("[127.0.0.1]:" + ssh_test::port()), std::string::npos)
      << read_file(kh);
  // A fresh session (other settings, so not pooled with the first) in strict mode.
  auto strict = open(ssh_test::location(), {{"ssh.known_hosts", kh}, {"ssh.max.channels", "7"}});
  EXPECT_EQ(strict.runner->run({"true"}).exit_code, 0);
}

TEST_F(SshTrustTest, AcceptNewStillRefusesAChangedKey) {
  std::string kh = dir_ + "/known_hosts";
  write_known_hosts_with_another_key(kh);
  std::string message = error_of([&] {
    open(ssh_test::location(), {{"ssh.known_hosts", kh}, {"ssh.hostkey.policy", "accept-new"}});
  });
  EXPECT_NE(message.find("MISMATCH"), std::string::npos) << message;
}

TEST_F(SshTrustTest, InsecureModeIsAnExplicitOptIn) {
  std::string kh = dir_ + "/empty";
  write_file(kh, "");
  auto remote =
      open(ssh_test::location(), {{"ssh.known_hosts", kh}, {"ssh.hostkey.policy", "insecure"}});
  EXPECT_EQ(remote.runner->run({"true"}).exit_code, 0);
  EXPECT_THROW(open(ssh_test::location(), {{"ssh.known_hosts", kh}, {"ssh.hostkey.policy", "lax"}}),
               InvalidArgument);
}

TEST_F(SshTrustTest, UnauthorisedUserKeyIsAuthenticationFailed) {
  run_keygen({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir_ + "/stranger"});
  std::string message = error_of([&] {
    open(ssh_test::location(),
         {{"ssh.known_hosts", ssh_test::known_hosts()}, {"ssh.max.channels", "5"}},
         Credential::key(dir_ + "/stranger"));
  });
  EXPECT_NE(message.find("127.0.0.1:" + ssh_test::port()), std::string::npos) << message;
  EXPECT_NE(message.find("stranger"), std::string::npos) << message;
}

TEST_F(SshTrustTest, PassphraseProtectedKeyFileWorksWithItsPassphrase) {
  std::string key = dir_ + "/locked";
  fs::copy_file(ssh_test::key(), key);
  ::chmod(key.c_str(), 0600);
  run_keygen({"ssh-keygen", "-q", "-p", "-P", "", "-N", "s3cret 'pass'", "-f", key});
  auto remote = open(ssh_test::location(),
                     {{"ssh.known_hosts", ssh_test::known_hosts()}, {"ssh.max.channels", "6"}},
                     Credential::key(key, "s3cret 'pass'"));
  EXPECT_EQ(remote.runner->run({"true"}).exit_code, 0);
  std::string message = error_of([&] {
    open(ssh_test::location(),
         {{"ssh.known_hosts", ssh_test::known_hosts()}, {"ssh.max.channels", "4"}},
         Credential::key(key, "wrong"));
  });
  EXPECT_NE(message.find("passphrase"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << "the secret is never printed";
}

// TCP peers (remote ports) of this process's sockets, from /proc.
std::multiset<int> connected_ports() {
  std::set<std::string> inodes;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    std::string target = fs::read_symlink(entry.path(), ec);
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::multiset<int> ports;
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);
  while (std::getline(tcp, line)) {
    std::istringstream in(line);
    std::string slot, local, remote, state, queues, timer, retr, uid, timeout, inode;
    in >> slot >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
    if (state == "01" && inodes.count(inode)) {
      ports.insert(std::stoi(remote.substr(remote.find(':') + 1), nullptr, 16));
    }
  }
  return ports;
}

TEST_F(SshTrustTest, JumpHostQueryTunnelsThroughTheSecondSshd) {
  ASSERT_FALSE(ssh_test::jump_port().empty());
  std::string location =
      ssh_test::location() + "?jump=" + ssh_test::user() + "@127.0.0.1:" + ssh_test::jump_port();
  auto remote =
      open(location, {{"ssh.known_hosts", ssh_test::known_hosts()}, {"ssh.max.channels", "3"}});
  EXPECT_EQ(remote.runner->run({"printf", "%s", "via jump"}).stdout_text, "via jump");
  // Our only TCP connection for this route goes to the jump host; the target is reached
  // from inside it (direct-tcpip), so the target's sshd sees the jump host as the peer.
  std::multiset<int> ports = connected_ports();
  EXPECT_GE(ports.count(std::stoi(ssh_test::jump_port())), 1u);
  std::string connection =
      remote.runner->run({"/bin/sh", "-c", "echo $SSH_CONNECTION"}).stdout_text;
  EXPECT_NE(connection.find(" 127.0.0.1 " + ssh_test::port()), std::string::npos) << connection;
  remote.files->write_file(dir_ + "/through-jump", "sftp too");
  EXPECT_EQ(read_file(dir_ + "/through-jump"), "sftp too");
}

TEST_F(SshTrustTest, SshConfigHostNamePortUserIdentityFileAndProxyJumpAreHonoured) {
  std::string config = dir_ + "/config";
  write_file(config, host_block("cuttle-target", ssh_test::port()) + "  ProxyJump cuttle-jump\n" +
                         host_block("cuttle-jump", ssh_test::jump_port()) +
                         "Host *\n"
                         "  Port 1\n");
  auto remote = open("ssh://cuttle-target",
                     {{"ssh.known_hosts", ssh_test::known_hosts()}, {"ssh.config", config}},
                     Credential::default_credential());
  EXPECT_EQ(remote.runner->run({"whoami"}).stdout_text, ssh_test::user() + "\n");
  EXPECT_EQ(remote.runner->describe(),
            "ssh://" + ssh_test::user() + "@127.0.0.1:" + ssh_test::port());
}

TEST_F(SshTrustTest, UnreachableHostIsConnectionFailedWithinTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  try {
    open("ssh://root@127.0.0.1:1",
         {{"ssh.known_hosts", ssh_test::known_hosts()}, {"ssh.connect.timeout", "3s"}});
    FAIL() << "expected ConnectionFailed";
  } catch (const ConnectionFailed& e) {
    EXPECT_TRUE(e.transient());
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(SshTrustTest, MalformedJumpListIsInvalidArgument) {
  EXPECT_THROW(open(ssh_test::location() + "?jump=root@127.0.0.1:notaport",
                    {{"ssh.known_hosts", ssh_test::known_hosts()}}),
               InvalidArgument);
}

}  // namespace
}  // namespace cuttle
