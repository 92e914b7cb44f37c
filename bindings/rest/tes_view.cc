// A stored job as a TES task: the accepted task, its state, and one task log per attempt
// derived from the job's journal (a retry appends a log).
#include <filesystem>
#include <fstream>
#include <map>

#include "bindings/rest/status_document.h"
#include "bindings/rest/tes_task.h"

namespace cuttle::rest::tes {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string text_of(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return {};
  const json& v = object[key];
  return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string() : v.dump();
}

// The last `limit` bytes of a file on this machine; empty when it is not there.
std::string tail(const std::string& path, std::uint64_t limit) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const auto size = static_cast<std::uint64_t>(in.tellg());
  const std::uint64_t from = size > limit ? size - limit : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string out(size - from, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

// The task as accepted, or, for a job another contract submitted, what TES can say of it.
json accepted_task(const json& request) {
  const json contract = request.value("contract", json::object());
  if (contract.value("name", std::string()) == "tes") {
    return contract["document"].value("task", json::object());
  }
  json task = json::object();
  if (request.contains("name") && request["name"].is_string()) task["name"] = request["name"];
  json command = json::array();
  if (request.contains("executable") && request["executable"].is_string()) {
    command.push_back(request["executable"]);
  }
  if (request.contains("arguments") && request["arguments"].is_array()) {
    for (const auto& a : request["arguments"]) command.push_back(a);
  }
  task["executors"] = json::array({{{"image", ""}, {"command", command}}});
  if (request.contains("labels") && request["labels"].is_object()) task["tags"] = request["labels"];
  return task;
}

// What the client sent, without Cuttle's own bookkeeping ("cuttle.*") and, below FULL,
// without input contents.
void clean_task(json& task, View view) {
  for (const char* list : {"inputs", "outputs"}) {
    if (!task.contains(list)) continue;
    for (auto& entry : task[list]) {
      for (auto it = entry.begin(); it != entry.end();) {
        it = it.key().rfind("cuttle.", 0) == 0 ? entry.erase(it) : std::next(it);
      }
      if (view != View::kFull) entry.erase("content");
    }
  }
}

struct Attempt {
  json log = json::object();
  json last_status;
  std::string last_state;
};

// One task log per attempt, in order.
std::vector<Attempt> attempts_of(const std::vector<EventRow>& events) {
  std::map<int, Attempt> by_number;
  for (const auto& e : events) {
    if (e.state == "New") continue;
    const json status = json::parse(e.status, nullptr, false);
    const json info =
        status.is_object() ? status.value("schedulerSpecficInformation", json()) : json();
    const int number =
        info.is_object() && info.contains("cuttle.attempt") && info["cuttle.attempt"].is_number()
            ? info["cuttle.attempt"].get<int>()
            : 1;
    Attempt& a = by_number[number];
    a.last_status = status;
    a.last_state = e.state;
    if (!a.log.contains("start_time") && !text_of(info, "cuttle.started").empty()) {
      a.log["start_time"] = text_of(info, "cuttle.started");
    }
    if (!text_of(info, "cuttle.finished").empty()) {
      a.log["end_time"] = text_of(info, "cuttle.finished");
    }
    json metadata = a.log.value("metadata", json::object());
    for (const char* key : {"cuttle.scheduler", "cuttle.backend_id", "cuttle.native_state"}) {
      if (!text_of(info, key).empty()) metadata[key] = text_of(info, key);
    }
    metadata["cuttle.attempt"] = std::to_string(number);
    a.log["metadata"] = metadata;
  }
  std::vector<Attempt> out;
  for (auto& [number, a] : by_number) out.push_back(std::move(a));
  return out;
}

// The exit codes of an attempt's executors that ran: one per step of a multi-step job
// ("cuttle.step_exit_codes"), else the job's own exit code; empty while they run.
std::vector<int> exit_codes(const json& info) {
  std::vector<int> codes;
  if (info.contains("cuttle.step_exit_codes") && info["cuttle.step_exit_codes"].is_array()) {
    for (const auto& code : info["cuttle.step_exit_codes"]) {
      if (code.is_number_integer()) codes.push_back(code.get<int>());
    }
  } else if (info.contains("cuttle.exit_code") && info["cuttle.exit_code"].is_number_integer()) {
    codes.push_back(info["cuttle.exit_code"].get<int>());
  }
  return codes;
}

// The executor logs of an attempt whose executors ended (exit codes are known).
json executor_logs(const Attempt& a, const json& contract, bool last, View view,
                   const Config& config) {
  json logs = json::array();
  const json info = a.last_status.is_object()
                        ? a.last_status.value("schedulerSpecficInformation", json::object())
                        : json::object();
  const std::vector<int> codes = exit_codes(info);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    json log = {{"exit_code", codes[i]}};
    for (const char* key : {"start_time", "end_time"}) {
      if (a.log.contains(key)) log[key] = a.log[key];
    }
    if (view == View::kFull && last && contract.contains("staging")) {
      const StagingLayout layout{contract["staging"].get<std::string>()};
      log["stdout"] = tail(layout.log(i, "stdout"), config.tes.max_log_bytes);
      log["stderr"] = tail(layout.log(i, "stderr"), config.tes.max_log_bytes);
    }
    logs.push_back(std::move(log));
  }
  return logs;
}

json system_logs(const Attempt& a, const json& contract, bool first,
                 const std::vector<std::string>& delivery_problems) {
  json logs = json::array();
  if (first && contract.contains("warnings")) {
    for (const auto& w : contract["warnings"]) logs.push_back(w);
  }
  if (a.last_status.is_object()) {
    const std::string exception = text_of(a.last_status, "exception");
    if (!exception.empty()) logs.push_back(exception);
    const json info = a.last_status.value("schedulerSpecficInformation", json::object());
    if (!text_of(info, "cuttle.reason").empty() && a.last_state != "Completed") {
      logs.push_back("cuttle: " + a.last_state + ": " + text_of(info, "cuttle.reason"));
    }
  }
  for (const auto& p : delivery_problems) logs.push_back("output: " + p);
  return logs;
}

}  // namespace

