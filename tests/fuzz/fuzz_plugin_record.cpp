// Fuzzes the plugin record reader (core/src/plugin_record.cpp): the bounds-checked ELF and PE
// section reader and the record check the loader runs on every plugin file before loading it,
// a file anyone could have written. The input is the whole file. ASan sees any read outside
// the input; a section returned is no larger than the file or the reader's limit, and a
// record accepted is one whose fields the loader may use as they are.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <dialkit/plugin_loader.hpp>

#include "fuzz_support.hpp"
#include "plugin_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dialkit::fuzz::require;
  const dialkit::detail::MemorySource file(dialkit::fuzz::as_text(data, size));

  const auto section = dialkit::detail::read_section(file, dialkit::plugin_record_section);
  if (!section) {
    require(!section.error().what.empty(), "a failure says why");
    return 0;
  }
  require(section->size() <= dialkit::detail::max_section_size && section->size() <= size,
          "a section is no larger than the limit and the file");

  // What read_plugin_record does with the section (the loader's path).
  const auto record = dialkit::detail::parse_record(*section, "fuzz.so");
  if (record) {
    require(section->size() == sizeof(dialkit::PluginRecord), "a record is one PluginRecord");
    require(dialkit::is_valid_backend_name(record->name), "a record's name is a backend name");
    require(!record->build_key.empty(), "a record has a build key");
  } else {
    require(record.error().code == dialkit::Errc::plugin_rejected, "a refused file is plugin_rejected");
    require(record.error().detail.find("fuzz.so") != std::string::npos, "a refusal names the file");
  }
  return 0;
}
