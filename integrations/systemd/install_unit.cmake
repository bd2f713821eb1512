# Installs adrg.service naming the daemon where this install puts it (the source copy says
# /usr/sbin/adrg). It runs at install time, so `cmake --install --prefix P`, DESTDIR staging and
# CPack's prefix are all honoured; the staged copy is rewritten only when its text changes, so a
# second install reports the unit "Up-to-date".
# Inputs: ADRG_UNIT_SOURCE, ADRG_UNIT_STAGING (a build-tree directory), ADRG_UNIT_DIR and
# ADRG_SBINDIR (relative to the prefix).
file(READ "${ADRG_UNIT_SOURCE}" adrg_unit_text)
string(REPLACE "/usr/sbin/adrg" "${CMAKE_INSTALL_PREFIX}/${ADRG_SBINDIR}/adrg" adrg_unit_text
               "${adrg_unit_text}")
set(adrg_unit_staged "${ADRG_UNIT_STAGING}/adrg.service")
set(adrg_unit_old "")
if(EXISTS "${adrg_unit_staged}")
  file(READ "${adrg_unit_staged}" adrg_unit_old)
endif()
if(NOT adrg_unit_text STREQUAL adrg_unit_old)
  file(WRITE "${adrg_unit_staged}" "${adrg_unit_text}")
endif()
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/${ADRG_UNIT_DIR}" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "${adrg_unit_staged}")
