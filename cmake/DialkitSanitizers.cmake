# DIALKIT_SANITIZE=address,undefined or thread: applied to every target of the tree, so the
# host, the plugins and the tests share one runtime (a mix would not load).
if(DIALKIT_SANITIZE)
  string(REPLACE "," ";" _dialkit_sans "${DIALKIT_SANITIZE}")
  if("thread" IN_LIST _dialkit_sans AND ("address" IN_LIST _dialkit_sans))
    message(FATAL_ERROR "DIALKIT_SANITIZE: thread cannot be combined with address")
  endif()
  string(REPLACE ";" "," _dialkit_san_flag "${_dialkit_sans}")
  add_compile_options(-fsanitize=${_dialkit_san_flag} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_dialkit_san_flag})
endif()

# For targets that include Boost.Asio (<dialkit/asio.hpp>): g++ warns (-Wtsan) that
# ThreadSanitizer does not model the std::atomic_thread_fence Asio's handler invocation uses;
# a warning about the sanitizer, not about the code, so it stays a warning under -Werror.
function(dialkit_asio_target target)
  if(DIALKIT_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-tsan)
  endif()
  target_link_libraries(${target} PRIVATE Boost::headers)
endfunction()
