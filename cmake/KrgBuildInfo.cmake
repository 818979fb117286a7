# Generates build_info.h (version, git commit, build type, compiler) for the
# result files' "tool" record. The commit is read at configure time.
find_package(Git QUIET)
set(KRG_GIT_COMMIT "unknown")
if(GIT_FOUND)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    OUTPUT_VARIABLE _krg_git OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _krg_git_rc ERROR_QUIET)
  if(_krg_git_rc EQUAL 0)
    set(KRG_GIT_COMMIT "${_krg_git}")
  endif()
endif()
set(KRG_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
if(KRG_NATIVE)
  set(KRG_NATIVE_INT 1)
else()
  set(KRG_NATIVE_INT 0)
endif()
set(KRG_BUILD_INFO_DIR ${CMAKE_BINARY_DIR}/generated)
configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.h.in
               ${KRG_BUILD_INFO_DIR}/build_info.h @ONLY)
