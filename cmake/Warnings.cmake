# Project-wide compile flags: warnings, sanitizers. Applied through the interface target
# project_options so that third-party and generated code keep their own flags.
add_library(project_options INTERFACE)
target_compile_options(project_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(WA_WERROR)
  target_compile_options(project_options INTERFACE -Werror)
endif()
if(WA_SANITIZE)
  # vptr is off: Boost and SOCI-style type erasure trips it without a bug to find.
  set(_san -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(project_options INTERFACE ${_san})
  target_link_options(project_options INTERFACE ${_san})
endif()
option(WA_COVERAGE "Instrument for line/branch coverage (gcov; scripts/coverage.sh)" OFF)
if(WA_COVERAGE)
  target_compile_options(project_options INTERFACE -O0 --coverage)
  target_link_options(project_options INTERFACE --coverage)
endif()
# Debug builds stay small: full debug info of Beast TUs costs GBs of RAM on 2 cores.
target_compile_options(project_options INTERFACE $<$<CONFIG:Debug>:-g1>)
