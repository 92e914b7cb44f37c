# Installs libcuttle, its public headers, the CMake package config and the `cuttle` command.
include(CMakePackageConfigHelpers)
install(TARGETS cuttle EXPORT cuttleTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/cuttle DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT cuttleTargets NAMESPACE cuttle:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cuttle)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/cuttleConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/cuttleConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cuttle)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cuttleConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cuttleConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/cuttleConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cuttle)
