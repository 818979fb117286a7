# The Debian package (CPack DEB): `make deb` -> build/krgdemo_<version>_amd64.deb
# with the binary, the man page krgdemo(1), bash completion, the docs and the
# data the demos need (benchmark suites). Depends: the Debian runtime
# libraries (dpkg-shlibdeps), gnuplot (charts) and wrk (the server farm's load
# generator). The LiveCD installs this package, never loose files.
include(GNUInstallDirs)

install(TARGETS krgdemo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages are installed gzipped (Debian policy 12.1).
set(_krg_man ${CMAKE_BINARY_DIR}/generated/krgdemo.1.gz)
add_custom_command(OUTPUT ${_krg_man}
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/docs/krgdemo.1 > ${_krg_man}
  DEPENDS ${PROJECT_SOURCE_DIR}/docs/krgdemo.1 VERBATIM)
add_custom_target(krgdemo_man ALL DEPENDS ${_krg_man})
add_dependencies(krgdemo krgdemo_man)  # so that building krgdemo is enough for cpack
install(FILES ${_krg_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${PROJECT_SOURCE_DIR}/launcher/krgdemo.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions
        RENAME krgdemo)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/suites
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/krgdemo)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME krgdemo)
set(CPACK_PACKAGE_VENDOR krgdemo)
set(CPACK_PACKAGE_CONTACT "krgdemo maintainers <krgdemo@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "demos and benchmarks for single-system-image clusters (Kerrighed)")
set(CPACK_PACKAGE_DESCRIPTION
    "krgdemo runs verified demo workloads (Mandelbrot, image and video \
pipelines, solvers, a web server farm) on threads or worker processes, \
charts their speedup over cluster nodes, and stages live demonstrations of \
Kerrighed's process migration, distant fork and checkpoint/restart.")
set(CPACK_PACKAGE_INSTALL_DIRECTORY krgdemo)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "gnuplot-nox | gnuplot, wrk")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion")
include(CPack)
