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
