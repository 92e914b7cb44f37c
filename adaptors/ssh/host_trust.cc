// Connection's trust steps: the host key checked against known_hosts (strict by
// default, TOFU only when asked), then authentication with the credential given.
#include <cstdlib>
#include <filesystem>

#include "adaptors/ssh/session.h"
#include "cuttle/error.h"
#include "internal/log.h"

namespace cuttle::detail {
namespace {

std::string fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) {
    return "(unknown fingerprint)";
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  std::string result = text ? text : "(unknown fingerprint)";
  ssh_string_free_char(text);
  ssh_clean_pubkey_hash(&hash);
  return result;
}

}  // namespace

void Connection::verify_host_key() {
  if (settings_.host_key_policy == HostKeyPolicy::kInsecure) {
    log(LogLevel::kWarn, "ssh", "host key not checked (ssh.hostkey.policy=insecure)",
        {{"host", endpoint_.describe()}});
    return;
  }
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session_, &key) != SSH_OK) {
    throw AuthenticationFailed("ssh://" + endpoint_.describe() + " offered no host key");
  }
  std::string offered = fingerprint(key);
  std::string type = ssh_key_type_to_char(ssh_key_type(key));
  ssh_key_free(key);
  const std::string where = "host " + endpoint_.describe() + ", offered " + type + " key " +
                            offered + ", known_hosts file " + settings_.known_hosts;
  switch (ssh_session_is_known_server(session_)) {
    case SSH_KNOWN_HOSTS_OK:
      return;
    case SSH_KNOWN_HOSTS_CHANGED:
      throw AuthenticationFailed("host key MISMATCH (possible man-in-the-middle): " + where);
    case SSH_KNOWN_HOSTS_OTHER:
      throw AuthenticationFailed(
          "host key MISMATCH: known_hosts holds a key of another type for this host: " + where);
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      if (settings_.host_key_policy == HostKeyPolicy::kAcceptNew) {
        std::error_code ignored;
        std::filesystem::create_directories(
            std::filesystem::path(settings_.known_hosts).parent_path(), ignored);
        if (ssh_session_update_known_hosts(session_) != SSH_OK) {
          throw AuthenticationFailed("cannot add the host key to known_hosts: " + where + ": " +
                                     ssh_get_error(session_));
        }
        log(LogLevel::kWarn, "ssh", "added new host key to known_hosts", {{"detail", where}});
        return;
      }
      throw AuthenticationFailed(
          "unknown host key (not in known_hosts; set ssh.hostkey.policy=accept-new to trust "
          "it on first use): " +
          where);
    case SSH_KNOWN_HOSTS_ERROR:
    default:
      throw AuthenticationFailed("cannot check the host key: " + where + ": " +
                                 ssh_get_error(session_));
  }
}

void Connection::authenticate(const Credential& credential) {
  int rc = SSH_AUTH_DENIED;
  switch (credential.kind) {
    case Credential::Kind::kDefault:
      rc = ssh_userauth_publickey_auto(session_, nullptr, nullptr);
      break;
    case Credential::Kind::kKeyFile: {
      ssh_key key = nullptr;
      std::string path = expand_home(credential.key_file);
      if (ssh_pki_import_privkey_file(
              path.c_str(), credential.secret.empty() ? nullptr : credential.secret.c_str(),
              nullptr, nullptr, &key) != SSH_OK) {
        throw AuthenticationFailed(
            "cannot load " + credential.describe() +
            " (missing, unreadable, not a private key, or wrong passphrase)");
      }
      rc = ssh_userauth_publickey(session_, nullptr, key);
      ssh_key_free(key);
      break;
    }
    case Credential::Kind::kPassword:
      rc = ssh_userauth_password(session_, nullptr, credential.secret.c_str());
      if (rc == SSH_AUTH_DENIED) {
        // Servers that only offer keyboard-interactive ask for the password that way.
        rc = ssh_userauth_kbdint(session_, nullptr, nullptr);
        while (rc == SSH_AUTH_INFO) {
          int prompts = ssh_userauth_kbdint_getnprompts(session_);
          for (int i = 0; i < prompts; ++i) {
            ssh_userauth_kbdint_setanswer(session_, static_cast<unsigned>(i),
                                          credential.secret.c_str());
          }
          rc = ssh_userauth_kbdint(session_, nullptr, nullptr);
        }
      }
      break;
    case Credential::Kind::kToken:
      throw AuthenticationFailed("a bearer token cannot authenticate to ssh://" +
                                 endpoint_.describe());
  }
  if (rc == SSH_AUTH_ERROR) {
    throw ConnectionFailed("connection to ssh://" + endpoint_.describe() +
                           " failed during authentication: " + ssh_get_error(session_));
  }
  if (rc != SSH_AUTH_SUCCESS) {
    throw AuthenticationFailed("authentication to ssh://" + endpoint_.describe() + " failed with " +
                               credential.describe() + ": " + ssh_get_error(session_));
  }
}

}  // namespace cuttle::detail
