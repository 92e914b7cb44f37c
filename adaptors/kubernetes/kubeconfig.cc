// kubeconfig: YAML through libyaml into a JSON tree, kubectl's merge, one context resolved.
#include "adaptors/kubernetes/kubeconfig.h"

#include <yaml.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "cuttle/error.h"
#include "internal/split.h"

namespace cuttle::detail {
namespace {

constexpr std::size_t kMaxNodes = 100000;  // bounds alias expansion ("billion laughs")
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

struct Converter {
  yaml_document_t* document;
  std::string origin;
  std::size_t visited = 0;

  nlohmann::json convert(yaml_node_t* node, int depth) {
    if (!node) return nullptr;
    if (++visited > kMaxNodes || depth > kMaxDepth) {
      throw InvalidArgument("kubeconfig " + origin + ": nested or aliased too deeply");
    }
    switch (node->type) {
      case YAML_SCALAR_NODE:
        return scalar(node);
      case YAML_SEQUENCE_NODE: {
        nlohmann::json array = nlohmann::json::array();
        for (yaml_node_item_t* item = node->data.sequence.items.start;
             item < node->data.sequence.items.top; ++item) {
          array.push_back(convert(yaml_document_get_node(document, *item), depth + 1));
        }
        return array;
      }
      case YAML_MAPPING_NODE: {
        nlohmann::json object = nlohmann::json::object();
        for (yaml_node_pair_t* pair = node->data.mapping.pairs.start;
             pair < node->data.mapping.pairs.top; ++pair) {
          nlohmann::json key = convert(yaml_document_get_node(document, pair->key), depth + 1);
          if (!key.is_string()) key = key.dump();
          object[key.get<std::string>()] =
              convert(yaml_document_get_node(document, pair->value), depth + 1);
        }
        return object;
      }
      default:
        return nullptr;
    }
  }

  static nlohmann::json scalar(yaml_node_t* node) {
    std::string text(reinterpret_cast<const char*>(node->data.scalar.value),
                     node->data.scalar.length);
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return text;
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    if (text.empty() || text == "null" || text == "~" || text == "Null") return nullptr;
    return text;
  }
};

std::string read_limited(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument(what + ": cannot read " + path);
  std::string data;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxFileBytes) throw InvalidArgument(what + ": " + path + " is too large");
  }
  return data;
}

std::string decode_base64(const std::string& text, const std::string& what) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    int v = value(c);
    if (v < 0) throw InvalidArgument(what + ": not base64");
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

std::string directory_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string resolve_path(const std::string& path, const std::string& base_file) {
  if (path.empty() || path.front() == '/') return path;
  if (path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + path.substr(1);
  }
  return directory_of(base_file) + "/" + path;
}

// The entry named `name` in tree[list], with the file it came from, first file first.
std::pair<const nlohmann::json*, std::string> find_entry(const std::vector<KubeconfigFile>& files,
                                                         const char* list, const char* field,
                                                         const std::string& name) {
  for (const KubeconfigFile& file : files) {
    auto it = file.tree.find(list);
    if (it == file.tree.end() || !it->is_array()) continue;
    for (const nlohmann::json& entry : *it) {
      if (!entry.is_object()) continue;
      auto n = entry.find("name");
      if (n == entry.end() || !n->is_string() || *n != name) continue;
      auto body = entry.find(field);
      if (body == entry.end() || !body->is_object()) {
        throw InvalidArgument("kubeconfig " + file.path + ": " + list + " entry '" + name +
                              "' has no " + field + " mapping");
      }
      return {&*body, file.path};
    }
  }
  return {nullptr, {}};
}

std::string string_field(const nlohmann::json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string()) throw InvalidArgument(where + ": field " + key + " must be a string");
  return it->get<std::string>();
}

bool bool_field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return false;
  return (it->is_boolean() && it->get<bool>()) || (it->is_string() && *it == "true");
}

