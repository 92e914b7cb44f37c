// The files of a TES task as staging entries of its JobDescription: inputs (content,
// file:// under tes.roots, http(s):// fetched at submit), outputs (file:// under
// tes.roots; wildcards through a staged copy), volumes (empty directories), all at
// container paths under /work, the sandbox every executor shares.
// Thread-safety: functions over the caller's values; they write only `layout.root`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bindings/rest/config.h"
#include "bindings/rest/tes_fields.h"
#include "bindings/rest/tes_task.h"
#include "cuttle/job_description.h"

namespace cuttle::rest::tes {

// Each appends to d.stage_in / d.stage_out and returns the accepted entries (the fields
// TES defines, as given, plus "type" filled in).
nlohmann::json add_inputs(const Field& inputs, const Config& config, const StagingLayout& layout,
                          JobDescription& d);
nlohmann::json add_outputs(const Field& outputs, const Config& config, const StagingLayout& layout,
                           JobDescription& d);
nlohmann::json add_volumes(const Field& volumes, const Config& config, const StagingLayout& layout,
                           JobDescription& d);

// GET `url` (http or https, up to 5 redirects) into the file `to`, at most
// tes.max_http_input_bytes, within tes.http_timeout. RequestError naming `field` when the
// fetch fails: the task is refused rather than failed later.
void fetch_http(const std::string& url, const std::string& to, const TesConfig& config,
                const std::string& field);

}  // namespace cuttle::rest::tes
