// Compiled by nodiscard_check.cmake, never linked: with DIALKIT_IGNORE_RESULT the Results of
// resume(), hangup() and dial() are dropped, which must be a warning (an error under -Werror);
// without it they are used, which must compile cleanly (the control).
#include <dialkit/runtime.hpp>

int use(dialkit::Connection& c, dialkit::Dialer& d) {
#ifdef DIALKIT_IGNORE_RESULT
  c.resume(dialkit::TerminalDone{});
  c.hangup();
  d.dial("entry");
  return 0;
#else
  auto resumed = c.resume(dialkit::TerminalDone{});
  auto dialed = d.dial("entry");
  (void)c.hangup();  // the documented way to drop one on purpose
  return resumed.has_value() && dialed.has_value() ? 0 : 1;
#endif
}
