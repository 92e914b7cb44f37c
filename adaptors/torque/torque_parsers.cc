// Torque output parsers.
#include "adaptors/torque/torque_parsers.h"

#include <ctime>
#include <map>
#include <pugixml.hpp>

#include "adaptors/batch/text.h"
#include "cuttle/error.h"

namespace cuttle::detail::torque {
namespace {

std::optional<TimePoint> epoch(std::string_view text) {
  auto seconds = parse_int(text);
  if (!seconds || *seconds <= 0) return std::nullopt;
  return time_point_from_time_t(static_cast<std::time_t>(*seconds));
}

// "Mon Nov 23 00:23:58 2026", as qstat -f prints times (local time).
std::optional<TimePoint> ctime_text(std::string_view text) {
  text = trim(text);
  std::tm tm{};
  const std::string s(text);
  const char* end = strptime(s.c_str(), "%a %b %d %H:%M:%S %Y", &tm);
  if (!end || *end != '\0') return epoch(text);  // some versions print epoch seconds
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return time_point_from_time_t(t);
}

// Builds a job from attribute name -> value ("Resource_List.walltime" for nested ones).
NativeJob job_from_attributes(const std::map<std::string, std::string>& a,
                              std::optional<TimePoint> (*time)(std::string_view)) {
  auto get = [&](const std::string& key) -> std::string {
    auto it = a.find(key);
    return it == a.end() ? std::string() : it->second;
  };
  NativeJob job;
  job.id = get("Job_Id");
  job.name = get("Job_Name");
  job.queue = get("queue");
  apply_torque_state(job, get("job_state"), get("exit_status"));
  job.submitted = time(get("qtime"));
  if (job.state && *job.state != JobState::kQueued) job.started = time(get("start_time"));
  if (job.state && is_final(*job.state)) job.finished = time(get("comp_time"));
  job.time_limit = parse_duration_clock(get("Resource_List.walltime"));
  const std::string used = get("resources_used.walltime");
  if (job.state && *job.state == JobState::kFailed && job.time_limit && !used.empty()) {
    auto used_time = parse_duration_clock(used);
    if (used_time && *used_time >= *job.time_limit && job.exit_code && *job.exit_code > 128) {
      job.state = JobState::kExpired;
      job.reason = "walltime " + get("Resource_List.walltime") + " exceeded";
    }
  }
  for (const char* key : {"exec_host", "Job_Owner", "Resource_List.nodes", "Resource_List.mem",
                          "Resource_List.walltime", "resources_used.walltime", "exit_status"}) {
    if (std::string v = get(key); !v.empty()) job.info[key] = v;
  }
  return job;
}

}  // namespace

void apply_torque_state(NativeJob& job, std::string_view job_state, std::string_view exit_status) {
  job_state = trim(job_state);
  job.native_state = std::string(job_state);
  const std::optional<int> exit = parse_int(exit_status);
  if (job_state == "Q" || job_state == "H" || job_state == "W" || job_state == "T") {
    job.state = JobState::kQueued;
    job.reason = job_state == "H"   ? "held"
                 : job_state == "W" ? "waiting for its start time"
                 : job_state == "T" ? "moving to another server"
                                    : "queued";
  } else if (job_state == "R" || job_state == "S") {
    job.state = JobState::kRunning;
    job.reason = job_state == "S" ? "suspended" : "running";
  } else if (job_state == "E") {
    job.state = JobState::kRunning;  // exiting: cleaning up after the run, not an error
    job.reason = "exiting";
  } else if (job_state == "C") {
    job.reason = "completed";
    if (!exit) {
      job.exit_code_from_marker = true;  // state stays unset: the marker decides
    } else if (*exit == 0) {
      job.state = JobState::kCompleted;
      job.exit_code = 0;
    } else if (*exit > 256) {
      job.state = JobState::kFailed;
      job.exit_code = 128 + (*exit - 256);
      job.reason = "killed by signal " + std::to_string(*exit - 256);
    } else if (*exit > 0) {
      job.state = JobState::kFailed;
      job.exit_code = *exit;
      job.reason = "exit status " + std::to_string(*exit);
    } else {
      job.state = JobState::kError;
      job.reason = "Torque could not run the job (exit_status " + std::to_string(*exit) + ")";
    }
  } else {
    job.reason = "unknown Torque state " + job.native_state;
  }
}

std::vector<NativeJob> parse_qstat_xml(std::string_view xml) {
  std::vector<NativeJob> jobs;
  if (trim(xml).empty()) return jobs;
  pugi::xml_document doc;
  const pugi::xml_parse_result ok = doc.load_buffer(xml.data(), xml.size());
  if (!ok) throw InternalError(std::string("qstat -x printed malformed XML: ") + ok.description());
  for (pugi::xml_node node : doc.child("Data").children("Job")) {
    std::map<std::string, std::string> attributes;
    for (pugi::xml_node field : node.children()) {
      if (field.first_child() && field.first_child().type() == pugi::node_element) {
        for (pugi::xml_node sub : field.children()) {
          attributes[std::string(field.name()) + "." + sub.name()] = sub.child_value();
        }
      } else {
        attributes[field.name()] = field.child_value();
      }
    }
    NativeJob job = job_from_attributes(attributes, epoch);
    if (!job.id.empty()) jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<NativeJob> parse_qstat_full(std::string_view text) {
  std::vector<NativeJob> jobs;
  std::map<std::string, std::string> attributes;
  std::string last_key;
  auto flush = [&] {
    if (!attributes.empty()) {
      NativeJob job = job_from_attributes(attributes, ctime_text);
      if (!job.id.empty()) jobs.push_back(std::move(job));
    }
    attributes.clear();
    last_key.clear();
  };
  for (std::string_view line : split_lines(text)) {
    if (line.rfind("Job Id:", 0) == 0) {
      flush();
      attributes["Job_Id"] = std::string(trim(line.substr(7)));
      continue;
    }
    if (attributes.empty()) continue;
    const std::size_t eq = line.find(" = ");
    if (eq == std::string_view::npos) {
      // Torque wraps long values onto continuation lines that start with a tab.
      if (!last_key.empty()) attributes[last_key] += std::string(trim(line));
      continue;
    }
    last_key = std::string(trim(line.substr(0, eq)));
    attributes[last_key] = std::string(trim(line.substr(eq + 3)));
  }
  flush();
  return jobs;
}

std::string parse_qsub(std::string_view output) {
  for (std::string_view line : split_lines(output)) {
    line = trim(line);
    if (!line.empty() && line[0] >= '0' && line[0] <= '9' &&
        line.find_first_of(" \t") == std::string_view::npos) {
      return std::string(line);
    }
  }
  throw InternalError("qsub printed no job id: " + std::string(output.substr(0, 200)));
}

std::vector<QueueInfo> parse_qstat_queues(std::string_view text) {
  std::vector<QueueInfo> queues;
  bool after_rule = false;
  for (std::string_view line : split_lines(text)) {
    if (line.rfind("----", 0) == 0) {
      after_rule = true;
      continue;
    }
    if (!after_rule) continue;
    std::vector<std::string_view> tokens;
    std::string_view rest = line;
    while (!(rest = trim(rest)).empty()) {
      std::size_t end = rest.find_first_of(" \t");
      tokens.push_back(rest.substr(0, end));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end);
    }
    if (tokens.size() < 5) continue;
    QueueInfo q;
    q.name = std::string(tokens[0]);
    const bool enabled = tokens[3] == "yes", started = tokens[4] == "yes";
    q.state = enabled && started ? "up" : (enabled ? "stopped" : "down");
    q.info["max"] = std::string(tokens[1]);
    q.info["total"] = std::string(tokens[2]);
    if (tokens.size() > 6) {
      q.info["queued"] = std::string(tokens[5]);
      q.info["running"] = std::string(tokens[6]);
    }
    queues.push_back(std::move(q));
  }
  if (queues.size() == 1) queues.front().is_default = true;
  return queues;
}

std::string torque_memory(std::uint64_t bytes) {
  const std::uint64_t mib = (bytes + (1u << 20) - 1) >> 20;
  return std::to_string(mib == 0 ? 1 : mib) + "mb";
}

}  // namespace cuttle::detail::torque
