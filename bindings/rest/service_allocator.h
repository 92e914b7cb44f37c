// The service's allocator settings, applied before `cuttle serve` starts any thread.
//
// glibc keeps a small cache of freed chunks per thread (the tcache: up to 7 chunks of each
// of 64 sizes, about 230 KiB a thread when full). The service runs about 80 threads (HTTP
// workers, submit and callback workers, the adaptors' observers), each of which slowly
// fills its cache with chunks nothing else may reuse, and the chunks pin their pages in
// every arena: `rest-soak` grew 16 MiB over 100,000 jobs with nothing live growing
// (docs/performance.md). With the tcache off the same run stays flat. The setting is a
// glibc tunable, read only from the environment at process start, so the service re-executes
// itself once with it and then restores the environment its jobs inherit.
#pragma once

namespace cuttle::rest {

// Call first in main(), single-threaded, with main's argv. Returns when the process runs
// with the service's allocator settings: at once when it already does (after the
// re-exec), when the caller set `glibc.malloc.tcache_count` itself, or when
// CUTTLE_SERVE_ALLOCATOR=default; otherwise re-executes /proc/self/exe with the same
// arguments and does not return, unless the exec fails (then it returns and the service
// runs with glibc's defaults). Afterwards GLIBC_TUNABLES is as the caller had it.
void use_service_allocator(char** argv);

// What use_service_allocator() achieved, for the service's start-up log line: "tcache off",
// "glibc defaults (CUTTLE_SERVE_ALLOCATOR=default)", ...; "glibc defaults" when it was not
// called.
const char* service_allocator_state();

}  // namespace cuttle::rest
