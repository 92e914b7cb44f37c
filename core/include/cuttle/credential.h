// How to authenticate to a target. Secrets are never printed by describe().
// Thread-safety: value type.
#pragma once

#include <string>

namespace cuttle {

struct Credential {
  enum class Kind {
    kDefault,   // ssh agent, ~/.ssh keys and config; kubeconfig
    kKeyFile,   // private key file (+ optional passphrase)
    kPassword,  // user name + password
    kToken,     // bearer token (Kubernetes, REST)
  };
  Kind kind = Kind::kDefault;
  std::string user;  // overrides the location's user when set
  std::string key_file;
  std::string secret;  // passphrase, password or token

  static Credential default_credential() { return {}; }
  static Credential key(std::string path, std::string passphrase = {}) {
    return {Kind::kKeyFile, {}, std::move(path), std::move(passphrase)};
  }
  static Credential password(std::string user, std::string password) {
    return {Kind::kPassword, std::move(user), {}, std::move(password)};
  }
  static Credential token(std::string token) { return {Kind::kToken, {}, {}, std::move(token)}; }

  // "key file /home/a/.ssh/id_ed25519 (with passphrase)"; never the secret itself.
  std::string describe() const;
};

}  // namespace cuttle
