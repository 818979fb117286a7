# krg_add_bench(NAME SOURCES ... [LIBS ...])
# One Google Benchmark binary, built into build/bench/ and installed (the .deb)
# into <prefix>/lib/krgdemo/bench/; not run by ctest (performance lives in
# benchmarks, never in timed tests).
function(krg_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} benchmark::benchmark
                        krg::warnings krg::arch)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        ${CMAKE_BINARY_DIR}/bench)
  # Where `krgdemo bench --micro` looks beside an installed krgdemo.
  install(TARGETS ${name} RUNTIME DESTINATION lib/krgdemo/bench)
endfunction()
