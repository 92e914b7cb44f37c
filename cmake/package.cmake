# What a Debian package (`cpack -G DEB` in the build directory) holds besides the library,
# headers, CMake package and `cuttle`: the Python module (importable through cuttle.pth
# in /usr/lib/python3/dist-packages), a systemd unit for `cuttle serve` with a default
# config, and the man page and bash completion generated from `cuttle --help`'s tables.

# Generated from the built command, so they cannot drift from its help.
set(_cuttle_man ${CMAKE_CURRENT_BINARY_DIR}/cuttle.1)
set(_cuttle_completion ${CMAKE_CURRENT_BINARY_DIR}/cuttle.bash)
add_custom_command(
  OUTPUT ${_cuttle_man} ${_cuttle_completion}
  COMMAND ${PROJECT_SOURCE_DIR}/packaging/generate-docs.sh $<TARGET_FILE:cuttle_cli>
          ${_cuttle_man} ${_cuttle_completion}
  DEPENDS cuttle_cli ${PROJECT_SOURCE_DIR}/packaging/generate-docs.sh
  COMMENT "Generating the cuttle man page and bash completion from its help")
add_custom_target(cuttle_docs ALL DEPENDS ${_cuttle_man} ${_cuttle_completion})
install(FILES ${_cuttle_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${_cuttle_completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME cuttle)

# Only a system install (prefix /usr, as in the package) gets the unit, the config and the
# .pth: under another prefix they would point at files that are not there.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    # file(INSTALL) adds DESTDIR itself; file(WRITE) does not.
    set(_root \"\$ENV{DESTDIR}\")
    file(INSTALL ${PROJECT_SOURCE_DIR}/packaging/cuttle.service DESTINATION /lib/systemd/system)
    file(INSTALL ${PROJECT_SOURCE_DIR}/packaging/serve.json DESTINATION /etc/cuttle)
    file(WRITE \"\${_root}/usr/lib/python3/dist-packages/cuttle.pth\"
         \"/usr/${CUTTLE_PYTHON_INSTALL_DIR}\\n\")
  endif()")

set(CPACK_PACKAGE_NAME cuttle)
set(CPACK_PACKAGE_VENDOR "Cuttle")
set(CPACK_PACKAGE_CONTACT "Cuttle maintainers <cuttle@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "run jobs on local processes, SSH hosts, Slurm and Torque through one API")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
