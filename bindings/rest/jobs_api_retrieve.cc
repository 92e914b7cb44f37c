#include "bindings/rest/jobs_api_retrieve.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "bindings/rest/job_request.h"

namespace cuttle::rest::jobs_api {

using nlohmann::json;

namespace {

const std::set<std::string> kStates = {"IN_QUEUE", "RUNNING", "CANCELING", "SUCCESS",
                                       "FAILURE",  "EXPIRED", "SUSPENDED"};

bool flag(const std::string& key, const std::string& value) {
  if (value.empty() || value == "false" || value == "null") return false;
  if (value == "true") return true;
  throw RequestError(400, key, "must be true or false");
}

std::int64_t millis(const std::string& key, const std::string& value) {
  if (value.empty() || value.size() > 15 ||
      value.find_first_not_of("0123456789") != std::string::npos) {
    throw RequestError(400, key, "must be epoch milliseconds");
  }
  return std::stoll(value);
}

std::vector<std::string> comma_list(const std::string& value) {
  std::vector<std::string> out;
  std::stringstream words(value);
  for (std::string word; std::getline(words, word, ',');) {
    if (!word.empty()) out.push_back(word);
  }
  return out;
}

const json& at(const json& j, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* here = &j;
  for (const char* key : path) {
    if (!here->is_object() || !here->contains(key)) return kNull;
    here = &(*here)[key];
  }
  return *here;
}

bool equals(const std::optional<std::string>& wanted, const json& value) {
  return !wanted || (value.is_string() && value.get<std::string>() == *wanted);
}

}  // namespace

RetrieveQuery parse_retrieve_query(const Query& query) {
  RetrieveQuery q;
  for (const auto& [key, value] : query.values) {
    if (key.empty()) throw RequestError(400, "(query)", "a parameter has no name");
    if (query.values.count(key) > 1) throw RequestError(400, key, "is given more than once");
    auto text = [&]() -> std::optional<std::string> {
      if (value.empty() || value == "null") return std::nullopt;
      if (value.size() > 4096) throw RequestError(400, key, "is too long");
      return value;
    };
    if (key == "id") {
      q.id = value;
    } else if (key == "includeApplication") {
      q.include.application = flag(key, value);
    } else if (key == "includeProduct") {
      q.include.product = flag(key, value);
    } else if (key == "includeUpdates" || key == "includeParameters") {
      flag(key, value);  // updates are always there; there are no parameters to add
    } else if (key == "includeOthers" || key == "includeSupport" || key == "hideProductCategory" ||
               key == "hideProductId" || key == "hideProvider") {
      if (flag(key, value)) throw RequestError(400, key, "is not supported by this service");
    } else if (key == "filterState") {
      q.state = text();
      if (q.state && !kStates.count(*q.state)) {
        throw RequestError(
            400, key,
            "must be IN_QUEUE, RUNNING, CANCELING, SUCCESS, FAILURE, EXPIRED or SUSPENDED");
      }
    } else if (key == "filterCreatedBy") {
      q.created_by = text();
    } else if (key == "filterApplication") {
      q.application = text();
    } else if (key == "filterProductCategory") {
      q.product_category = text();
    } else if (key == "filterProductId") {
      q.product_id = text();
    } else if (key == "filterProvider") {
      q.provider = text();
    } else if (key == "filterCreatedAfter") {
      if (text()) q.created_after = millis(key, value);
    } else if (key == "filterCreatedBefore") {
      if (text()) q.created_before = millis(key, value);
    } else if (key == "filterIds" || key == "filterProviderIds") {
      if (text()) q.ids = comma_list(value);
    } else {
      throw RequestError(400, key, "unknown parameter");
    }
  }
  if (q.id.empty()) throw RequestError(400, "id", "is required");
  return q;
}

bool matches(const RetrieveQuery& q, const json& job) {
  const json& spec = job["specification"];
  const std::int64_t created = job.value("createdAt", std::int64_t{0});
  return equals(q.state, at(job, {"status", "state"})) &&
         equals(q.created_by, at(job, {"owner", "createdBy"})) &&
         equals(q.application, at(spec, {"application", "name"})) &&
         equals(q.product_category, at(spec, {"product", "category"})) &&
         equals(q.product_id, at(spec, {"product", "id"})) &&
         equals(q.provider, at(spec, {"product", "provider"})) &&
         (!q.created_after || created >= *q.created_after) &&
         (!q.created_before || created <= *q.created_before) &&
         (!q.ids || std::find(q.ids->begin(), q.ids->end(), job.value("id", "")) != q.ids->end());
}

}  // namespace cuttle::rest::jobs_api
