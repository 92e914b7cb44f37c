// Fuzzes what the kubernetes:// adaptor reads from outside: kubeconfig text (YAML through
// libyaml, then context resolution) and the Job/pod JSON an API server sends (outcome).
#include <cstdint>
#include <string>

#include "adaptors/kubernetes/job_outcome.h"
#include "adaptors/kubernetes/kubeconfig.h"
#include "cuttle/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nlohmann::json tree = cuttle::detail::parse_kubeconfig_text(text, "/fuzz/config");
    (void)cuttle::detail::resolve_context({{"/fuzz/config", tree}}, "");
  } catch (const cuttle::InvalidArgument&) {
    // refused naming the file and why
  }
  nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (!object.is_discarded()) (void)cuttle::detail::job_outcome(object, object);
  return 0;
}
