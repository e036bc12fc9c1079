/// @file
/// Where a Runtime looks for backend plugins and what it says about the files it refused
/// (DESIGN.md section 6): the part of the plugin loader a program sets and reads, without the
/// loader itself (plugin_loader.hpp).
#pragma once

#include <filesystem>
#include <vector>

#include <dialkit/error.hpp>

namespace dialkit {

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

}  // namespace dialkit
