// Credential::describe, which never reveals a secret.
#include "cuttle/credential.h"

namespace cuttle {

std::string Credential::describe() const {
  std::string who = user.empty() ? "" : " for " + user;
  switch (kind) {
    case Kind::kDefault:
      return "default credentials (agent, ~/.ssh keys, config)" + who;
    case Kind::kKeyFile:
      return "key file " + key_file + (secret.empty() ? "" : " (with passphrase)") + who;
    case Kind::kPassword:
      return "password" + who;
    case Kind::kToken:
      return "bearer token" + who;
  }
  return "credential";
}

}  // namespace cuttle
