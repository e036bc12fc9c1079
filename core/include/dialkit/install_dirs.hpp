/// @file
/// Where this dialkit's own files are, found at run time (DESIGN.md section 6): the plugin
/// and data directories lie at fixed places relative to the installed libdialkit-core, so an
/// install moved to another prefix, or unpacked from a package into any root, finds them with
/// no environment variable and no path compiled in. A build tree says so with a file next to
/// its libdialkit-core (written by core/CMakeLists.txt, never installed); an installed
/// library has none and so never searches a build tree.
#pragma once

#include <filesystem>

namespace dialkit {

/// The file of the loaded module (shared library or program) whose code or data holds
/// `address` (dladdr; GetModuleHandleExW on Windows); empty when it cannot be told. Pass the
/// address of something of your own module, e.g. a static variable of the calling file.
[[nodiscard]] std::filesystem::path module_file(const void* address);

/// This dialkit's directories, relative to the libdialkit-core in use.
struct DialkitDirs {
  /// Installed: `<libdir>/dialkit/plugins`; in a build tree: the tree's plugin directory.
  std::filesystem::path plugin_dir;
  /// Installed: `<datadir>/dialkit` (the mock's scenarios are in its `scenarios`); in a build
  /// tree: the tree's `share/dialkit`, whose `scenarios` is the source tree's directory.
  std::filesystem::path data_dir;
  /// True when libdialkit-core is the one of a build tree rather than an installed one.
  bool build_tree = false;
};

/// The directories of the libdialkit-core this process uses (found once, then cached).
/// Empty paths when the library's own file cannot be found.
[[nodiscard]] const DialkitDirs& dialkit_dirs();

}  // namespace dialkit
