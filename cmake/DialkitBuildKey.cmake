# The build key (DESIGN.md section 6): what host and plugins must share for C++ objects to
# cross between them, and nothing more, as Qt's key. Its fields, joined by "__" in this order
# (core/src/plugin_loader.cpp names them in the same order when it refuses a plugin):
#   platform          OS and architecture                      linux_x86_64
#   compiler          compiler family, not its version         gnu
#   standard library  and its ABI: libstdc++'s dual ABI        libstdcxx_cxx11abi
#                     (_GLIBCXX_USE_CXX11_ABI), libc++, the MSVC runtime and its debug flavour
#   Boost             major.minor                              boost1_74
#   expected          DIALKIT_EXPECTED (DialkitExpected.cmake)  tlexpected
#   sanitizers        they change the ABI in practice          nosan
# Not the exact compiler version, nor the build type on Linux: a gcc point release or Debian's
# build type None must not orphan every out-of-tree plugin. The key is an identifier
# ([a-z0-9_]+, no field holding "__") so that it can be part of the plugin's entry alias name,
# which the loader reads from the plugin's "dialkit" section without running any of its code.
include(CheckCXXSourceCompiles)

# dialkit_compute_build_key(OUT_VAR EXPECTED): EXPECTED is tl or std (DIALKIT_EXPECTED in
# dialkit's tree; dialkit_EXPECTED from the installed package in a plugin project).
function(dialkit_compute_build_key out_var expected)
  if(NOT expected MATCHES "^(tl|std)$")
    message(FATAL_ERROR "dialkit_compute_build_key: the expected implementation is tl or std, "
      "not \"${expected}\"")
  endif()
  find_package(Boost 1.74 REQUIRED)
  set(_platform "${CMAKE_SYSTEM_NAME}_${CMAKE_SYSTEM_PROCESSOR}")
  set(_compiler "${CMAKE_CXX_COMPILER_ID}")
  # The standard library, asked of the compiler with this project's flags (a -stdlib= or a
  # -D_GLIBCXX_USE_CXX11_ABI=0 in CMAKE_CXX_FLAGS counts).
  if(MSVC)
    # The MSVC runtime and its debug/release flavour are part of the ABI there.
    # A runtime chosen by configuration (CMake's default) follows the build type.
    set(_stdlib msvcrt)
    if(CMAKE_MSVC_RUNTIME_LIBRARY AND NOT CMAKE_MSVC_RUNTIME_LIBRARY MATCHES "\\$<")
      if(CMAKE_MSVC_RUNTIME_LIBRARY MATCHES "Debug")
        set(_stdlib msvcrtd)
      endif()
    elseif(CMAKE_BUILD_TYPE STREQUAL "Debug")
      set(_stdlib msvcrtd)
    endif()
  else()
    set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)  # compiled only: no linker flag matters
    check_cxx_source_compiles([=[
#include <cstddef>
#if !defined(_LIBCPP_VERSION)
#error not libc++
#endif
int dialkit_key_probe() { return 0; }]=] DIALKIT_KEY_LIBCXX)
    check_cxx_source_compiles([=[
#include <cstddef>
#if !defined(__GLIBCXX__) || !_GLIBCXX_USE_CXX11_ABI
#error not libstdc++ with its C++11 ABI
#endif
int dialkit_key_probe() { return 0; }]=] DIALKIT_KEY_LIBSTDCXX_CXX11_ABI)
    if(DIALKIT_KEY_LIBCXX)
      set(_stdlib libcxx)
    elseif(DIALKIT_KEY_LIBSTDCXX_CXX11_ABI)
      set(_stdlib libstdcxx_cxx11abi)
    else()
      set(_stdlib libstdcxx_oldabi)
    endif()
  endif()
  set(_san "nosan")
  if(DIALKIT_SANITIZE)
    set(_san "${DIALKIT_SANITIZE}")
  endif()
  set(_key "")
  foreach(_field IN ITEMS "${_platform}" "${_compiler}" "${_stdlib}"
      "boost${Boost_VERSION_MAJOR}_${Boost_VERSION_MINOR}" "${expected}expected" "${_san}")
    string(TOLOWER "${_field}" _field)
    string(REGEX REPLACE "[^a-z0-9]+" "_" _field "${_field}")
    string(REGEX REPLACE "^_|_$" "" _field "${_field}")
    if(_key STREQUAL "")
      set(_key "${_field}")
    else()
      string(APPEND _key "__${_field}")
    endif()
  endforeach()
  set(${out_var} "${_key}" PARENT_SCOPE)
endfunction()
# The installed package includes this file for the function alone, to compute a plugin
# project's own key (dialkitPluginHelpers.cmake).
if(NOT DIALKIT_BUILD_KEY_FUNCTION_ONLY)
  dialkit_compute_build_key(DIALKIT_BUILD_KEY ${DIALKIT_EXPECTED})
  message(STATUS "dialkit: build key ${DIALKIT_BUILD_KEY}")
endif()
