// Internals of the plugin loader shared by plugin_loader.cpp, its tests and the fuzzer
// (tests/fuzz): the check of a plugin's entry alias (made from the ABI version and build key
// of its record, which plugin_record.hpp reads out of a file anyone could have written), as a
// pure function of those names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <dialkit/error.hpp>

namespace dialkit::detail {

// The entry alias a host with this build key looks for: dialkit_abi<N>__<build key>.
[[nodiscard]] std::string entry_alias_for(std::string_view host_key);

// Picks the host's entry alias out of the names a plugin's record gives, or
// says why none fits (no entry point, a malformed one, another plugin ABI, another build key,
// naming the components that differ). `shown_file` is the file's name for the messages.
[[nodiscard]] Result<std::string> choose_entry_alias(std::vector<std::string> symbols,
                                                     std::string_view host_key,
                                                     std::string_view shown_file);

// Says which components of two build keys differ (cmake/DialkitBuildKey.cmake fixes their order).
[[nodiscard]] std::string describe_key_difference(std::string_view plugin_key, std::string_view host_key);

}  // namespace dialkit::detail
