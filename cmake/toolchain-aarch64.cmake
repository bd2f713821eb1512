# Cross build for arm64 (Raspberry Pi 5) with Debian's aarch64 toolchain and multiarch -dev
# packages (dpkg --add-architecture arm64; tools/cross-arm64.sh installs both):
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
# Tests run under qemu-user: CMAKE_CROSSCOMPILING_EMULATOR makes ctest (and gtest's test
# discovery) start every test binary through qemu-aarch64 with the arm64 libraries.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(ADRG_TRIPLET aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${ADRG_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${ADRG_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${ADRG_TRIPLET})

# Headers and libraries come from the multiarch paths of the host root (/usr/include,
# /usr/lib/aarch64-linux-gnu), programs from the build machine. The overlay holds the arm64
# -dev packages that cannot be co-installed with their amd64 twins (yaml-cpp, simdjson; see
# tools/cross-arm64.sh), searched first.
if(NOT ADRG_ARM64_OVERLAY)
  set(ADRG_ARM64_OVERLAY /var/cache/adrg-arm64/overlay)
endif()
set(CMAKE_FIND_ROOT_PATH ${ADRG_ARM64_OVERLAY} /usr/${ADRG_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must see only arm64 .pc files (liburing, libsystemd, libmicrohttpd).
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${ADRG_TRIPLET}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# -L /: the dynamic loader is libc6:arm64's /lib/ld-linux-aarch64.so.1, the same build as the
# multiarch libc.so.6 it loads, as on a real arm64 Debian. Not -L /usr/aarch64-linux-gnu: that
# loader comes from libc6-arm64-cross (2.36-8cross1) while libc.so.6 is still found in
# /lib/aarch64-linux-gnu (2.36-9+deb12u*), and with that mismatched pair the first
# pthread_create spins forever.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/)
