# The build key: what host and plugins must share for C++ objects to cross between them
# (compiler and its version, standard library, Boost version, build type and sanitizers).
# It is an identifier so it can be part of the plugin's entry alias name, which the loader
# reads from the plugin's "dialkit" section without running any of the plugin's code.
function(dialkit_compute_build_key out_var)
  find_package(Boost 1.74 REQUIRED)
  set(_stdlib libstdcxx)
  if(CMAKE_CXX_FLAGS MATCHES "-stdlib=libc\\+\\+")
    set(_stdlib libcxx)
  endif()
  set(_type "${CMAKE_BUILD_TYPE}")
  if(_type STREQUAL "")
    set(_type "none")
  endif()
  set(_san "nosan")
  if(DIALKIT_SANITIZE)
    string(REPLACE "," "_" _san "${DIALKIT_SANITIZE}")
  endif()
  set(_key "${CMAKE_CXX_COMPILER_ID}${CMAKE_CXX_COMPILER_VERSION}__${_stdlib}__boost${Boost_VERSION}__${_type}__${_san}")
  string(TOLOWER "${_key}" _key)
  string(REGEX REPLACE "[^a-z0-9_]" "_" _key "${_key}")
  set(${out_var} "${_key}" PARENT_SCOPE)
endfunction()
# The installed package includes this file for the function alone, to compute a plugin
# project's own key (dialkitPluginHelpers.cmake).
if(NOT DIALKIT_BUILD_KEY_FUNCTION_ONLY)
  dialkit_compute_build_key(DIALKIT_BUILD_KEY)
  message(STATUS "dialkit: build key ${DIALKIT_BUILD_KEY}")
endif()
