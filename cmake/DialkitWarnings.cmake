# Warning flags shared by every dialkit target; DIALKIT_WERROR (on in CI) makes them errors.
add_library(dialkit_warnings INTERFACE)
target_compile_options(dialkit_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wconversion -Wsign-conversion
    -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough>
  $<$<AND:$<CXX_COMPILER_ID:GNU,Clang>,$<BOOL:${DIALKIT_WERROR}>>:-Werror>)
