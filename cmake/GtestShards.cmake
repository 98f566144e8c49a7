# wa_add_gtest(<target>): registers a GoogleTest binary with ctest.
# By default ctest runs it in WA_TEST_SHARDS processes (GoogleTest's own sharding,
# GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX) rather than one process per test case: a sanitizer
# build spends about a second starting and ending each process, which for several hundred cases
# was a third of the unit stage on two cores. WA_TEST_SHARDS=0 registers one ctest test per case
# (gtest_discover_tests), handy with `ctest -R <case>`.
set(WA_TEST_SHARDS 4 CACHE STRING "processes per GoogleTest binary under ctest (0: one per test case)")

function(wa_add_gtest target)
  if(WA_TEST_SHARDS GREATER 0)
    math(EXPR last "${WA_TEST_SHARDS} - 1")
    foreach(i RANGE ${last})
      add_test(NAME ${target}_shard${i} COMMAND ${target})
      set_tests_properties(${target}_shard${i} PROPERTIES
        ENVIRONMENT "GTEST_TOTAL_SHARDS=${WA_TEST_SHARDS};GTEST_SHARD_INDEX=${i};GTEST_BRIEF=1")
    endforeach()
  else()
    gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
