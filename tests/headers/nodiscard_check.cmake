# cmake -P: proves that an ignored dialkit::Result warns. Compiles nodiscard_use.cpp twice with
# -Werror: as is (it uses its Results: must compile) and with DIALKIT_IGNORE_RESULT (it drops
# three: must fail, naming nodiscard for each). Arguments: COMPILER, STD_FLAG, INCLUDE,
# DEFINITION, SOURCE.
set(base ${COMPILER} ${STD_FLAG} -fsyntax-only -Werror -Wall -I${INCLUDE} -D${DEFINITION} ${SOURCE})
execute_process(COMMAND ${base} RESULT_VARIABLE used_rc ERROR_VARIABLE used_err OUTPUT_VARIABLE used_out)
if(NOT used_rc EQUAL 0)
  message(FATAL_ERROR "the control (Results used) does not compile:\n${used_out}${used_err}")
endif()
execute_process(COMMAND ${base} -DDIALKIT_IGNORE_RESULT RESULT_VARIABLE ignored_rc ERROR_VARIABLE ignored_err
  OUTPUT_VARIABLE ignored_out)
if(ignored_rc EQUAL 0)
  message(FATAL_ERROR "ignoring resume(), hangup() and dial() compiled without a warning")
endif()
string(REGEX MATCHALL "nodiscard" hits "${ignored_err}")
list(LENGTH hits count)
if(count LESS 3)
  message(FATAL_ERROR "expected a nodiscard warning for each of the 3 dropped Results, got ${count}:\n${ignored_err}")
endif()
message(STATUS "an ignored Result warns (${count} nodiscard diagnostics)")
