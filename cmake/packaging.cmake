# Install rules and the Debian package (CPack DEB generator).
#
#   cmake --install BUILD            binaries, unit, docs and templates; never touches /etc
#   cpack -G DEB (in BUILD)          adrg_<version>_<arch>.deb, the same plus /etc/adrg conffiles
#
# /etc/adrg/{config.yaml,adrg.env} live in the EXCLUDE_FROM_ALL component "conffiles": a plain
# `cmake --install` (setup.sh) must never overwrite an admin's config, while the package ships
# them as dpkg conffiles, which dpkg itself protects on upgrade.
# adrg, adrgctl, the unit (path-rewritten by integrations/systemd/install_unit.cmake), the
# config template and README are installed by the top-level CMakeLists.txt; added here:
install(FILES config/adrg.env DESTINATION ${CMAKE_INSTALL_DATADIR}/adrg COMPONENT adrg)
install(FILES LICENCE DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT adrg)
install(FILES config/config.yaml DESTINATION /etc/adrg COMPONENT conffiles EXCLUDE_FROM_ALL)
install(FILES config/adrg.env DESTINATION /etc/adrg COMPONENT conffiles EXCLUDE_FROM_ALL
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)

# Debian architecture of the target (not of the build machine: dpkg --print-architecture would
# call a cross-built arm64 package amd64).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(ADRG_DEB_ARCH arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
  set(ADRG_DEB_ARCH amd64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  set(ADRG_DEB_ARCH armhf)
else()
  execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE ADRG_DEB_ARCH
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME adrg)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "adrg developers <adrg@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "adaptive resource governor for Docker home servers")
set(CPACK_PACKAGE_DESCRIPTION
    "Keeps interactive services smooth on a small home server: containers are put in priority\n\
tiers, and when media playback, heat, memory or I/O pressure strike, bulk tiers are paused\n\
or throttled through cgroup v2 and restored when the trigger clears. Every override is\n\
journaled and undone on stop, crash or `adrg --cleanup`.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL Unspecified adrg conffiles)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${ADRG_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the binaries' NEEDED entries (dpkg-shlibdeps; a cross build needs the target's
# libraries installed as multiarch packages, which tools/cross-arm64.sh does).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io | docker-ce")
set(CPACK_STRIP_FILES ON)

set(ADRG_DEB_CONTROL ${PROJECT_BINARY_DIR}/deb-control)
file(WRITE ${ADRG_DEB_CONTROL}/conffiles "/etc/adrg/config.yaml\n/etc/adrg/adrg.env\n")
foreach(script postinst prerm postrm)
  configure_file(packaging/deb/${script} ${ADRG_DEB_CONTROL}/${script} COPYONLY)
  list(APPEND ADRG_DEB_CONTROL_EXTRA ${ADRG_DEB_CONTROL}/${script})
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${ADRG_DEB_CONTROL}/conffiles ${ADRG_DEB_CONTROL_EXTRA})
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
