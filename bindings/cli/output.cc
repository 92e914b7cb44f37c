// Text and JSON renderings for the `cuttle` command.
#include "bindings/cli/output.h"

#include "cuttle/error.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace cuttle::cli {

std::string format_time(const TimePoint& time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  long fraction = static_cast<long>(ms % 1000);
  if (fraction < 0) {
    fraction += 1000;
    --t;
  }
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[40];
  std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03ldZ", fraction);
  return buffer;
}

TimePoint parse_time(const std::string& text) {
  std::tm utc{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &utc);
  if (rest == nullptr) throw InvalidArgument("time '" + text + "' is not RFC 3339");
  long ms = 0;
  if (*rest == '.') {
    int digits = 0;
    for (++rest; std::isdigit(static_cast<unsigned char>(*rest)); ++rest, ++digits) {
      if (digits < 3) ms = ms * 10 + (*rest - '0');
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (std::string(rest) != "Z") throw InvalidArgument("time '" + text + "' is not in UTC");
  return Clock::from_time_t(timegm(&utc)) + std::chrono::milliseconds(ms);
}

std::string output_path(const JobStatus& status, bool stderr_stream) {
  const char* key = stderr_stream ? "stderr" : "stdout";
  if (auto it = status.scheduler_info.find(key); it != status.scheduler_info.end()) {
    return it->second;
  }
  // An array has no output of its own: each element has (`cuttle output ID[INDEX]`).
  if (!status.array_elements.empty()) return {};
  auto sandbox = status.scheduler_info.find("sandbox");
  if (sandbox == status.scheduler_info.end() || sandbox->second.empty()) return {};
  return sandbox->second + "/" + key + ".txt";
}

namespace {

nlohmann::json optional_time(const std::optional<TimePoint>& time) {
  return time ? nlohmann::json(format_time(*time)) : nlohmann::json(nullptr);
}

nlohmann::json nullable(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
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
  nlohmann::json elements = nlohmann::json::array();
  for (const ArrayElementStatus& e : s.array_elements) {
    elements.push_back(
        {{"index", e.index},
         {"id", array_element_id(s.id, e.index)},
         {"state", std::string(to_string(e.state))},
         {"exit_code", e.exit_code ? nlohmann::json(*e.exit_code) : nlohmann::json()}});
  }
  return {{"id", s.id},
          {"state", std::string(to_string(s.state))},
          {"native_state", s.native_state},
          {"reason", s.reason},
          {"exit_code", s.exit_code ? nlohmann::json(*s.exit_code) : nlohmann::json()},
          {"step_exit_codes", s.step_exit_codes},
          {"error", s.error ? nlohmann::json(*s.error) : nlohmann::json()},
          {"running", s.running()},
          {"done", s.done()},
          {"submitted", optional_time(s.submitted)},
          {"started", optional_time(s.started)},
          {"finished", optional_time(s.finished)},
          {"deadline", optional_time(s.deadline)},
          {"attempt", s.attempt},
          {"attempts", attempts},
          {"array_elements", elements},
          {"stdout", nullable(output_path(s, false))},
          {"stderr", nullable(output_path(s, true))},
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
            {"steps", c.steps},
            {"multi_node", c.multi_node},
            {"native_time_limit", c.native_time_limit},
            {"gpus", c.gpus},
            {"gpu_type", c.gpu_type},
            {"account", c.account},
            {"qos", c.qos},
            {"reservation", c.reservation},
            {"constraints", c.constraints},
            {"exclusive_nodes", c.exclusive_nodes},
            {"scheduler_arguments", c.scheduler_arguments},
            {"dependencies", c.dependencies},
            {"native_arrays", c.native_arrays},
            {"launch", c.launch},
            {"clean_environment", c.clean_environment}}}};
}

nlohmann::json to_json(const QueueInfo& q) {
  return {{"name", q.name}, {"default", q.is_default}, {"state", q.state}, {"info", q.info}};
}

std::string status_header() { return "JOB\tSTATE\tEXIT\tOUTPUT\tREASON"; }

std::string status_line(const JobStatus& s) {
  std::ostringstream out;
  out << s.id << '\t' << to_string(s.state);
  out << '\t' << (s.exit_code ? std::to_string(*s.exit_code) : "-");
  const std::string output = output_path(s, false);
  out << '\t' << (output.empty() ? "-" : output);
  out << '\t' << (s.reason.empty() ? "-" : s.reason);
  if (s.attempt > 1) out << " (attempt " << s.attempt << ")";
  // An array: one line per element after its own (ID[INDEX], state, exit code).
  for (const ArrayElementStatus& e : s.array_elements) {
    out << '\n'
        << array_element_id(s.id, e.index) << '\t' << to_string(e.state) << '\t'
        << (e.exit_code ? std::to_string(*e.exit_code) : "-") << "\t-\t-";
  }
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
