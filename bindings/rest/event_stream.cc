#include "bindings/rest/event_stream.h"

#include "bindings/rest/http_api.h"

namespace cuttle::rest {

using nlohmann::json;

void follow_events(JobService& service, EventSink& sink, const std::string& id,
                   const std::vector<EventRow>& history, const std::string& event_name,
                   const EventRenderer& render) {
  std::int64_t last = 0;
  auto emit = [&](const std::vector<EventRow>& rows) {
    std::string text;
    for (const auto& e : rows) {
      text += "id: " + std::to_string(e.seq) + "\nevent: " + event_name +
              "\ndata: " + render(e).dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
      last = e.seq;
    }
    return text.empty() || sink.write(text);
  };
  bool open = emit(history);
  while (open && !service.stopping() && !service.is_final(id)) {
    service.wait_for_change(std::chrono::seconds(15));
    auto more = service.events(id, last);
    if (!more) return;
    open = more->empty() ? sink.write(": keep-alive\n\n") : emit(*more);
  }
  if (open && !service.stopping()) {
    if (auto rest = service.events(id, last)) emit(*rest);
  }
}

bool wants_event_stream(const HttpRequest& request) {
  return request.header("Accept").find("text/event-stream") != std::string::npos ||
         query_of(request).get("follow") == "true";
}

HttpResponse event_stream_response(JobService& service, const std::string& id,
                                   std::vector<EventRow> history, std::string event_name,
                                   EventRenderer render) {
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.set("Cache-Control", "no-cache");
  response.stream = [&service, id, history = std::move(history), event_name = std::move(event_name),
                     render = std::move(render)](EventSink& sink) {
    follow_events(service, sink, id, history, event_name, render);
  };
  return response;
}

}  // namespace cuttle::rest
