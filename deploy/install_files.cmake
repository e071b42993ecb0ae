# Run by `cmake --install` and cpack (install(SCRIPT) in deploy/CMakeLists.txt),
# with burrow_deploy, burrow_stage, burrow_bindir and burrow_conffiles set.
#
# The configs go to /etc/burrow for a /usr install (cpack installs to /usr,
# whatever prefix the build was configured with), else to PREFIX/etc/burrow;
# a config already there is the admin's and is kept. The systemd units name
# the binary and the configs where this install puts them, and go where
# systemd looks for them under the prefix (/usr/local/lib/systemd/system...).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc /etc/burrow)
else()
  set(etc "${CMAKE_INSTALL_PREFIX}/etc/burrow")
endif()
foreach(name IN LISTS burrow_conffiles)
  if(EXISTS "$ENV{DESTDIR}${etc}/${name}")
    message(STATUS "Keeping: $ENV{DESTDIR}${etc}/${name}")
  else()
    file(INSTALL "${burrow_deploy}/examples/${name}" DESTINATION "${etc}")
  endif()
endforeach()

foreach(unit system/burrow-relay.service system/burrow-endpoint.service user/burrow-forward@.service)
  get_filename_component(kind "${unit}" DIRECTORY)
  get_filename_component(name "${unit}" NAME)
  file(READ "${burrow_deploy}/systemd/${name}" text)
  string(REPLACE "/usr/bin/burrow" "${CMAKE_INSTALL_PREFIX}/${burrow_bindir}/burrow" text "${text}")
  string(REPLACE "/etc/burrow" "${etc}" text "${text}")
  file(WRITE "${burrow_stage}/${unit}" "${text}")
  # systemd looks for user units in <prefix>/lib/systemd/user only for /usr and
  # /usr/local; for another prefix (~/.local) in <prefix>/share/systemd/user.
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/${kind}")
  if(kind STREQUAL "user" AND NOT CMAKE_INSTALL_PREFIX MATCHES "^/usr(/local)?/?$")
    set(unit_dir "${CMAKE_INSTALL_PREFIX}/share/systemd/user")
  endif()
  file(INSTALL "${burrow_stage}/${unit}" DESTINATION "${unit_dir}")
endforeach()
