# krg::warnings: the warning flags every krgdemo target builds with, and
# krg::arch: -march=native when KRG_NATIVE is ON (default OFF: baseline
# x86-64, so the binaries run on any PC; hot kernels dispatch at run time).
add_library(krg_warnings INTERFACE)
add_library(krg::warnings ALIAS krg_warnings)
target_compile_options(krg_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-sign-compare)

add_library(krg_arch INTERFACE)
add_library(krg::arch ALIAS krg_arch)
if(KRG_NATIVE)
  target_compile_options(krg_arch INTERFACE -march=native)
endif()

if(KRG_SANITIZE STREQUAL "address")
  target_compile_options(krg_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(krg_warnings INTERFACE -fsanitize=address,undefined)
elseif(KRG_SANITIZE STREQUAL "thread")
  target_compile_options(krg_warnings INTERFACE -fsanitize=thread)
  target_link_options(krg_warnings INTERFACE -fsanitize=thread)
elseif(NOT KRG_SANITIZE STREQUAL "")
  message(FATAL_ERROR "KRG_SANITIZE must be empty, address or thread")
endif()
