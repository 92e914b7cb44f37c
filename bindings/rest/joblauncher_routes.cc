#include "bindings/rest/joblauncher_routes.h"

#include <sstream>

#include "bindings/rest/event_stream.h"
#include "bindings/rest/http_api.h"
#include "bindings/rest/status_document.h"
#include "cuttle/error.h"
#include "cuttle/properties.h"

namespace cuttle::rest {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse no_such_job() { return error_response(404, "id", "no such job"); }

class Joblauncher {
 public:
  explicit Joblauncher(JobService& service) : service_(service) {}

  HttpResponse submit(const HttpRequest& request) {
    JobRequest job;
    try {
      job = parse_job_request(request.body, service_.config());
    } catch (const RequestError&) {
      ++service_.metrics().jobs_rejected;
      throw;
    }
    // Answered once the job is durable, from the store's completion: no worker waits.
    HttpResponse response;
    response.deferred = [this, &request, job = std::move(job)](HttpReply reply) {
      service_.submit_async(job, [&request, reply = std::move(reply),
                                  jobs = base_url(request, service_.config()) + "/job/"](
                                     const std::string& id, std::exception_ptr error) {
        if (error) return reply(error_answer(request, error));
        reply(json_response(201, {}).set("Location", jobs + id));
      });
    };
    return response;
  }

  HttpResponse list(const HttpRequest& request) {
    const Query query = query_of(request);
    std::vector<std::string> states;
    for (auto [it, end] = query.values.equal_range("state"); it != end; ++it) {
      std::stringstream words(it->second);
      std::string word;
      while (std::getline(words, word, ',')) {
        if (!word.empty()) states.push_back(word);
      }
    }
    std::size_t limit = 0;
    if (const std::string text = query.get("limit"); !text.empty()) {
      if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
        throw RequestError(400, "limit", "must be a positive integer");
      }
      limit = std::stoul(text);
      if (limit == 0) throw RequestError(400, "limit", "must be a positive integer");
    }
    const auto page = service_.list(states, limit, query.get("page_token"));
    json urls = json::array();
    const std::string base = base_url(request, service_.config());
    for (const auto& id : page.ids) urls.push_back(base + "/job/" + id);
    HttpResponse response = json_response(200, dump(urls));
    if (!page.next_token.empty()) {
      // The next page keeps the filter: without it the link would list every state.
      std::string filter;
      for (const auto& state : states) filter += (filter.empty() ? "" : ",") + state;
      response.set("X-Next-Page-Token", page.next_token);
      response.set("Link", "<" + base + "/job?" + (filter.empty() ? "" : "state=" + filter + "&") +
                               "limit=" + std::to_string(limit) + "&page_token=" + page.next_token +
                               ">; rel=\"next\"");
    }
    return response;
  }

  HttpResponse get(const std::string& id) {
    auto doc = service_.document(id);
    return doc ? json_response(200, std::move(*doc)) : no_such_job();
  }

  // GET answered on the I/O thread when memory has the document (polls of active jobs
  // and of recently finished ones); otherwise get() reads the store on a worker.
  std::optional<HttpResponse> get_at_once(const std::string& id) {
    auto doc = service_.document_in_memory(id);
    if (!doc) return std::nullopt;
    return json_response(200, std::move(*doc));
  }

  HttpResponse remove(const std::string& id) {
    if (!service_.cancel(id, true)) return no_such_job();
    HttpResponse response = json_response(204, {});
    response.content_type.clear();
    return response;
  }

  HttpResponse cancel(const std::string& id) {
    auto doc = service_.cancel(id, false);
    return doc ? json_response(200, std::move(*doc)) : no_such_job();
  }

  HttpResponse extend(const HttpRequest& request, const std::string& id) {
    if (!json_depth_within(request.body, 8)) throw RequestError(400, "(body)", "nests too deeply");
    json j = json::parse(request.body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw RequestError(400, "(body)", "must be a JSON object");
    if (j.contains("seconds") && j.contains("by")) {
      throw RequestError(400, "seconds, by", "give either \"seconds\" or \"by\", not both");
    }
    std::int64_t seconds = 0;
    if (j.contains("seconds") && j["seconds"].is_number_integer()) {
      seconds = j["seconds"].get<std::int64_t>();
    } else if (j.contains("by") && j["by"].is_string()) {
      try {
        seconds = std::chrono::duration_cast<std::chrono::seconds>(
                      parse_duration(j["by"].get<std::string>()))
                      .count();
      } catch (const Error& e) {
        throw RequestError(400, "by", e.what());
      }
    } else {
      throw RequestError(400, "seconds",
                         "give \"seconds\" (integer) or \"by\" (a duration such as \"30m\")");
    }
    if (seconds <= 0 || seconds > 366LL * 24 * 3600) {
      throw RequestError(400, "seconds", "must be between 1 second and 366 days");
    }
    auto doc = service_.extend(id, std::chrono::seconds(seconds));
    return doc ? json_response(200, std::move(*doc)) : no_such_job();
  }

  HttpResponse events(const HttpRequest& request, const std::string& id) {
    auto history = service_.events(id, 0);
    if (!history) return no_such_job();
    if (!wants_event_stream(request)) {
      json list = json::array();
      for (const auto& e : *history) list.push_back(event_json(e));
      return json_response(200, dump(json{{"events", list}}));
    }
    return event_stream_response(service_, id, std::move(*history), "state", event_json);
  }

 private:
  static json event_json(const EventRow& e) {
    json status = json::parse(e.status, nullptr, false);
    json out = {{"seq", e.seq}, {"time", format_time(from_millis(e.time_ms))}};
    out["state"] = status.is_object() && status.contains("state") ? status["state"] : json(nullptr);
    out["cuttle_state"] = e.state;
    out["status"] = status;
    return out;
  }

  JobService& service_;
};

}  // namespace

void add_joblauncher_routes(Router& router, JobService& service) {
  auto api = std::make_shared<Joblauncher>(service);
  using Params = Router::Params;
  // Job ids are UUIDs: anything else is a 404 before the service is asked.
  auto with_id = [api](auto method) {
    return [api, method](const HttpRequest& request, const Params& params) {
      if (!valid_job_id(params.at(0))) return no_such_job();
      return method(*api, request, params.at(0));
    };
  };
  router.add("GET", "/job",
             [api](const HttpRequest& request, const Params&) { return api->list(request); });
  router.add("POST", "/job",
             [api](const HttpRequest& request, const Params&) { return api->submit(request); });
  router.add(
      "GET", "/job/{}",
      with_id([](Joblauncher& a, const HttpRequest&, const std::string& id) { return a.get(id); }),
      [api](const HttpRequest&, const Params& params) -> std::optional<HttpResponse> {
        if (!valid_job_id(params.at(0))) return std::nullopt;
        return api->get_at_once(params.at(0));
      });
  router.add("DELETE", "/job/{}",
             with_id([](Joblauncher& a, const HttpRequest&, const std::string& id) {
               return a.remove(id);
             }));
  for (const char* method : {"PUT", "POST"}) {
    router.add(method, "/job/{}/cancel",
               with_id([](Joblauncher& a, const HttpRequest&, const std::string& id) {
                 return a.cancel(id);
               }));
  }
  router.add("POST", "/job/{}/extend",
             with_id([](Joblauncher& a, const HttpRequest& request, const std::string& id) {
               return a.extend(request, id);
             }));
  router.add("GET", "/job/{}/events",
             with_id([](Joblauncher& a, const HttpRequest& request, const std::string& id) {
               return a.events(request, id);
             }));
}

}  // namespace cuttle::rest
