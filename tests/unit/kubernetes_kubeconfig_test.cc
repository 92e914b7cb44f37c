// kubeconfig reading: kubectl's merge and context resolution, inline and file credentials,
// exec plugins, and hostile input (not YAML, alias bombs, deep nesting, wrong types).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "adaptors/kubernetes/kubeconfig.h"
#include "cuttle/error.h"
#include "test_util.h"

namespace cuttle::detail {
namespace {

// kubectl's own layout: block mappings, and flow mappings as kubectl config view prints.
constexpr const char* kConfig = R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: Q0EgUEVN
- name: lab
  cluster: {server: "https://lab:443", insecure-skip-tls-verify: true}
users:
- name: alice
  user:
    token: secret-token
- name: bob
  user:
    tokenFile: bob.token
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: get-token
      args: ["--cluster", "prod"]
      env: [{name: REGION, value: eu}]
contexts:
- name: a
  context: {cluster: prod, user: alice, namespace: jobs}
- name: b
  context: {cluster: lab, user: bob}
- name: p
  context: {cluster: prod, user: plugin}
current-context: a
)";

std::vector<KubeconfigFile> one(const std::string& text, const std::string& path = "/k/config") {
  return {{path, parse_kubeconfig_text(text, path)}};
}

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Kubeconfig, CurrentContextGivesServerNamespaceCaAndToken) {
  ClusterAccess a = resolve_context(one(kConfig), "");
  EXPECT_EQ(a.server, "https://10.0.0.1:6443");
  EXPECT_EQ(a.namespace_name, "jobs");
  EXPECT_EQ(a.ca_pem, "CA PEM");
  EXPECT_EQ(a.token, "secret-token");
  EXPECT_EQ(a.user_entry, "alice");
  EXPECT_FALSE(a.insecure_skip_tls_verify);
  EXPECT_EQ(a.describe().find("secret"), std::string::npos) << "never print a secret";
}

TEST(Kubeconfig, NamedContextWithFlowMappingsAndRelativeTokenFile) {
  ClusterAccess a = resolve_context(one(kConfig, "/etc/kube/config"), "b");
  EXPECT_EQ(a.server, "https://lab:443");
  EXPECT_TRUE(a.insecure_skip_tls_verify);
  EXPECT_EQ(a.namespace_name, "default");
  EXPECT_EQ(a.token_file, "/etc/kube/bob.token");
  EXPECT_EQ(a.client_cert_pem, "CERT");
  EXPECT_EQ(a.client_key_pem, "KEY");
}

TEST(Kubeconfig, ExecPluginIsRead) {
  ClusterAccess a = resolve_context(one(kConfig), "p");
  ASSERT_TRUE(a.exec.has_value());
  EXPECT_EQ(a.exec->command, "get-token");
  EXPECT_EQ(a.exec->args, (std::vector<std::string>{"--cluster", "prod"}));
  EXPECT_EQ(a.exec->env.at("REGION"), "eu");
}

TEST(Kubeconfig, FirstFileWinsLikeKubectl) {
  std::vector<KubeconfigFile> files =
      one("clusters: [{name: prod, cluster: {server: 'https://first:1'}}]\ncurrent-context: a\n",
          "/first");
  files.push_back(one(kConfig)[0]);
  ClusterAccess a = resolve_context(files, "");
  EXPECT_EQ(a.server, "https://first:1");
  EXPECT_EQ(a.token, "secret-token");  // the user comes from the second file
}

