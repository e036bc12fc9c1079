// The plugin record reader (plugin_record.hpp). The file is hostile: every offset, size and
// count read from it is checked against the file's size before anything is read through it,
// with arithmetic that cannot overflow; nothing is indexed that was not read first.
#include "plugin_record.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <dialkit/plugin_loader.hpp>

namespace dialkit::detail {
namespace {

// More section headers than any real plugin has (ELF's extended numbering allows 2^32).
constexpr std::uint64_t max_sections = 65536;

expected<std::string, SectionError> failure(SectionFailure kind, std::string what) {
  return unexpected<SectionError>(SectionError{kind, std::move(what)});
}

// Does [offset, offset + count) lie inside a file of `size` bytes?
bool fits(std::uint64_t offset, std::uint64_t count, std::uint64_t size) noexcept {
  return offset <= size && count <= size - offset;
}

// Little- or big-endian integers out of bytes already read.
class Decoder {
 public:
  explicit Decoder(bool big_endian) noexcept : big_(big_endian) {}
  [[nodiscard]] std::uint64_t get(const unsigned char* p, std::size_t width) const noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const std::size_t at = big_ ? i : width - 1 - i;
      v = (v << 8) | p[at];
    }
    return v;
  }

 private:
  bool big_;
};

// One section as both formats describe it: a name (an offset into the ELF name table, or
// PE's eight bytes) and where its bytes are.
struct Section {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  bool has_bytes = true;  // not SHT_NOBITS
};

// Reads `count` bytes at `offset`, checked against the file first.
bool read_checked(const ByteSource& file, std::uint64_t offset, void* out, std::size_t count) {
  return fits(offset, count, file.size()) && file.read(offset, out, count);
}

expected<std::string, SectionError> contents(const ByteSource& file, const Section& s, std::string_view name) {
  const std::string shown(name);
  if (!s.has_bytes) return failure(SectionFailure::damaged, "its " + shown + " section has no bytes in the file");
  if (s.size > max_section_size)
    return failure(SectionFailure::damaged, "its " + shown + " section is larger than " +
                                                std::to_string(max_section_size) + " bytes");
  if (!fits(s.offset, s.size, file.size()))
    return failure(SectionFailure::damaged, "its " + shown + " section lies outside the file");
  std::string bytes(static_cast<std::size_t>(s.size), '\0');
  if (!bytes.empty() && !file.read(s.offset, bytes.data(), bytes.size()))
    return failure(SectionFailure::damaged, "its " + shown + " section cannot be read");
  return bytes;
}

