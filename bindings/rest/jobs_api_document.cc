#include "bindings/rest/jobs_api_document.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>

#include "bindings/rest/jobs_api_spec.h"
#include "cuttle/job_state.h"

namespace cuttle::rest::jobs_api {

using nlohmann::json;

namespace {

// One entry of `updates`: the reference's state word and its status text.
struct Word {
  const char* state;
  const char* text;
  bool operator==(const Word& other) const = default;
};

constexpr Word kInQueue{"IN_QUEUE", "Your job is now waiting in the queue!"};
constexpr Word kRunning{"RUNNING", "Your job is now running!"};
constexpr Word kCancelled{"SUCCESS", "Your job has been cancelled!"};
constexpr Word kCompleted{"SUCCESS", "Your job has completed successfully!"};
constexpr Word kFailed{"FAILURE", "Your job has failed!"};
constexpr Word kExpired{"EXPIRED", "Your job has reached the end of its time allocation!"};

bool started(JobState s) {
  return s == JobState::kRunning || s == JobState::kStagingOut || is_final(s);
}

// The job's word from the states of its copies: final when all are (the worst outcome
// wins: expired, then failed, then cancelled), RUNNING once every copy has started,
// IN_QUEUE before.
Word word_of(const std::vector<JobState>& states) {
  if (std::all_of(states.begin(), states.end(), [](JobState s) { return is_final(s); })) {
    auto any = [&](std::initializer_list<JobState> wanted) {
      return std::any_of(states.begin(), states.end(), [&](JobState s) {
        return std::find(wanted.begin(), wanted.end(), s) != wanted.end();
      });
    };
    if (any({JobState::kExpired})) return kExpired;
    if (any({JobState::kFailed, JobState::kError})) return kFailed;
    if (any({JobState::kCancelled})) return kCancelled;
    return kCompleted;
  }
  return std::all_of(states.begin(), states.end(), started) ? kRunning : kInQueue;
}

json update_json(const Word& word, std::int64_t timestamp) {
  return {{"state", word.state},
          {"outputFolder", nullptr},
          {"status", word.text},
          {"expectedState", nullptr},
          {"expectedDifferentState", nullptr},
          {"newTimeAllocation", nullptr},
          {"allowRestart", nullptr},
          {"newMounts", nullptr},
          {"timestamp", timestamp}};
}

// "2026-12-02T08:00:00.123Z" (status_document's format_time) -> epoch milliseconds.
std::optional<std::int64_t> millis_of(const json& info, const char* key) {
  if (!info.is_object() || !info.contains(key) || !info[key].is_string()) return std::nullopt;
  const std::string text = info[key].get<std::string>();
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + millis;
}

const json& info_of(const json& status) {
  static const json kNone = json::object();
  return status.is_object() && status.contains("schedulerSpecficInformation")
             ? status["schedulerSpecficInformation"]
             : kNone;
}

const json& status_of(const Replica& r) {
  static const json kNone = json::object();
  return r.document.contains("status") ? r.document["status"] : kNone;
}

// When the copy started, as the journal first recorded it: later observations may refine
// the time by milliseconds (the wrapper's marker against the first sighting), and a
// reader must see the same startedAt before and after the job ends.
std::optional<std::int64_t> first_start(const Replica& r) {
  for (const auto& e : r.events) {
    if (e.status.find("cuttle.started") == std::string::npos) continue;
    if (auto t = millis_of(info_of(json::parse(e.status, nullptr, false)), "cuttle.started")) {
      return t;
    }
  }
  return millis_of(info_of(status_of(r)), "cuttle.started");
}

struct History {
  json updates = json::array();
  Word word = kInQueue;
  std::vector<JobState> states;
  std::int64_t created_at = 0;
};

// Replays every copy's journal in time order and records each change of the job's word.
History replay(const std::vector<Replica>& replicas) {
  struct Step {
    std::int64_t time;
    std::size_t copy;
    JobState state;
  };
  std::vector<Step> steps;
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    for (const auto& e : replicas[i].events) {
      if (auto state = parse_job_state(e.state)) steps.push_back({e.time_ms, i, *state});
    }
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const Step& a, const Step& b) { return a.time < b.time; });
  History h;
  h.states.assign(replicas.size(), JobState::kNew);
  h.created_at = steps.empty() ? 0 : steps.front().time;
  std::optional<Word> last;
  for (const auto& step : steps) {
    // A copy's journal only moves forward; an older word for it is not news.
    if (h.states[step.copy] != step.state &&
        !is_valid_transition(h.states[step.copy], step.state)) {
      continue;
    }
    h.states[step.copy] = step.state;
    const Word word = word_of(h.states);
    if (!last || !(word == *last)) h.updates.push_back(update_json(word, step.time));
    last = word;
  }
  h.word = last.value_or(kInQueue);
  return h;
}

}  // namespace

const json* contract_document(const json& document) {
  if (!document.is_object() || !document.contains("request")) return nullptr;
  const json& request = document["request"];
  if (!request.is_object() || !request.contains("contract")) return nullptr;
  const json& contract = request["contract"];
  if (!contract.is_object() || contract.value("name", "") != kContract ||
      !contract.contains("document") || !contract["document"].is_object()) {
    return nullptr;
  }
  return &contract["document"];
}

json render_job(const std::string& id, const std::vector<Replica>& replicas,
                const Include& include) {
  const json& contract = *contract_document(replicas.front().document);
  const History history = replay(replicas);
  const bool done = std::all_of(history.states.begin(), history.states.end(),
                                [](JobState s) { return is_final(s); });
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> expires_at;
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    if (auto t = first_start(replicas[i])) started_at = std::min(started_at.value_or(*t), *t);
    if (is_final(history.states[i])) continue;
    if (auto t = millis_of(info_of(status_of(replicas[i])), "cuttle.deadline"))
      expires_at = std::max(expires_at.value_or(*t), *t);
  }
  auto nullable = [](const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); };
  json status = {{"state", history.word.state},
                 {"jobParametersJson", nullptr},
                 {"startedAt", nullable(started_at)},
                 {"expiresAt", done ? json(nullptr) : nullable(expires_at)},
                 {"resolvedApplication", nullptr},
                 {"resolvedSupport", nullptr},
                 {"resolvedProduct", nullptr},
                 {"allowRestart", false}};
  if (include.application)
    status["resolvedApplication"] = contract.value("resolvedApplication", json());
  if (include.product) status["resolvedProduct"] = contract.value("resolvedProduct", json());
  return {{"id", id},
          {"owner", contract.value("owner", json())},
          {"updates", history.updates},
          {"specification", contract.value("specification", json())},
          {"status", status},
          {"createdAt", history.created_at},
          {"output", nullptr},
          {"permissions", nullptr},
          {"providerGeneratedId", id}};
}

}  // namespace cuttle::rest::jobs_api