TEST(Kubeconfig, RefusalsNameFileContextAndWhy) {
  EXPECT_NE(refusal([] { resolve_context(one(kConfig), "nope"); }).find("no context named 'nope'"),
            std::string::npos);
  EXPECT_NE(
      refusal([] { resolve_context(one("current-context: ''\n"), ""); }).find("no current-context"),
      std::string::npos);
  const std::string missing_user =
      "clusters: [{name: c, cluster: {server: 'https://x:1'}}]\n"
      "contexts: [{name: x, context: {cluster: c, user: ghost}}]\ncurrent-context: x\n";
  EXPECT_NE(refusal([&] { resolve_context(one(missing_user), ""); }).find("no user named 'ghost'"),
            std::string::npos);
  const std::string half_cert =
      "clusters: [{name: c, cluster: {server: 'https://x:1'}}]\n"
      "users: [{name: u, user: {client-certificate-data: Q0VSVA==}}]\n"
      "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
  EXPECT_NE(refusal([&] { resolve_context(one(half_cert), ""); }).find("user u"),
            std::string::npos);
  const std::string bad_b64 =
      "clusters: [{name: c, cluster: {server: 'https://x:1', certificate-authority-data: '%%%'}}]\n"
      "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n";
  EXPECT_NE(refusal([&] { resolve_context(one(bad_b64), ""); }).find("not base64"),
            std::string::npos);
  const std::string old_exec =
      "clusters: [{name: c, cluster: {server: 'https://x:1'}}]\n"
      "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, "
      "command: x}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
  EXPECT_NE(refusal([&] { resolve_context(one(old_exec), ""); }).find("v1alpha1"),
            std::string::npos);
  const std::string missing_file =
      "clusters: [{name: c, cluster: {server: 'https://x:1', certificate-authority: nope.crt}}]\n"
      "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n";
  EXPECT_NE(refusal([&] {
              resolve_context(one(missing_file, "/no/where/config"), "");
            }).find("/no/where/nope.crt"),
            std::string::npos);
}

TEST(Kubeconfig, HostileTextIsRefusedCleanly) {
  EXPECT_NE(refusal([] { parse_kubeconfig_text("a: [unclosed\n", "/k"); }).find("line"),
            std::string::npos);
  EXPECT_NE(refusal([] { parse_kubeconfig_text("- a\n- b\n", "/k"); }).find("not a mapping"),
            std::string::npos);
  std::string deep(200, '[');
  EXPECT_NE(refusal([&] { parse_kubeconfig_text("a: " + deep, "/k"); }), "(accepted)");
  std::string nested = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  EXPECT_NE(refusal([&] { parse_kubeconfig_text(nested, "/k"); }).find("too deeply"),
            std::string::npos);
  // Each level doubles: 2^30 nodes if aliases were expanded without a bound.
  std::string bomb = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 30; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  EXPECT_NE(refusal([&] { parse_kubeconfig_text(bomb, "/k"); }).find("too deeply"),
            std::string::npos);
  EXPECT_EQ(parse_kubeconfig_text("", "/k"), nlohmann::json::object());
  // Wrong types where strings belong.
  const std::string typed =
      "clusters: [{name: c, cluster: {server: [1, 2]}}]\n"
      "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n";
  EXPECT_NE(refusal([&] { resolve_context(one(typed), ""); }).find("must be a string"),
            std::string::npos);
  EXPECT_NE(refusal([] { resolve_context({}, ""); }).find("no kubeconfig"), std::string::npos);
}

TEST(Kubeconfig, PathsFollowKubeconfigListThenHome) {
  cuttle::testing::TempDir dir;
  ::setenv("KUBECONFIG",
           (dir.path() + "/a:" + dir.path() + "/missing::" + dir.path() + "/b").c_str(), 1);
  std::vector<std::string> paths = kubeconfig_paths("");
  EXPECT_EQ(paths.size(), 3u);
  std::ofstream(dir.path() + "/a") << kConfig;
  std::ofstream(dir.path() + "/b") << "current-context: b\n";
  EXPECT_EQ(load_kubeconfigs(paths).size(), 2u) << "missing files in the list are skipped";
  EXPECT_EQ(kubeconfig_paths("/explicit"), std::vector<std::string>{"/explicit"});
  ::unsetenv("KUBECONFIG");
  ::setenv("HOME", dir.path().c_str(), 1);
  EXPECT_EQ(kubeconfig_paths(""), std::vector<std::string>{dir.path() + "/.kube/config"});
}

TEST(Kubeconfig, InClusterServiceAccount) {
  cuttle::testing::TempDir dir;
  std::ofstream(dir.path() + "/token") << "sa-token\n";
  std::ofstream(dir.path() + "/ca.crt") << "CA";
  std::ofstream(dir.path() + "/namespace") << "batch";
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(in_cluster_access(dir.path()).has_value());
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto a = in_cluster_access(dir.path());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->server, "https://10.96.0.1:443");
  EXPECT_EQ(a->namespace_name, "batch");
  EXPECT_EQ(a->token_file, dir.path() + "/token");
}

}  // namespace
}  // namespace cuttle::detail
