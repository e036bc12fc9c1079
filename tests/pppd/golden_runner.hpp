// Runs a golden input (recorded native pppd sequence plus the backend's own actions) through
// the real parser and mapper, and renders the shared events it produces, one JSON per line.
#pragma once

#include <string>
#include <string_view>

namespace dialkit::pppd::test {

// Input lines: "> LINE" (plugin channel, one read per line; the "> " lines between "@read"
// and "@end" arrive in one read), "@spawn", "@hangup", "@exited N", "@signaled N",
// "@output TEXT" (pppd's stdout/stderr), "@options handle_paused=1", "# comment".
[[nodiscard]] std::string run_golden(std::string_view input);

}  // namespace dialkit::pppd::test
