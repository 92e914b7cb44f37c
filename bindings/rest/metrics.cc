#include "bindings/rest/metrics.h"

#include <sstream>

namespace cuttle::rest {

void Metrics::count_response(int status) {
  if (status < 400) {
    ++requests_2xx;
  } else if (status < 500) {
    ++requests_4xx;
  } else {
    ++requests_5xx;
  }
}

std::string Metrics::render(const std::map<std::string, std::size_t>& jobs_by_state) const {
  std::ostringstream out;
  auto counter = [&](const char* name, const char* help, std::uint64_t value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
        << name << ' ' << value << '\n';
  };
  counter("cuttle_jobs_submitted_total", "Jobs accepted by POST /job.", jobs_submitted);
  counter("cuttle_jobs_rejected_total", "POST /job requests refused as invalid.", jobs_rejected);
  counter("cuttle_submit_failures_total", "Jobs the scheduler refused (state ERROR).",
          submit_failures);
  counter("cuttle_jobs_recovered_total", "Jobs re-attached after a restart.", jobs_recovered);
  counter("cuttle_state_changes_total", "State changes recorded in the journal.", state_changes);
  counter("cuttle_callbacks_delivered_total", "Status callbacks answered with 2xx.",
          callbacks_delivered);
  counter("cuttle_callback_attempts_failed_total", "Status callback attempts that failed.",
          callback_attempts_failed);
  counter("cuttle_callbacks_abandoned_total", "Status callbacks given up after retrying.",
          callbacks_abandoned);
  counter("cuttle_launches_deferred_total",
          "Launches that waited (at most 200 ms each) while a burst of submits was answered.",
          launches_deferred);
  counter("cuttle_jobs_adopted_total", "Jobs taken over from instances whose lease expired.",
          jobs_adopted);
  counter("cuttle_writes_fenced_total",
          "State changes not written: another instance adopted the job.", writes_fenced);
  counter("cuttle_callbacks_fenced_total", "Callbacks not sent: another instance adopted the job.",
          callbacks_fenced);
  out << "# HELP cuttle_callbacks_pending Status callbacks waiting in the outbox.\n"
      << "# TYPE cuttle_callbacks_pending gauge\ncuttle_callbacks_pending " << callbacks_pending
      << '\n';
  out << "# HELP cuttle_http_responses_total HTTP responses by status class.\n"
      << "# TYPE cuttle_http_responses_total counter\n"
      << "cuttle_http_responses_total{class=\"2xx\"} " << requests_2xx << '\n'
      << "cuttle_http_responses_total{class=\"4xx\"} " << requests_4xx << '\n'
      << "cuttle_http_responses_total{class=\"5xx\"} " << requests_5xx << '\n';
  counter("cuttle_http_unauthorized_total", "Requests refused for a missing or wrong token.",
          unauthorized);
  out << "# HELP cuttle_jobs Active jobs held in memory by this instance, by state.\n# TYPE "
         "cuttle_jobs gauge\n";
  for (const auto& [state, n] : jobs_by_state) {
    out << "cuttle_jobs{state=\"" << state << "\"} " << n << '\n';
  }
  return out.str();
}

}  // namespace cuttle::rest
