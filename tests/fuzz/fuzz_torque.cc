// Fuzzes every parser of Torque command output (qstat -x XML, qstat -f, qsub, qstat -Q)
// and the state table they feed. Seeds: adaptors/torque/testdata and corpus/fuzz_torque.
#include <cstdint>
#include <string_view>

#include "adaptors/torque/torque_parsers.h"
#include "cuttle/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace torque = cuttle::detail::torque;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)torque::parse_qstat_xml(text);
  } catch (const cuttle::InternalError&) {
  }
  try {
    (void)torque::parse_qsub(text);
  } catch (const cuttle::InternalError&) {
  }
  (void)torque::parse_qstat_full(text);
  (void)torque::parse_qstat_queues(text);
  const std::size_t split = text.find('\n');
  cuttle::detail::NativeJob job;
  torque::apply_torque_state(job, text.substr(0, split),
                             split == std::string_view::npos ? "" : text.substr(split + 1));
  return 0;
}
