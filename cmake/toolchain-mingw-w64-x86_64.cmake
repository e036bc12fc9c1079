# Cross toolchain for Windows x64: Debian 12's MinGW-w64 GCC 12 with the posix thread model
# (std::thread, std::mutex). Used by tests/ras/run-windows-tests.sh:
#   cmake -S . -B build-mingw -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64-x86_64.cmake
# Produces .exe's and .dll's with a static runtime (no libstdc++-6.dll to ship or to put on
# wine's path), runnable under wine64 (set as the cross-compiling emulator for ctest).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(_dialkit_tc x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_dialkit_tc}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_dialkit_tc}-g++-posix)
set(CMAKE_RC_COMPILER ${_dialkit_tc}-windres)

# Header-only dependencies come from the Linux packages (libboost-dev, catch2,
# nlohmann-json3-dev, libcli11-dev, libexpected-dev). /usr/include itself must never be on
# MinGW's include path (glibc headers would win), so a shim prefix holds only links to those
# trees, plus small CMake package files of its own: Debian's would point the targets at
# /usr/include.
set(DIALKIT_HOST_INCLUDE "/usr/include" CACHE PATH "Where the Linux packages' header trees are")
set(DIALKIT_HOST_CATCH2_CMAKE "/usr/lib/cmake/Catch2" CACHE PATH "Catch2 v2's CMake package (for Catch.cmake)")
set(DIALKIT_HOST_NLOHMANN_CMAKE "/usr/share/cmake/nlohmann_json" CACHE PATH "nlohmann-json3-dev's CMake package")
set(DIALKIT_HOST_CLI11_CMAKE "/usr/share/cmake/CLI11" CACHE PATH "libcli11-dev's CMake package")
set(DIALKIT_HOST_TL_EXPECTED_CMAKE "/usr/share/cmake/tl-expected" CACHE PATH "libexpected-dev's CMake package")
set(_dialkit_shim "${CMAKE_BINARY_DIR}/_mingw_host_shim")
# (A shim made before tl-expected joined the list is made again.)
if(NOT EXISTS "${_dialkit_shim}/done" OR NOT EXISTS "${_dialkit_shim}/include/tl")
  file(REMOVE_RECURSE "${_dialkit_shim}")
  file(MAKE_DIRECTORY "${_dialkit_shim}/include")
  foreach(_tree boost catch2 nlohmann CLI tl)
    file(CREATE_LINK "${DIALKIT_HOST_INCLUDE}/${_tree}" "${_dialkit_shim}/include/${_tree}" SYMBOLIC)
  endforeach()
  # Catch.cmake and CatchAddTests.cmake are copied (catch_discover_tests honours the emulator).
  file(COPY "${DIALKIT_HOST_CATCH2_CMAKE}/Catch.cmake" "${DIALKIT_HOST_CATCH2_CMAKE}/CatchAddTests.cmake"
            "${DIALKIT_HOST_CATCH2_CMAKE}/Catch2ConfigVersion.cmake"
       DESTINATION "${_dialkit_shim}/lib/cmake/Catch2")
  set(_dialkit_inc [=[get_filename_component(_shim_inc "${CMAKE_CURRENT_LIST_DIR}/../../../include" ABSOLUTE)]=])
  file(WRITE "${_dialkit_shim}/lib/cmake/Catch2/Catch2Config.cmake" "${_dialkit_inc}
if(NOT TARGET Catch2::Catch2)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  set_target_properties(Catch2::Catch2 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"\${_shim_inc}\")
endif()
list(APPEND CMAKE_MODULE_PATH \"\${CMAKE_CURRENT_LIST_DIR}\")
")
  file(WRITE "${_dialkit_shim}/lib/cmake/nlohmann_json/nlohmann_jsonConfig.cmake" "${_dialkit_inc}
if(NOT TARGET nlohmann_json::nlohmann_json)
  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
  set_target_properties(nlohmann_json::nlohmann_json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"\${_shim_inc}\")
endif()
")
  file(WRITE "${_dialkit_shim}/lib/cmake/CLI11/CLI11Config.cmake" "${_dialkit_inc}
if(NOT TARGET CLI11::CLI11)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  set_target_properties(CLI11::CLI11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"\${_shim_inc}\")
endif()
")
  file(WRITE "${_dialkit_shim}/lib/cmake/tl-expected/tl-expected-config.cmake" "${_dialkit_inc}
if(NOT TARGET tl::expected)
  add_library(tl::expected INTERFACE IMPORTED)
  set_target_properties(tl::expected PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"\${_shim_inc}\")
endif()
")
  # Their version files are the host packages' own (header-only: the same headers).
  file(COPY "${DIALKIT_HOST_NLOHMANN_CMAKE}/nlohmann_jsonConfigVersion.cmake"
       DESTINATION "${_dialkit_shim}/lib/cmake/nlohmann_json")
  file(COPY "${DIALKIT_HOST_CLI11_CMAKE}/CLI11ConfigVersion.cmake" DESTINATION "${_dialkit_shim}/lib/cmake/CLI11")
  file(COPY "${DIALKIT_HOST_TL_EXPECTED_CMAKE}/tl-expected-config-version.cmake"
       DESTINATION "${_dialkit_shim}/lib/cmake/tl-expected")
  file(WRITE "${_dialkit_shim}/done" "")
endif()

set(CMAKE_FIND_ROOT_PATH "/usr/${_dialkit_tc}" "${_dialkit_shim}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(Boost_NO_BOOST_CMAKE ON)  # FindBoost's module mode on the shim, not Debian's BoostConfig
set(BOOST_INCLUDEDIR "${_dialkit_shim}/include")
set(Catch2_DIR "${_dialkit_shim}/lib/cmake/Catch2")
set(nlohmann_json_DIR "${_dialkit_shim}/lib/cmake/nlohmann_json")
set(CLI11_DIR "${_dialkit_shim}/lib/cmake/CLI11")
set(tl-expected_DIR "${_dialkit_shim}/lib/cmake/tl-expected")

# MinGW cannot export the weak symbol BOOST_DLL_ALIAS uses by default: without this a plugin
# links fine and exports no entry point. Plugins have their one alias in one file each.
# -mbig-obj: Debug objects with Catch2 or Boost exceed PE's default section count.
set(CMAKE_CXX_FLAGS_INIT "-DBOOST_DLL_FORCE_ALIAS_INSTANTIATION -Wa,-mbig-obj")

# A static runtime: libstdc++, libgcc and winpthread inside every .exe and .dll.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")
# dialkit-core.dll carries no dllexport annotations: export all of its own symbols, as on
# ELF, but not those of the static runtime inside it (programs link their own copy).
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -Wl,--export-all-symbols -Wl,--exclude-libs,ALL")
# C++23 with a static libstdc++ at -O0: std::type_info::operator== is defined both inline
# and in libstdc++.a(tinfo.o) (w64devkit#86). Both definitions are the same function.
foreach(_kind EXE MODULE SHARED)
  set(CMAKE_${_kind}_LINKER_FLAGS_DEBUG_INIT "-Wl,--allow-multiple-definition")
endforeach()

# Windows keeps DLLs beside the programs that load them: core, the tests and the stand-in
# rasapi32.dll all land in bin/ (the CLI keeps its own cli/ and finds core through WINEPATH).
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")

find_program(DIALKIT_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(DIALKIT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${DIALKIT_WINE}")
endif()
