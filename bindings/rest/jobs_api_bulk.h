// The jobs API's bulk requests: {"items": [...]} in, the reference's BulkResponse
// {"responses": [...]} out, each item answered for itself — an item that fails does not
// stop the others. How a failure is reported (docs/rest.md, "Bulk requests"):
//   responses[i] is null for a failed item, and "failures" lists each failure as
//   {"index", "status", "error", "field", "reason"} with the field prefixed "items[i].";
//   the top-level "error"/"field"/"reason" repeat the first failure;
//   HTTP 200 when every item succeeded, 207 when some did, else the first failure's status
//   (400, 404, 409, or 503 with Retry-After while the store is away).
// A body that is not such a request at all is one plain 400/413 naming "(body)" or "items".
// Thread-safety: run_bulk is reentrant; `handle` runs on the calling thread, item by item.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "bindings/rest/http_message.h"

namespace cuttle::rest::jobs_api {

// Answers one item (the response's entry) or throws RequestError naming the field relative
// to the item ("" for the item itself).
using ItemHandler = std::function<nlohmann::json(const nlohmann::json& item)>;

HttpResponse run_bulk(const std::string& body, const Config& config, const ItemHandler& handle);

}  // namespace cuttle::rest::jobs_api
