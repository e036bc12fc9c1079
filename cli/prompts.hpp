// What the CLI asks a person on the terminal (/dev/tty), in one place: commands.cpp asks with
// these, and cli/README.md lists each of them (tests/cli checks that it does).
#pragma once

#include <array>
#include <string_view>

namespace dialkit::cli::prompts {

inline constexpr std::string_view user_name = "User name: ";
// With no user name known.
inline constexpr std::string_view password = "Password: ";
// Followed by the user name and ": ".
inline constexpr std::string_view password_for = "Password for ";
// Before the next password prompt, after a rejected password: followed by "N tries left.".
inline constexpr std::string_view rejected = "The password was not accepted; ";
inline constexpr std::string_view callback_number = "Callback number: ";
inline constexpr std::string_view new_password = "New password: ";
inline constexpr std::string_view retype_new_password = "Retype the new password: ";
// Before "New password: " again, when the two did not match.
inline constexpr std::string_view mismatch = "The two new passwords did not match; try again.";
inline constexpr std::string_view eap_input = "EAP input: ";
inline constexpr std::string_view terminal_session =
    "A terminal session with the peer is needed; press Enter when it is done: ";

inline constexpr std::array all{user_name,       password,     password_for,        rejected,
                                callback_number, new_password, retype_new_password, mismatch,
                                eap_input,       terminal_session};

}  // namespace dialkit::cli::prompts
