// Fuzzes the plugin loader's check of a plugin's entry alias (core/src/plugin_loader.cpp,
// detail::choose_entry_alias): the names dialkit_abi<N>__<build key> made from a plugin's
// record (fuzz_plugin_record fuzzes the reading of the record itself), checked for the plugin
// ABI version and the build key before any of the plugin's code runs. The input is the section's names separated
// by NUL bytes; if its first byte is odd, the first name is taken as the host's build key
// instead of this host's real one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <dialkit/plugin_loader.hpp>

#include "fuzz_support.hpp"
#include "plugin_loader_internal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dialkit::fuzz::require;
  if (size == 0) return 0;
  const bool own_key = (data[0] & 1U) != 0;
  std::string_view text = dialkit::fuzz::as_text(data + 1, size - 1);
  std::vector<std::string> names;
  for (;;) {
    const auto at = text.find('\0');
    names.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  std::string host_key(dialkit::host_build_key());
  if (own_key) {
    host_key = names.front();
    names.erase(names.begin());
  }

  const auto chosen = dialkit::detail::choose_entry_alias(names, host_key, "fuzz.so");
  const std::string wanted = dialkit::detail::entry_alias_for(host_key);
  const bool listed = std::find(names.begin(), names.end(), wanted) != names.end();
  if (chosen) {
    require(*chosen == wanted, "the chosen alias is the host's");
    require(listed, "the chosen alias is one of the plugin's");
  } else {
    require(!listed, "the host's alias, when listed, is chosen");
    require(chosen.error().code == dialkit::Errc::plugin_rejected, "a refused plugin is plugin_rejected");
    require(!chosen.error().detail.empty(), "a refusal says why");
  }
  // The difference of two keys names what differs, or says both keys when they do not split
  // into the six components.
  if (names.size() >= 2) {
    const auto text_of = dialkit::detail::describe_key_difference(names[0], names[1]);
    if (names[0] == names[1]) require(text_of.empty() || text_of.starts_with("its build key is "), "equal keys differ in nothing");
  }
  return 0;
}
