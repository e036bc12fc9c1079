// Reading a plugin's ABI record out of its file (DESIGN.md section 6) without loading it: a
// small section reader for ELF and PE files that treats the file as hostile (every offset and
// size is checked against the file before it is used), and the check of the record it finds.
// Shared by plugin_loader.cpp, its tests and the fuzzer (tests/fuzz/fuzz_plugin_record.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <dialkit/error.hpp>
#include <dialkit/expected.hpp>

namespace dialkit::detail {

// The bytes of a file, read at any offset. read() fills `out` entirely or returns false.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  [[nodiscard]] virtual std::uint64_t size() const noexcept = 0;
  [[nodiscard]] virtual bool read(std::uint64_t offset, void* out, std::size_t count) const = 0;
};

// A file already in memory (the fuzzer's input, a test's bytes).
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) noexcept : bytes_(bytes) {}
  [[nodiscard]] std::uint64_t size() const noexcept override { return bytes_.size(); }
  [[nodiscard]] bool read(std::uint64_t offset, void* out, std::size_t count) const override;

 private:
  std::string_view bytes_;
};

// The largest section read_section() returns; a record section is a few hundred bytes.
inline constexpr std::uint64_t max_section_size = 64 * 1024;

// Why a section could not be had: the file is no ELF or PE file at all, its headers do not
// fit in it, or it has no section of that name.
enum class SectionFailure { not_a_binary, damaged, missing };

struct SectionError {
  SectionFailure kind = SectionFailure::damaged;
  std::string what;  // for people: what is wrong, without the file's name
};

// The contents of the one section named `name` of an ELF (32 or 64 bit, either byte order)
// or PE file. Fails for two sections of that name, a section without bytes in the file
// (SHT_NOBITS) and one larger than max_section_size.
[[nodiscard]] expected<std::string, SectionError> read_section(const ByteSource& file, std::string_view name);

// What a valid record says.
struct RecordFields {
  unsigned abi = 0;
  std::string build_key;
  std::string name;
  std::string description;
};

// Checks a record section's bytes: its size and magic, each field terminated, the ABI version
// a number, the build key [a-z0-9_]+, the name a valid backend name, the description without
// control characters. Errors are Errc::plugin_rejected and name `shown_file`.
[[nodiscard]] Result<RecordFields> parse_record(std::string_view section, std::string_view shown_file);

// Reads and checks the record of the plugin file (read_section, then parse_record).
[[nodiscard]] Result<RecordFields> read_plugin_record(const ByteSource& file, std::string_view shown_file);

}  // namespace dialkit::detail
