// Where dialkit's plugins and data are, relative to libdialkit-core itself (DESIGN.md
// section 6). Only relative paths are compiled in (DIALKIT_CORE_TO_PLUGIN_DIR,
// DIALKIT_CORE_TO_DATA_DIR: from the library's install directory to the others); a build tree
// is recognised by the file DIALKIT_BUILD_TREE_FILE beside its library, which names the tree's
// directories, so the library itself carries no build-tree path.
#include <dialkit/install_dirs.hpp>

#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace dialkit {
namespace {

namespace fs = std::filesystem;

// An object of libdialkit-core itself: its address tells dladdr which module core is.
const int core_anchor = 0;

// Reads `plugin_dir=...` and `data_dir=...` lines of a build tree's file.
DialkitDirs read_build_tree_file(const fs::path& file) {
  DialkitDirs dirs;
  dirs.build_tree = true;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string_view key(line.data(), eq);
    const fs::path value(line.substr(eq + 1));
    if (key == "plugin_dir") dirs.plugin_dir = value;
    else if (key == "data_dir") dirs.data_dir = value;
  }
  return dirs;
}

DialkitDirs find_dirs() {
  const fs::path library = module_file(&core_anchor);
  if (library.empty()) return {};
  // The directory itself, links resolved: an install reached through a linked directory
  // keeps its layout where the files really are.
  std::error_code ec;
  fs::path here = fs::weakly_canonical(library.parent_path(), ec);
  if (ec) here = library.parent_path();
  if (const fs::path marker = here / DIALKIT_BUILD_TREE_FILE; fs::is_regular_file(marker, ec))
    return read_build_tree_file(marker);
  DialkitDirs dirs;
  dirs.plugin_dir = (here / DIALKIT_CORE_TO_PLUGIN_DIR).lexically_normal();
  dirs.data_dir = (here / DIALKIT_CORE_TO_DATA_DIR).lexically_normal();
  return dirs;
}

}  // namespace

fs::path module_file(const void* address) {
#if defined(_WIN32)
  HMODULE module = nullptr;
  wchar_t path[MAX_PATH + 1]{};
  if (::GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                           static_cast<LPCWSTR>(address), &module) != 0 &&
      ::GetModuleFileNameW(module, path, MAX_PATH) != 0)
    return fs::path(path);
  return {};
#else
  Dl_info info{};
  if (::dladdr(address, &info) == 0) return {};
  if (info.dli_fname && fs::path(info.dli_fname).is_absolute()) return fs::path(info.dli_fname);
  // The main program is reported by the name it was started with (maybe relative, or empty).
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self;
#endif
}

const DialkitDirs& dialkit_dirs() {
  static const DialkitDirs dirs = find_dirs();
  return dirs;
}

}  // namespace dialkit
