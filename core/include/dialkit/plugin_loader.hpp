/// @file
/// Finding, verifying and loading backend plugins (DESIGN.md section 6). This is the only
/// part of dialkit that knows Boost.DLL; the rest sees BackendFactory objects, each of which
/// keeps its plugin library loaded for as long as it (or anything it made) lives.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>
#include <dialkit/plugin_search.hpp>

namespace dialkit {

/// The ABI of the plugin entry point. Bump it whenever backend.hpp (or anything a plugin
/// shares with the host) changes incompatibly. 3: the ABI record moved from the entry point's
/// symbol name to a PluginRecord in the ".dialkit" section. 4: BackendFactory::capabilities(). 5: Backend::list_entries().
inline constexpr unsigned plugin_abi_version = 5;

/// The name of the section that holds a plugin's PluginRecord (at most 8 characters, so that
/// a PE file can carry it as well as an ELF file).
inline constexpr std::string_view plugin_record_section = ".dialkit";
/// The first bytes of a PluginRecord: they name its layout, and change with it.
inline constexpr std::string_view plugin_record_magic = "dialkit-record-1";

/// A plugin's ABI record, as data in its ".dialkit" section (DIALKIT_PLUGIN writes it). The
/// loader reads it out of the file before loading it, so that none of the plugin's code runs
/// unless the record fits this host; `strip` keeps it (it is data the plugin's image holds,
/// not a symbol). Only characters: no byte order, no padding, no relocations. Each field is
/// NUL-terminated within its size.
struct PluginRecord {
  char magic[16];         ///<plugin_record_magic, exactly (no NUL)
  char abi[16];           ///<the plugin ABI version, in decimal
  char build_key[256];    ///<the build key the plugin was built with
  char name[64];          ///<the backend's name ([a-z0-9_-]+), which its factory's name() must return
  char description[160];  ///<a line for people
};
static_assert(sizeof(PluginRecord) == 512 && alignof(PluginRecord) == 1);

/// Is this a valid backend name: non-empty, [a-z0-9_-] only, shorter than PluginRecord::name?
[[nodiscard]] constexpr bool is_valid_backend_name(std::string_view name) noexcept {
  if (name.empty() || name.size() >= sizeof(PluginRecord::name)) return false;
  for (const char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

/// The entry point every plugin exports (plugins/include/dialkit/plugin.hpp makes it): it
/// returns the plugin's factory, or an error; it never throws.
using PluginEntryResult = Result<std::unique_ptr<BackendFactory>>;
/// The entry point's type.
using PluginEntryFunction = PluginEntryResult();
/// The entry point's exported alias name is `<prefix><ABI version>__<build key>`; the loader
/// looks it up once the plugin's record fits this host.
inline constexpr std::string_view plugin_entry_alias_prefix = "dialkit_abi";

/// Plugin files are named dialkit-backend-NAME.so (.dll on Windows).
inline constexpr std::string_view plugin_file_prefix = "dialkit-backend-";

/// A plugin that loaded: its file and its factory.
struct LoadedPlugin {
  std::filesystem::path path;  ///<the file
  /// Owns a reference to the library: the library stays loaded while this lives.
  std::shared_ptr<BackendFactory> factory;
};

/// What scan_plugins() found.
struct PluginScan {
  std::vector<LoadedPlugin> loaded;  ///<the plugins that loaded
  std::vector<PluginRefusal> refused;  ///<the files it refused
};

/// The directories searched, in order, for the given options (existing or not).
[[nodiscard]] std::vector<std::filesystem::path> plugin_search_dirs(const PluginSearchOptions&);

/// Loads every plugin file found. The first plugin of a given backend name wins; later ones
/// are refused as shadowed. Never throws; a bad plugin becomes a refusal.
[[nodiscard]] PluginScan scan_plugins(const PluginSearchOptions& options);

/// Verifies (permissions, then the plugin's record: ABI version, build key, backend name,
/// without running the plugin's code) and then loads one plugin file. The factory it returns
/// guards every call into the plugin: an exception becomes an error (or, for name() and
/// description(), which are read once here, a refusal of the plugin).
[[nodiscard]] Result<LoadedPlugin> load_plugin(const std::filesystem::path& file,
                                               bool allow_insecure = false);

/// The host's build key: platform, compiler family, standard library ABI, Boost major.minor,
/// the `expected` implementation, sanitizers (not the compiler version, nor the build type).
[[nodiscard]] std::string_view host_build_key() noexcept;

/// Wraps an object made by a plugin so that it keeps `keep_alive` (the plugin's library)
/// loaded until the object is destroyed.
template <class T>
[[nodiscard]] std::shared_ptr<T> keep_loaded(std::unique_ptr<T> object, std::shared_ptr<void> keep_alive) {
  T* raw = object.release();
  return std::shared_ptr<T>(raw, [keep = std::move(keep_alive)](T* p) mutable {
    delete p;
    keep.reset();
  });
}

}  // namespace dialkit
