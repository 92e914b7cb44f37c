// Text and JSON renderings for the `cuttle` command.
#include "bindings/cli/output.h"

#include <ctime>
#include <sstream>

namespace cuttle::cli {

std::string format_time(const TimePoint& time) {
  std::time_t t = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

namespace {

nlohmann::json optional_time(const std::optional<TimePoint>& time) {
  return time ? nlohmann::json(format_time(*time)) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const JobStatus& s) {
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : s.attempts) {
    attempts.push_back(
        {{"attempt", a.attempt},
         {"backend_id", a.backend_id},
         {"state", std::string(to_string(a.state))},
         {"exit_code", a.exit_code ? nlohmann::json(*a.exit_code) : nlohmann::json()},
         {"reason", a.reason},
         {"started", optional_time(a.started)},
         {"finished", optional_time(a.finished)}});
  }
  return {{"id", s.id},
          {"state", std::string(to_string(s.state))},
          {"native_state", s.native_state},
          {"reason", s.reason},
          {"exit_code", s.exit_code ? nlohmann::json(*s.exit_code) : nlohmann::json()},
          {"error", s.error ? nlohmann::json(*s.error) : nlohmann::json()},
          {"running", s.running()},
          {"done", s.done()},
          {"submitted", optional_time(s.submitted)},
          {"started", optional_time(s.started)},
          {"finished", optional_time(s.finished)},
          {"deadline", optional_time(s.deadline)},
          {"attempt", s.attempt},
          {"attempts", attempts},
          {"scheduler_info", s.scheduler_info}};
}

nlohmann::json to_json(const AdaptorDescriptor& a) {
  nlohmann::json properties = nlohmann::json::array();
  for (const auto& p : a.properties) {
    properties.push_back({{"name", p.name},
                          {"type", to_string(p.type)},
                          {"default", p.default_value},
                          {"help", p.help}});
  }
  const Capabilities& c = a.capabilities;
  return {{"name", a.name},
          {"description", a.description},
          {"schemes", a.schemes},
          {"location_forms", a.location_forms},
          {"properties", properties},
          {"capabilities",
           {{"extend", c.extend},
            {"staging", c.staging},
            {"detached", c.detached},
            {"queues", c.queues},
            {"containers", c.containers},
            {"multi_node", c.multi_node},
            {"native_time_limit", c.native_time_limit}}}};
}

nlohmann::json to_json(const QueueInfo& q) {
  return {{"name", q.name}, {"default", q.is_default}, {"state", q.state}, {"info", q.info}};
}

std::string status_line(const JobStatus& s) {
  std::ostringstream out;
  out << s.id << '\t' << to_string(s.state);
  out << '\t' << (s.exit_code ? std::to_string(*s.exit_code) : "-");
  if (s.attempt > 1) out << "\tattempt " << s.attempt;
  if (!s.reason.empty()) out << '\t' << s.reason;
  return out.str();
}

std::string adaptor_text(const AdaptorDescriptor& a) {
  std::ostringstream out;
  out << a.name << " - " << a.description << "\n  locations:";
  for (const auto& form : a.location_forms) out << ' ' << form;
  out << "\n  properties:\n";
  for (const auto& p : a.properties) {
    out << "    " << p.name << " (" << to_string(p.type) << ", default '" << p.default_value
        << "'): " << p.help << "\n";
  }
  return out.str();
}

}  // namespace cuttle::cli