// `data` inline (base64) or `file` (read, relative to the kubeconfig), or "".
std::string data_or_file(const nlohmann::json& object, const char* data_key, const char* file_key,
                         const std::string& origin_file, const std::string& where) {
  std::string data = string_field(object, data_key, where);
  if (!data.empty()) return decode_base64(data, where + " " + data_key);
  std::string file = string_field(object, file_key, where);
  if (file.empty()) return {};
  return read_limited(resolve_path(file, origin_file), where + " " + file_key);
}

ExecPlugin parse_exec(const nlohmann::json& exec, const std::string& where) {
  ExecPlugin plugin;
  plugin.api_version = string_field(exec, "apiVersion", where + " exec");
  if (plugin.api_version != "client.authentication.k8s.io/v1" &&
      plugin.api_version != "client.authentication.k8s.io/v1beta1") {
    throw InvalidArgument(where + ": exec plugin apiVersion '" + plugin.api_version +
                          "' is not client.authentication.k8s.io/v1 or v1beta1");
  }
  plugin.command = string_field(exec, "command", where + " exec");
  if (plugin.command.empty()) throw InvalidArgument(where + ": exec plugin has no command");
  if (auto args = exec.find("args"); args != exec.end() && args->is_array()) {
    for (const auto& a : *args) {
      if (!a.is_string()) throw InvalidArgument(where + ": exec args must be strings");
      plugin.args.push_back(a.get<std::string>());
    }
  }
  if (auto env = exec.find("env"); env != exec.end() && env->is_array()) {
    for (const auto& e : *env) {
      if (!e.is_object()) throw InvalidArgument(where + ": exec env entries must be mappings");
      plugin.env[string_field(e, "name", where + " exec env")] =
          string_field(e, "value", where + " exec env");
    }
  }
  return plugin;
}

}  // namespace

std::string ClusterAccess::describe() const {
  std::string text = "server " + server;
  if (!context.empty()) text += ", context " + context;
  if (!user_entry.empty()) text += ", user entry " + user_entry;
  if (!origin.empty()) text += " (" + origin + ")";
  return text;
}

nlohmann::json parse_kubeconfig_text(std::string_view text, const std::string& origin) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) throw InternalError("libyaml: out of memory");
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> parser_guard(&parser,
                                                                        yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  yaml_document_t document;
  if (!yaml_parser_load(&parser, &document)) {
    std::ostringstream message;
    message << "kubeconfig " << origin << ": not YAML at line " << parser.problem_mark.line + 1
            << ": " << (parser.problem ? parser.problem : "parse error");
    throw InvalidArgument(message.str());
  }
  std::unique_ptr<yaml_document_t, void (*)(yaml_document_t*)> document_guard(&document,
                                                                              yaml_document_delete);
  Converter converter{&document, origin};
  nlohmann::json tree = converter.convert(yaml_document_get_root_node(&document), 0);
  if (tree.is_null()) return nlohmann::json::object();  // an empty file, as kubectl allows
  if (!tree.is_object()) throw InvalidArgument("kubeconfig " + origin + ": not a mapping");
  return tree;
}

std::vector<std::string> kubeconfig_paths(const std::string& explicit_path) {
  if (!explicit_path.empty()) return {explicit_path};
  std::vector<std::string> paths;
  if (const char* list = std::getenv("KUBECONFIG"); list && *list) {
    for (std::string_view path : split_on(list, ':')) {
      if (!path.empty()) paths.emplace_back(path);
    }
    return paths;
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    paths.push_back(std::string(home) + "/.kube/config");
  }
  return paths;
}

std::vector<KubeconfigFile> load_kubeconfigs(const std::vector<std::string>& paths) {
  std::vector<KubeconfigFile> files;
  for (const std::string& path : paths) {
    std::ifstream probe(path);
    if (!probe) continue;  // kubectl skips missing files in the list
    files.push_back({path, parse_kubeconfig_text(read_limited(path, "kubeconfig"), path)});
  }
  return files;
}

