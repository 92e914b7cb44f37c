// The whole public API in one include.
#pragma once

#include "cuttle/command_runner.h"
#include "cuttle/credential.h"
#include "cuttle/error.h"
#include "cuttle/file_system.h"
#include "cuttle/job_description.h"
#include "cuttle/job_description_json.h"
#include "cuttle/job_state.h"
#include "cuttle/job_status.h"
#include "cuttle/location.h"
#include "cuttle/properties.h"
#include "cuttle/registry.h"
#include "cuttle/sandbox.h"
#include "cuttle/scheduler.h"
#include "cuttle/shell.h"
#include "cuttle/tracker.h"
#include "cuttle/version.h"
