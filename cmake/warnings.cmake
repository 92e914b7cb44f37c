# Warning and sanitizer flags for every target built in this tree.
add_compile_options(-Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 at -O3 (Release) reports -Wrestrict inside libstdc++ for any
  # `"literal" + std::string` temporary (GCC bug 105651, fixed in 13): a false positive
  # about the standard library, not our code.
  add_compile_options(-Wno-restrict)
endif()
if(CUTTLE_WERROR)
  add_compile_options(-Werror)
endif()
set(_cuttle_san "")
if(CUTTLE_ASAN)
  list(APPEND _cuttle_san address)
endif()
if(CUTTLE_UBSAN)
  list(APPEND _cuttle_san undefined)
endif()
if(CUTTLE_TSAN)
  list(APPEND _cuttle_san thread)
  # g++ 12 warns (-Wtsan) about Boost.Asio's atomic_thread_fence, which TSan cannot model;
  # that warning is about a dependency, not our code.
  add_compile_options(-Wno-error=tsan -Wno-tsan)
endif()
if(CUTTLE_FUZZ)
  # Coverage instrumentation for everything the fuzz targets reach; the targets themselves
  # link libFuzzer's main (tests/fuzz). ASan+UBSan make a bad access or overflow a crash.
  list(APPEND _cuttle_san fuzzer-no-link)
  if(NOT CUTTLE_ASAN AND NOT CUTTLE_TSAN)
    list(APPEND _cuttle_san address)
  endif()
  if(NOT CUTTLE_UBSAN AND NOT CUTTLE_TSAN)
    list(APPEND _cuttle_san undefined)
  endif()
  add_compile_options(-fno-sanitize-recover=all)
endif()
if(_cuttle_san)
  list(JOIN _cuttle_san "," _cuttle_san_list)
  add_compile_options(-fsanitize=${_cuttle_san_list} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${_cuttle_san_list})
endif()
