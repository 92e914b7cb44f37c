// The shared property declarations and their parsing.
#include "internal/common_properties.h"

#include "cuttle/error.h"

namespace cuttle::detail {

PropertyDescriptor cleanup_property() {
  return {"cleanup", PropertyType::kString, "never",
          "when to remove a job's sandbox after its finish step: never, on-success (the job "
          "Completed and stage-out had no problem) or always"};
}

PropertyDescriptor cancel_grace_property() {
  return {"cancel.grace", PropertyType::kDuration, "5s",
          "time between SIGTERM and SIGKILL to the job's process group when it is cancelled, "
          "reaches its max runtime or is TERMed from outside (enforced by the job's wrapper)"};
}

PropertyDescriptor lost_grace_property() {
  return {"lost.grace", PropertyType::kDuration, "60s",
          "how long a job may be missing from every source (queue, accounting, marker "
          "files, a live wrapper) before it is reported Error (lost)"};
}

PropertyDescriptor sandbox_root_property(std::string default_value, std::string help) {
  return {"sandbox.root", PropertyType::kString, std::move(default_value), std::move(help)};
}

CleanupPolicy cleanup_from(const Properties& properties) {
  return parse_cleanup_policy(properties.get_string("cleanup"));
}

std::chrono::seconds cancel_grace_from(const Properties& properties) {
  const auto grace = properties.get_duration("cancel.grace");
  if (grace.count() < 0) throw InvalidArgument("property cancel.grace: must not be negative");
  return std::chrono::ceil<std::chrono::seconds>(grace);
}

std::chrono::milliseconds lost_grace_from(const Properties& properties) {
  const auto grace = properties.get_duration("lost.grace");
  if (grace.count() < 0) throw InvalidArgument("property lost.grace: must not be negative");
  return grace;
}

}  // namespace cuttle::detail