expected<std::string, SectionError> read_elf_section(const ByteSource& file, std::string_view name) {
  const std::uint64_t size = file.size();
  unsigned char ident[16];
  if (!read_checked(file, 0, ident, sizeof ident))
    return failure(SectionFailure::damaged, "its ELF header is truncated");
  const bool is64 = ident[4] == 2;
  if (ident[4] != 1 && ident[4] != 2)
    return failure(SectionFailure::damaged, "its ELF class " + std::to_string(ident[4]) + " is unknown");
  if (ident[5] != 1 && ident[5] != 2)
    return failure(SectionFailure::damaged, "its ELF byte order " + std::to_string(ident[5]) + " is unknown");
  const Decoder d(ident[5] == 2);

  // The fields of the ELF header and of a section header this reader uses: offset and width.
  const std::size_t header_size = is64 ? 64 : 52;
  unsigned char header[64];
  if (!read_checked(file, 0, header, header_size))
    return failure(SectionFailure::damaged, "its ELF header is truncated");
  const std::uint64_t shoff = is64 ? d.get(header + 0x28, 8) : d.get(header + 0x20, 4);
  const std::uint64_t shentsize = d.get(header + (is64 ? 0x3a : 0x2e), 2);
  std::uint64_t shnum = d.get(header + (is64 ? 0x3c : 0x30), 2);
  std::uint64_t shstrndx = d.get(header + (is64 ? 0x3e : 0x32), 2);
  const std::size_t entry_size = is64 ? 64 : 40;
  if (shoff == 0) return failure(SectionFailure::missing, "it has no section headers");
  if (shentsize < entry_size)
    return failure(SectionFailure::damaged, "its section header size " + std::to_string(shentsize) + " is too small");

  unsigned char entry[64];
  const auto read_entry = [&](std::uint64_t index) {
    // index < shnum <= max_sections and shentsize < 2^16: the product cannot overflow.
    return index < shnum && fits(shoff, (index + 1) * shentsize, size) &&
           file.read(shoff + index * shentsize, entry, entry_size);
  };
  const auto field = [&](std::size_t at64, std::size_t at32, bool wide) {
    return is64 ? d.get(entry + at64, wide ? 8 : 4) : d.get(entry + at32, 4);
  };
  const auto section_at = [&](std::uint64_t index, std::uint64_t* name_offset) -> std::optional<Section> {
    if (!read_entry(index)) return std::nullopt;
    *name_offset = d.get(entry, 4);
    Section s;
    s.has_bytes = d.get(entry + 4, 4) != 8;  // SHT_NOBITS
    s.offset = field(0x18, 0x10, true);
    s.size = field(0x20, 0x14, true);
    return s;
  };

  // Extended numbering: the real count and name table index live in section 0.
  if (shnum == 0 || shstrndx == 0xffff) {
    const std::uint64_t given = shnum;
    shnum = 1;
    if (!read_entry(0)) return failure(SectionFailure::damaged, "its section headers lie outside the file");
    if (given == 0) shnum = field(0x20, 0x14, true);
    else shnum = given;
    if (shstrndx == 0xffff) shstrndx = d.get(entry + (is64 ? 0x28 : 0x18), 4);
  }
  if (shnum > max_sections)
    return failure(SectionFailure::damaged, "it claims " + std::to_string(shnum) + " sections");
  if (!fits(shoff, shnum * shentsize, size))
    return failure(SectionFailure::damaged, "its section headers lie outside the file");

  std::uint64_t ignored = 0;
  const auto names = section_at(shstrndx, &ignored);
  if (!names)
    return failure(SectionFailure::damaged,
                   "its section name table index " + std::to_string(shstrndx) + " is out of range");
  if (!names->has_bytes || !fits(names->offset, names->size, size))
    return failure(SectionFailure::damaged, "its section name table lies outside the file");

  // Compares each section's name with `name` + NUL, reading no further than the name table.
  std::string wanted(name);
  wanted.push_back('\0');
  std::string candidate(wanted.size(), '\0');
  std::optional<Section> found;
  for (std::uint64_t i = 0; i < shnum; ++i) {
    std::uint64_t name_offset = 0;
    const auto s = section_at(i, &name_offset);
    if (!s) return failure(SectionFailure::damaged, "its section headers lie outside the file");
    if (!fits(name_offset, wanted.size(), names->size)) continue;  // too near the end to be ours
    if (!file.read(names->offset + name_offset, candidate.data(), candidate.size()))
      return failure(SectionFailure::damaged, "its section name table cannot be read");
    if (candidate != wanted) continue;
    if (found) return failure(SectionFailure::damaged, "it has more than one " + std::string(name) + " section");
    found = s;
  }
  if (!found) return failure(SectionFailure::missing, "it has no " + std::string(name) + " section");
  return contents(file, *found, name);
}

expected<std::string, SectionError> read_pe_section(const ByteSource& file, std::string_view name) {
  const Decoder d(false);
  if (name.size() > 8) return failure(SectionFailure::missing, "a PE section name has at most 8 characters");
  unsigned char buffer[40];
  if (!read_checked(file, 0x3c, buffer, 4)) return failure(SectionFailure::damaged, "its DOS header is truncated");
  const std::uint64_t pe = d.get(buffer, 4);
  // "PE\0\0", then the COFF header: machine, section count, ..., optional header size.
  if (!read_checked(file, pe, buffer, 24))
    return failure(SectionFailure::damaged, "its PE header lies outside the file");
  if (std::memcmp(buffer, "PE\0\0", 4) != 0) return failure(SectionFailure::not_a_binary, "it has no PE signature");
  const std::uint64_t count = d.get(buffer + 6, 2);
  const std::uint64_t table = pe + 24 + d.get(buffer + 20, 2);
  if (!fits(table, count * 40, file.size()))
    return failure(SectionFailure::damaged, "its section table lies outside the file");

  char wanted[8] = {};
  std::copy(name.begin(), name.end(), wanted);
  std::optional<Section> found;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!file.read(table + i * 40, buffer, 40))
      return failure(SectionFailure::damaged, "its section table cannot be read");
    if (std::memcmp(buffer, wanted, 8) != 0) continue;
    if (found) return failure(SectionFailure::damaged, "it has more than one " + std::string(name) + " section");
    // The bytes in the file are SizeOfRawData (rounded up to the file alignment); the image
    // holds VirtualSize of them.
    const std::uint64_t virtual_size = d.get(buffer + 8, 4);
    const std::uint64_t raw_size = d.get(buffer + 16, 4);
    if (virtual_size > raw_size)
      return failure(SectionFailure::damaged, "its " + std::string(name) + " section is not all in the file");
    found = Section{d.get(buffer + 20, 4), virtual_size == 0 ? raw_size : virtual_size, true};
  }
  if (!found) return failure(SectionFailure::missing, "it has no " + std::string(name) + " section");
  return contents(file, *found, name);
}