ClusterAccess resolve_context(const std::vector<KubeconfigFile>& files,
                              const std::string& context) {
  std::string origin;
  for (const KubeconfigFile& f : files) origin += (origin.empty() ? "" : ":") + f.path;
  if (files.empty()) throw InvalidArgument("no kubeconfig found ($KUBECONFIG, ~/.kube/config)");
  ClusterAccess access;
  access.origin = "kubeconfig " + origin;
  access.context = context;
  if (access.context.empty()) {
    for (const KubeconfigFile& f : files) {
      std::string current = string_field(f.tree, "current-context", "kubeconfig " + f.path);
      if (!current.empty()) {
        access.context = current;
        break;
      }
    }
  }
  if (access.context.empty()) {
    throw InvalidArgument("kubeconfig " + origin +
                          ": no current-context; name one with ?context=NAME");
  }
  auto [ctx, ctx_file] = find_entry(files, "contexts", "context", access.context);
  if (!ctx) {
    throw InvalidArgument("kubeconfig " + origin + ": no context named '" + access.context + "'");
  }
  const std::string where = "kubeconfig " + ctx_file + " context " + access.context;
  const std::string cluster_name = string_field(*ctx, "cluster", where);
  access.user_entry = string_field(*ctx, "user", where);
  if (std::string ns = string_field(*ctx, "namespace", where); !ns.empty()) {
    access.namespace_name = ns;
  }
  auto [cluster, cluster_file] = find_entry(files, "clusters", "cluster", cluster_name);
  if (!cluster) throw InvalidArgument(where + ": no cluster named '" + cluster_name + "'");
  const std::string cluster_where = "kubeconfig " + cluster_file + " cluster " + cluster_name;
  access.server = string_field(*cluster, "server", cluster_where);
  while (!access.server.empty() && access.server.back() == '/') access.server.pop_back();
  if (access.server.empty()) throw InvalidArgument(cluster_where + ": no server");
  access.insecure_skip_tls_verify = bool_field(*cluster, "insecure-skip-tls-verify");
  access.ca_pem = data_or_file(*cluster, "certificate-authority-data", "certificate-authority",
                               cluster_file, cluster_where);
  if (access.user_entry.empty()) return access;  // anonymous
  auto [user, user_file] = find_entry(files, "users", "user", access.user_entry);
  if (!user) throw InvalidArgument(where + ": no user named '" + access.user_entry + "'");
  const std::string user_where = "kubeconfig " + user_file + " user " + access.user_entry;
  access.token = string_field(*user, "token", user_where);
  if (std::string file = string_field(*user, "tokenFile", user_where); !file.empty()) {
    access.token_file = resolve_path(file, user_file);
  }
  access.client_cert_pem =
      data_or_file(*user, "client-certificate-data", "client-certificate", user_file, user_where);
  access.client_key_pem =
      data_or_file(*user, "client-key-data", "client-key", user_file, user_where);
  if (access.client_cert_pem.empty() != access.client_key_pem.empty()) {
    throw InvalidArgument(user_where + ": a client certificate needs both certificate and key");
  }
  if (auto exec = user->find("exec"); exec != user->end() && exec->is_object()) {
    access.exec = parse_exec(*exec, user_where);
  }
  if (user->contains("auth-provider")) {
    throw InvalidArgument(user_where +
                          ": auth-provider plugins are not supported; use an exec plugin");
  }
  return access;
}

std::optional<ClusterAccess> in_cluster_access(const std::string& account_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) return std::nullopt;
  std::ifstream token(account_dir + "/token");
  if (!token) return std::nullopt;
  ClusterAccess access;
  std::string h(host);
  access.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  access.origin = "in-cluster service account " + account_dir;
  access.user_entry = "serviceaccount";
  access.token_file = account_dir + "/token";
  access.ca_pem = read_limited(account_dir + "/ca.crt", "in-cluster CA");
  std::ifstream ns(account_dir + "/namespace");
  std::string name;
  if (ns && std::getline(ns, name) && !name.empty()) access.namespace_name = name;
  return access;
}

}  // namespace cuttle::detail
