// Reads kubeconfig files the way kubectl does and resolves one context into what a client
// needs to reach an API server: the server URL, the CA to verify it with, and the user's
// credentials (token, token file, client certificate and key, exec plugin). Also the
// in-cluster service account. Every refusal names the file, the context, the user entry
// and the reason. Never prints a secret.
// Thread-safety: pure functions (they read files and the environment).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cuttle::detail {

// users[].user.exec with apiVersion client.authentication.k8s.io/v1 (or v1beta1).
struct ExecPlugin {
  std::string api_version;
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
};

struct ClusterAccess {
  std::string server;  // "https://host:port", without a trailing slash
  std::string namespace_name = "default";
  std::string context;     // the context it came from ("" for in-cluster)
  std::string user_entry;  // the users[] entry, for messages
  std::string origin;      // the kubeconfig file(s) or "in-cluster service account"
  std::string ca_pem;      // empty: the system's CAs
  bool insecure_skip_tls_verify = false;
  std::string token;       // bearer token given inline
  std::string token_file;  // re-read on a 401
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<ExecPlugin> exec;

  // "server https://h:6443, context ctx, user entry alice (kubeconfig /x)": for refusals.
  std::string describe() const;
};

// Parses a kubeconfig's text (YAML 1.1 as kubectl writes it, or JSON) into a JSON tree.
// Throws InvalidArgument naming `origin` and the line when the text is not a mapping.
nlohmann::json parse_kubeconfig_text(std::string_view text, const std::string& origin);

// Merges kubeconfig trees like kubectl: the first file that defines a named cluster,
// user or context wins, and the first current-context that is set wins.
struct KubeconfigFile {
  std::string path;  // relative paths inside are relative to its directory
  nlohmann::json tree;
};

// Resolves `context` (empty: current-context) from `files`. Inline *-data fields are
// base64-decoded; file fields are read. Throws InvalidArgument naming what is missing.
ClusterAccess resolve_context(const std::vector<KubeconfigFile>& files, const std::string& context);

// The files kubectl reads: $KUBECONFIG (a ':'-separated list; missing files are
// skipped) or ~/.kube/config. `explicit_path` (a property) replaces both.
std::vector<std::string> kubeconfig_paths(const std::string& explicit_path);
std::vector<KubeconfigFile> load_kubeconfigs(const std::vector<std::string>& paths);

// The pod's service account (KUBERNETES_SERVICE_HOST/_PORT and
// /var/run/secrets/kubernetes.io/serviceaccount), or nullopt outside a cluster.
std::optional<ClusterAccess> in_cluster_access(
    const std::string& account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

}  // namespace cuttle::detail