Error rejected(std::string detail) { return make_error(Errc::plugin_rejected, std::move(detail)); }

// A field of the record: its text up to the NUL, which must be there.
std::optional<std::string_view> field_text(const char* field, std::size_t size) {
  const auto* end = static_cast<const char*>(std::memchr(field, '\0', size));
  if (end == nullptr) return std::nullopt;
  return std::string_view(field, static_cast<std::size_t>(end - field));
}

}  // namespace

bool MemorySource::read(std::uint64_t offset, void* out, std::size_t count) const {
  if (!fits(offset, count, bytes_.size())) return false;
  if (count != 0) std::memcpy(out, bytes_.data() + offset, count);
  return true;
}

expected<std::string, SectionError> read_section(const ByteSource& file, std::string_view name) {
  unsigned char magic[4] = {};
  const std::size_t have = static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), 4));
  if (!file.read(0, magic, have)) return failure(SectionFailure::damaged, "it cannot be read");
  if (have == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0) return read_elf_section(file, name);
  if (have >= 2 && magic[0] == 'M' && magic[1] == 'Z') return read_pe_section(file, name);
  return failure(SectionFailure::not_a_binary, "no ELF or PE header");
}

Result<RecordFields> parse_record(std::string_view section, std::string_view shown_file) {
  const std::string file(shown_file);
  const auto malformed = [&](const std::string& why) {
    return fail(rejected("malformed dialkit plugin record in " + file + ": " + why));
  };
  if (!section.starts_with(plugin_record_magic)) {
    if (section.starts_with("dialkit-record-"))
      return fail(rejected(file + " carries a dialkit plugin record of another layout (" +
                           std::string(section.substr(0, std::min<std::size_t>(section.size(), 16))) +
                           "), this host reads " + std::string(plugin_record_magic)));
    return malformed("it does not start with " + std::string(plugin_record_magic));
  }
  if (section.size() != sizeof(PluginRecord))
    return malformed("its size is " + std::to_string(section.size()) + " bytes, not " +
                     std::to_string(sizeof(PluginRecord)));
  PluginRecord record;
  std::memcpy(&record, section.data(), sizeof record);

  const auto abi = field_text(record.abi, sizeof record.abi);
  const auto key = field_text(record.build_key, sizeof record.build_key);
  const auto name = field_text(record.name, sizeof record.name);
  const auto description = field_text(record.description, sizeof record.description);
  if (!abi || !key || !name || !description) return malformed("a field is not terminated");

  RecordFields fields;
  const auto [end, ec] = std::from_chars(abi->data(), abi->data() + abi->size(), fields.abi);
  if (abi->empty() || ec != std::errc{} || end != abi->data() + abi->size())
    return malformed("its ABI version \"" + std::string(*abi) + "\" is not a number");
  const bool key_ok = !key->empty() && std::all_of(key->begin(), key->end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!key_ok) return malformed("its build key is not [a-z0-9_]+");
  if (!is_valid_backend_name(*name)) return malformed("its backend name is not [a-z0-9_-]+");
  const bool printable = std::all_of(description->begin(), description->end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
  if (!printable) return malformed("its description holds control characters");
  fields.build_key = std::string(*key);
  fields.name = std::string(*name);
  fields.description = std::string(*description);
  return fields;
}

Result<RecordFields> read_plugin_record(const ByteSource& file, std::string_view shown_file) {
  const std::string shown(shown_file);
  auto section = read_section(file, plugin_record_section);
  if (!section) {
    switch (section.error().kind) {
      case SectionFailure::not_a_binary:
        return fail(rejected("not a shared library: " + shown + " (" + section.error().what + ")"));
      case SectionFailure::damaged:
        return fail(rejected("not a shared library: " + shown + " (its headers are truncated or damaged: " +
                             section.error().what + ")"));
      case SectionFailure::missing:
        return fail(rejected("no dialkit entry point in " + shown + " (" + section.error().what +
                             ", where DIALKIT_PLUGIN puts the plugin's record)"));
    }
  }
  return parse_record(*section, shown_file);
}

}  // namespace dialkit::detail
