// Fuzzes the plugin record reader (core/src/plugin_record.cpp): the bounds-checked ELF and PE
// section reader and the record check the loader runs on every plugin file before loading it,
// a file anyone could have written. The input is the whole file. The reader must never read
// outside the input, and what it returns must be a part of the input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <dialkit/plugin_loader.hpp>

#include "fuzz_support.hpp"
#include "plugin_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dialkit::fuzz::require;
  const std::string_view bytes = dialkit::fuzz::as_text(data, size);
  const dialkit::detail::MemorySource file(bytes);

  const auto section = dialkit::detail::read_section(file, dialkit::plugin_record_section);
  if (section) {
    require(section->size() <= dialkit::detail::max_section_size, "a section is at most max_section_size");
    require(section->empty() || bytes.find(*section) != std::string_view::npos, "a section is a part of the file");
  } else {
    require(!section.error().what.empty(), "a failure says why");
  }

  const auto record = dialkit::detail::read_plugin_record(file, "fuzz.so");
  if (record) {
    require(section.has_value() && section->size() == sizeof(dialkit::PluginRecord), "a record is one PluginRecord");
    require(dialkit::is_valid_backend_name(record->name), "a record's name is a backend name");
    require(!record->build_key.empty(), "a record has a build key");
  } else {
    require(record.error().code == dialkit::Errc::plugin_rejected, "a refused file is plugin_rejected");
    require(record.error().detail.find("fuzz.so") != std::string::npos, "a refusal names the file");
  }
  // A PE section name is at most 8 bytes; a longer one is simply missing, in either format.
  (void)dialkit::detail::read_section(file, ".dialkit_longer_than_eight");
  return 0;
}
