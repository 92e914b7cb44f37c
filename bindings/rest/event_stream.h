// A job's events as Server-Sent Events, for every contract: the history, then each change
// as it is journaled, until the job is final (keep-alive comments while nothing happens).
// Each contract renders one event its own way. Thread-safety: runs on one stream thread;
// shares only JobService.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings/rest/http_message.h"
#include "bindings/rest/job_service.h"

namespace cuttle::rest {

using EventRenderer = std::function<nlohmann::json(const EventRow&)>;

// Writes `history`, then follows job `id`, each event as "id: SEQ\nevent: NAME\ndata: JSON".
void follow_events(JobService& service, EventSink& sink, const std::string& id,
                   const std::vector<EventRow>& history, const std::string& event_name,
                   const EventRenderer& render);

// Whether the client asked for a stream (Accept: text/event-stream, or ?follow=true)
// rather than the history as one JSON document.
bool wants_event_stream(const HttpRequest& request);

// A response that streams follow_events from the job's history (text/event-stream).
HttpResponse event_stream_response(JobService& service, const std::string& id,
                                   std::vector<EventRow> history, std::string event_name,
                                   EventRenderer render);

}  // namespace cuttle::rest
