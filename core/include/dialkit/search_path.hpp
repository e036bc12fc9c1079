/// @file
/// Search paths from the environment, with one rule everywhere in dialkit (the plugin loader,
/// and backends through the plugin kit: the mock's scenario directories, a backend's own
/// directories): elements are separated by ':' (';' on Windows), empty elements are skipped,
/// and a process running set-user-ID or set-group-ID never reads the variable (glibc's
/// secure_getenv), so that whoever started it cannot point it at code or data of their own.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>


namespace dialkit {

/// The separator of search-path elements on this platform.
#if defined(_WIN32)
inline constexpr char search_path_separator = ';';
#else
inline constexpr char search_path_separator = ':';
#endif

/// The value of environment variable `name`; nothing when it is unset, empty, or when this
/// process runs set-user-ID or set-group-ID (where the C library can tell).
std::optional<std::string> environment_value(const char* name);

/// `text` split at search_path_separator, empty elements skipped.
std::vector<std::filesystem::path> split_search_path(std::string_view text);

/// The search path in environment variable `name` (environment_value() then split_search_path()).
std::vector<std::filesystem::path> environment_search_path(const char* name);

}  // namespace dialkit
