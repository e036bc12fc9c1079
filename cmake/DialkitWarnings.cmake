# Warning flags shared by every dialkit target; DIALKIT_WERROR (on in CI) makes them errors.
add_library(dialkit_warnings INTERFACE)
target_compile_options(dialkit_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wconversion -Wsign-conversion
    -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough>
  # g++ 12 at -O2 and above reports -Wrestrict (GCC bug 105329) and -Wnull-dereference
  # falsely inside libstdc++ (std::string, streambuf): the first off, the second not fatal.
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_GREATER_EQUAL:$<CXX_COMPILER_VERSION>,12>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict -Wno-error=null-dereference>
  $<$<AND:$<CXX_COMPILER_ID:GNU,Clang>,$<BOOL:${DIALKIT_WERROR}>>:-Werror>)
