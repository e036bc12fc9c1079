/// @file
/// Finding, verifying and loading backend plugins (DESIGN.md section 6). This is the only
/// part of dialkit that knows Boost.DLL; the rest sees BackendFactory objects, each of which
/// keeps its plugin library loaded for as long as it (or anything it made) lives.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <dialkit/backend.hpp>
#include <dialkit/error.hpp>

namespace dialkit {

/// The ABI of the plugin entry point. Bump it whenever backend.hpp (or anything a plugin
/// shares with the host) changes incompatibly.
inline constexpr unsigned plugin_abi_version = 2;

/// The entry point every plugin exports (plugins/include/dialkit/plugin.hpp makes it): it
/// returns the plugin's factory, or an error; it never throws.
using PluginEntryResult = Result<std::unique_ptr<BackendFactory>>;
/// The entry point's type.
using PluginEntryFunction = PluginEntryResult();
/// The entry point's alias name is `<prefix><ABI version>__<build key>`, in section "dialkit".
inline constexpr std::string_view plugin_entry_alias_prefix = "dialkit_abi";

/// Plugin files are named dialkit-backend-NAME.so (.dll on Windows).
inline constexpr std::string_view plugin_file_prefix = "dialkit-backend-";

/// Where and how scan_plugins() looks for plugins.
struct PluginSearchOptions {
  /// Searched first, in order.
  std::vector<std::filesystem::path> paths;
  /// Then DIALKIT_PLUGIN_PATH (':'-separated; ';' on Windows), the install directory and the
  /// build tree, each when enabled.
  bool use_environment = true;
  bool use_install_dir = true;  ///<search the install directory
  bool use_build_tree = true;  ///<search the build tree's plugin directory
  /// Accept files and directories writable by group or others or owned by another user.
  bool allow_insecure = false;
};

/// A plugin file the loader refused, and why.
struct PluginRefusal {
  std::filesystem::path path;  ///<the file
  Error error;  ///<why it was refused
};

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

/// Verifies (permissions, ABI version, build key: without running the plugin's code) and then
/// loads one plugin file.
[[nodiscard]] Result<LoadedPlugin> load_plugin(const std::filesystem::path& file,
                                               bool allow_insecure = false);

/// The host's build key (compiler, standard library, Boost, build type, sanitizers).
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
