#include "bindings/rest/callback_outbox.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>

#include <functional>

#include "bindings/rest/job_request.h"
#include "bindings/rest/mac_auth.h"
#include "bindings/rest/status_document.h"
#include "bindings/rest/store_errors.h"
#include "internal/log.h"

namespace cuttle::rest {

using detail::log;
using detail::LogLevel;

CallbackOutbox::CallbackOutbox(const Config& config, JobStore& store, Metrics& metrics)
    : config_(config), store_(store), metrics_(metrics) {
  for (std::size_t i = 0; i < config_.callback_workers; ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
  for (auto& shard : shards_) {
    Shard* s = shard.get();
    s->thread = std::thread([this, s] { run(*s); });
  }
}

CallbackOutbox::~CallbackOutbox() { stop(); }

void CallbackOutbox::stop() {
  if (stopping_.exchange(true)) return;
  for (auto& shard : shards_) {
    { std::lock_guard lock(shard->mutex); }
    shard->wake.notify_all();
  }
  for (auto& shard : shards_) {
    if (shard->thread.joinable()) shard->thread.join();
  }
}

void CallbackOutbox::enqueue(OutboxRow row) {
  Shard& shard = *shards_[std::hash<std::string>{}(row.job_id) % shards_.size()];
  ++metrics_.callbacks_pending;
  {
    std::lock_guard lock(shard.mutex);
    JobQueue& q = shard.jobs[row.job_id];
    const bool was_idle = q.rows.empty();
    q.rows.push_back(std::move(row));
    if (was_idle) {
      q.due = std::chrono::steady_clock::now();
      shard.ready.insert({q.due, q.rows.front().job_id});
    }
  }
  shard.wake.notify_one();
}

void CallbackOutbox::run(Shard& shard) {
  std::unique_lock lock(shard.mutex);
  while (!stopping_) {
    if (shard.ready.empty()) {
      shard.wake.wait(lock);
      continue;
    }
    const auto [due, job_id] = *shard.ready.begin();
    if (due > std::chrono::steady_clock::now()) {
      shard.wake.wait_until(lock, due);
      continue;
    }
    shard.ready.erase(shard.ready.begin());
    JobQueue& q = shard.jobs[job_id];
    const OutboxRow row = q.rows.front();
    lock.unlock();
    const Permission permission = may_deliver(row);
    const bool fenced = permission == Permission::kFenced;
    const bool ok = fenced || permission == Permission::kDone ||
                    (permission == Permission::kSend && deliver(row));
    const auto age = std::chrono::milliseconds(to_millis(Clock::now()) - row.created_ms);
    const bool give_up = !ok && age > config_.callback_give_up_after;
    if ((ok && !fenced) || give_up) {
      try {
        store_.callback_done(row.seq);
      } catch (const std::exception& e) {
        log(LogLevel::kError, "rest.callback", "cannot mark callback delivered",
            {{"job", row.job_id}, {"error", e.what()}});
      }
    }
    if (give_up) {
      ++metrics_.callbacks_abandoned;
      log(LogLevel::kError, "rest.callback", "callback abandoned after retrying",
          {{"job", row.job_id}, {"url", row.url}});
    }
    lock.lock();
    JobQueue& again = shard.jobs[job_id];
    if (ok || give_up) {
      --metrics_.callbacks_pending;
      again.rows.pop_front();
      again.failures = 0;
      if (again.rows.empty()) {
        shard.jobs.erase(job_id);
        continue;
      }
      again.due = std::chrono::steady_clock::now();
    } else {
      ++again.failures;
      auto backoff = config_.callback_retry_initial * (1LL << std::min(again.failures - 1, 20));
      if (backoff > config_.callback_retry_max) backoff = config_.callback_retry_max;
      again.due = std::chrono::steady_clock::now() + backoff;
    }
    shard.ready.insert({again.due, job_id});
  }
}

// Fencing for callbacks: a row is sent only while its job is still this instance's (an
// instance paused past its lease must not send what the adopter now sends), and not again
// once delivered. While the store is away nothing is sent: it could be fenced unseen.
CallbackOutbox::Permission CallbackOutbox::may_deliver(const OutboxRow& row) {
  try {
    return store_.may_deliver(row.seq) ? Permission::kSend : Permission::kDone;
  } catch (const Fenced& e) {
    ++metrics_.callbacks_fenced;
    log(LogLevel::kWarn, "rest.callback", "fenced: not sending a callback for an adopted job",
        {{"job", row.job_id}, {"error", e.what()}});
    return Permission::kFenced;
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "rest.callback", "cannot check the callback with the store",
        {{"job", row.job_id}, {"error", e.what()}});
    return Permission::kRetry;
  }
}

bool CallbackOutbox::deliver(const OutboxRow& row) {
  const auto url = parse_http_url(row.url);
  if (!url) return true;  // validated at submit; a stored bad URL cannot get better
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (url->scheme == "https") {
      Poco::Net::Context::Ptr context =
          new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", config_.tls.ca,
                                 Poco::Net::Context::VERIFY_RELAXED, 9, config_.tls.ca.empty());
      session = std::make_unique<Poco::Net::HTTPSClientSession>(url->host, url->port, context);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(url->host, url->port);
    }
    session->setTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(config_.callback_timeout).count()));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_PUT, url->path_and_query,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(row.body.size()));
    request.set("Accept", "application/json");
    if (const MacKey* key = find_mac_key(config_.mac_keys, url->host, url->port)) {
      const auto now =
          std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
      request.set("Authorization", mac_authorization(*key, "PUT", url->path_and_query, url->host,
                                                     url->port, now, make_nonce()));
    }
    request.set("X-Cuttle-Callback-Seq", std::to_string(row.seq));
    session->sendRequest(request) << row.body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    Poco::NullOutputStream sink;
    Poco::StreamCopier::copyStream(in, sink);
    const int status = response.getStatus();
    if (status >= 200 && status < 300) {
      ++metrics_.callbacks_delivered;
      return true;
    }
    log(LogLevel::kWarn, "rest.callback", "callback refused",
        {{"job", row.job_id}, {"status", std::to_string(status)}});
  } catch (const Poco::Exception& e) {
    log(LogLevel::kWarn, "rest.callback", "callback failed",
        {{"job", row.job_id}, {"error", e.displayText()}});
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "rest.callback", "callback failed",
        {{"job", row.job_id}, {"error", e.what()}});
  }
  ++metrics_.callback_attempts_failed;
  return false;
}

}  // namespace cuttle::rest