std::string tes_state(const std::string& cuttle_state) {
  static const std::map<std::string, std::string> kStates = {{"New", "QUEUED"},
                                                             {"StagingIn", "INITIALIZING"},
                                                             {"Queued", "QUEUED"},
                                                             {"Running", "RUNNING"},
                                                             {"StagingOut", "RUNNING"},
                                                             {"Completed", "COMPLETE"},
                                                             {"Failed", "EXECUTOR_ERROR"},
                                                             {"Expired", "EXECUTOR_ERROR"},
                                                             {"Cancelled", "CANCELED"},
                                                             {"Error", "SYSTEM_ERROR"}};
  auto it = kStates.find(cuttle_state);
  return it == kStates.end() ? "UNKNOWN" : it->second;
}

View parse_view(const std::string& text) {
  if (text.empty() || text == "MINIMAL") return View::kMinimal;
  if (text == "BASIC") return View::kBasic;
  if (text == "FULL") return View::kFull;
  throw RequestError(400, "view", "must be MINIMAL, BASIC or FULL");
}

json render_task(const std::string& id, const json& document, const std::vector<EventRow>& events,
                 View view, const Config& config) {
  const json request = document.value("request", json::object());
  const json status = document.value("status", json::object());
  const json info = status.value("schedulerSpecficInformation", json::object());
  const json contract = request.value("contract", json::object()).value("document", json::object());
  std::string state = tes_state(text_of(info, "cuttle.state"));
  if (info.contains(kCancelRequestedKey) &&
      (state == "QUEUED" || state == "INITIALIZING" || state == "RUNNING")) {
    state = "CANCELING";
  }
  std::vector<std::string> delivery_problems;
  if (state == "COMPLETE" && contract.contains("staging")) {
    delivery_problems = deliver_wildcard_outputs(contract);
    if (!delivery_problems.empty()) state = "SYSTEM_ERROR";
  }
  if (view == View::kMinimal) return {{"id", id}, {"state", state}};

  json task = accepted_task(request);
  clean_task(task, view);
  task["id"] = id;
  task["state"] = state;
  if (!task.contains("creation_time") && !events.empty()) {
    task["creation_time"] = format_time(from_millis(events.front().time_ms));
  }
  json logs = json::array();
  const auto attempts = attempts_of(events);
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const bool last = i + 1 == attempts.size();
    json log = attempts[i].log;
    log["logs"] = executor_logs(attempts[i], contract, last, view, config);
    log["outputs"] = last && state == "COMPLETE" ? output_file_logs(contract) : json::array();
    if (view == View::kFull) {
      log["system_logs"] = system_logs(attempts[i], contract, i == 0,
                                       last ? delivery_problems : std::vector<std::string>{});
    }
    logs.push_back(std::move(log));
  }
  task["logs"] = logs;
  return task;
}

}  // namespace cuttle::rest::tes
