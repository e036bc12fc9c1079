// The plugin loader (DESIGN.md section 6): finds plugin files, checks who could have written
// them, reads their ABI record without running any of their code, and only then loads them.
// This is the only file of dialkit that uses Boost.DLL.
#include <dialkit/plugin_loader.hpp>

#include <dialkit/install_dirs.hpp>

#include "plugin_loader_internal.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

// Boost 1.74's library_info.hpp uses std::vector and std::string without including them.
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#if !defined(_WIN32)
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace dialkit {
namespace {

namespace fs = std::filesystem;

using EntryFunction = PluginEntryFunction;
constexpr std::string_view entry_alias_prefix = plugin_entry_alias_prefix;
constexpr const char* entry_section = "dialkit";
constexpr std::string_view key_separator = "__";

#if defined(_WIN32)
constexpr char path_list_separator = ';';
#else
constexpr char path_list_separator = ':';
#endif

constexpr std::string_view insecure_hint =
    "; pass allow_insecure / --allow-insecure-plugins to load it anyway";

Error refusal(std::string detail) { return make_error(Errc::plugin_rejected, std::move(detail)); }

[[maybe_unused]] Error refusal_from_errno(std::string detail, int err) {  // unused on Windows
  Error e = refusal(std::move(detail) + ": " + std::strerror(err));
  e.native_code = err;
  e.native_text = std::strerror(err);
  return e;
}

std::string shown(const fs::path& p) { return p.string(); }

bool is_candidate_name(std::string_view name) {
  const std::string suffix = boost::dll::shared_library::suffix().string();
  return name.size() > plugin_file_prefix.size() + suffix.size() && name.starts_with(plugin_file_prefix) &&
         name.ends_with(suffix);
}

const char* environment(const char* name) {
#if defined(__GLIBC__)
  // A set-user-ID program must not load code from a directory its caller chose.
  return ::secure_getenv(name);
#else
  return std::getenv(name);
#endif
}

#if !defined(_WIN32)

std::string octal_mode(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777U));
  return text.data();
}

// Why an object with this status could have been written by someone other than root or
// us, or nothing when it could not.
std::optional<std::string> insecurity(const struct stat& st) {
  if ((st.st_mode & S_IWOTH) != 0) return "is writable by others (mode " + octal_mode(st.st_mode) + ")";
  if ((st.st_mode & S_IWGRP) != 0) return "is writable by group (mode " + octal_mode(st.st_mode) + ")";
  const uid_t me = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != me)
    return "is owned by uid " + std::to_string(st.st_uid) + ", neither root nor the current user (uid " +
           std::to_string(me) + ")";
  return std::nullopt;
}

fs::path holding_directory(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

// The file must be a regular file, whatever the options: opening a FIFO or a device to read
// its headers could block or have side effects. Unless insecure loading is allowed, the file
// (the target, for a symbolic link) and the directories holding the link and the target must
// be writable by nobody but their owner, and owned by root or the current user.
Result<void> check_file(const fs::path& file, bool allow_insecure) {
  struct stat link_st {};
  if (::lstat(file.c_str(), &link_st) != 0) {
    const int err = errno;
    return fail(refusal_from_errno("cannot stat " + shown(file), err));
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    const int err = errno;
    return fail(refusal_from_errno("cannot follow the symbolic link " + shown(file), err));
  }
  if (!S_ISREG(st.st_mode)) return fail(refusal(shown(file) + " is not a regular file"));
  if (allow_insecure) return {};

  if (auto why = insecurity(st)) return fail(refusal(shown(file) + " " + *why + std::string(insecure_hint)));

  std::vector<fs::path> dirs{holding_directory(file)};
  if (S_ISLNK(link_st.st_mode)) {
    std::error_code ec;
    const fs::path target = fs::canonical(file, ec);
    if (ec) return fail(refusal("cannot resolve the symbolic link " + shown(file) + ": " + ec.message()));
    dirs.push_back(holding_directory(target));
  }
  for (const auto& dir : dirs) {
    struct stat dir_st {};
    if (::stat(dir.c_str(), &dir_st) != 0) {
      const int err = errno;
      return fail(
          refusal_from_errno("cannot stat the directory " + shown(dir) + " holding " + shown(file), err));
    }
    if (auto why = insecurity(dir_st))
      return fail(refusal("the directory " + shown(dir) + " holding " + shown(file) + " " + *why +
                          std::string(insecure_hint)));
  }
  return {};
}

#else

// Windows: ACLs, not mode bits, decide who may write; only the regular-file rule applies.
Result<void> check_file(const fs::path& file, bool /*allow_insecure*/) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return fail(refusal(shown(file) + " is not a regular file"));
  return {};
}

#endif

// Refuses files that are not binaries at all before Boost.DLL parses them, so that a text
// file gets a plain answer instead of a stream error.
Result<void> check_binary_magic(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(refusal("cannot open " + shown(file)));
  std::array<unsigned char, 4> magic{};
  in.read(reinterpret_cast<char*>(magic.data()), static_cast<std::streamsize>(magic.size()));
  const auto n = in.gcount();
  const bool elf = n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
  const bool pe = n >= 2 && magic[0] == 'M' && magic[1] == 'Z';
  const bool macho = n == 4 && ((magic[0] == 0xfe && magic[1] == 0xed && magic[2] == 0xfa) ||
                                (magic[1] == 0xfa && magic[2] == 0xed && magic[3] == 0xfe));
  if (!elf && !pe && !macho)
    return fail(refusal("not a shared library: " + shown(file) + " (no ELF or PE header)"));
  return {};
}

std::vector<std::string> split(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  for (;;) {
    const auto at = text.find(separator);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + separator.size());
  }
}

// Finds the plugin's entry alias in its "dialkit" section and checks the ABI version and the
// build key carried in its name. Reads the file only: none of the plugin's code runs.
Result<std::string> verified_entry_alias(const fs::path& file) {
  if (auto magic = check_binary_magic(file); !magic) return fail(magic.error());

  std::vector<std::string> symbols;
  try {
    boost::dll::library_info info(file);
    symbols = info.symbols(entry_section);
  } catch (const std::ios_base::failure&) {
    // Boost.DLL reads with stream exceptions on: a read past the end means a cut-off file.
    return fail(refusal("not a shared library: " + shown(file) + " (its headers are truncated or damaged)"));
  } catch (const std::exception& e) {
    return fail(refusal("not a shared library: " + shown(file) + " (" + e.what() + ")"));
  }
  return detail::choose_entry_alias(std::move(symbols), host_build_key(), shown(file));
}

// The loader's own message for a failed load or symbol lookup (dlerror on POSIX).
std::string loader_message(const std::error_code& ec) {
#if !defined(_WIN32)
  if (const char* text = ::dlerror()) return text;
#endif
  return ec.message();
}

Result<LoadedPlugin> load_verified(const fs::path& file, bool allow_insecure) {
  if (auto checked = check_file(file, allow_insecure); !checked) return fail(checked.error());
  auto alias = verified_entry_alias(file);
  if (!alias) return fail(alias.error());

#if !defined(_WIN32)
  ::dlerror();  // clears a stale message, so that loader_message reports this load's
#endif
  // Resolve every symbol now, so that a missing one refuses the plugin here rather than
  // crashing the process on the first call that needs it.
  std::error_code ec;
  auto library = std::make_shared<boost::dll::shared_library>(
      file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !library->is_loaded())
    return fail(refusal("cannot load " + shown(file) + ": " + loader_message(ec)));
  if (!library->has(*alias)) {
    return fail(refusal(shown(file) + " lists the entry point " + *alias + " but does not export it: " +
                        loader_message(std::make_error_code(std::errc::function_not_supported))));
  }

  // Declared after `library`, so anything the plugin made is destroyed before it unloads.
  std::unique_ptr<BackendFactory> factory;
  try {
    EntryFunction& entry = library->get_alias<EntryFunction>(*alias);
    auto made = entry();
    if (!made) {
      // The plugin's own refusal reads best without our "plugin_rejected" wrapped around it twice.
      const Error& theirs = made.error();
      const bool plain = theirs.code == Errc::plugin_rejected && !theirs.detail.empty();
      Error refused = refusal(
          shown(file) + ": the plugin's entry point failed: " + (plain ? theirs.detail : theirs.message()));
      refused.native_code = theirs.native_code;
      refused.native_text = theirs.native_text;
      return fail(std::move(refused));
    }
    factory = std::move(*made);
  } catch (const std::exception& e) {
    // The entry point is noexcept by contract; this catches a plugin that breaks it anyway
    // (and Boost.DLL's own errors). The exception object dies here, while its code is loaded.
    return fail(refusal(shown(file) + ": the plugin's entry point threw: " + e.what()));
  } catch (...) {
    return fail(refusal(shown(file) + ": the plugin's entry point threw a non-standard exception"));
  }
  if (!factory) return fail(refusal(shown(file) + ": the plugin's entry point returned no factory"));

  return LoadedPlugin{file, keep_loaded(std::move(factory), std::shared_ptr<void>(std::move(library)))};
}

// The plugin files in one directory, sorted by name; nothing when it does not exist.
std::vector<fs::path> candidate_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (is_candidate_name(it->path().filename().string())) files.push_back(it->path());
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return files;
}

}  // namespace

namespace detail {

std::string describe_key_difference(std::string_view plugin_key, std::string_view host_key) {
  static constexpr std::array<std::string_view, 5> component_names{"compiler", "standard library", "Boost",
                                                                   "build type", "sanitizers"};
  const auto theirs = split(plugin_key, key_separator);
  const auto ours = split(host_key, key_separator);
  if (theirs.size() != component_names.size() || ours.size() != component_names.size())
    return "its build key is " + std::string(plugin_key) + ", this host's is " + std::string(host_key);
  std::string text;
  for (std::size_t i = 0; i < component_names.size(); ++i) {
    if (theirs[i] == ours[i]) continue;
    if (!text.empty()) text += "; ";
    text +=
        std::string(component_names[i]) + " differs: built with " + theirs[i] + ", this host uses " + ours[i];
  }
  return text;
}

std::string entry_alias_for(std::string_view host_key) {
  return std::string(entry_alias_prefix) + std::to_string(plugin_abi_version) + std::string(key_separator) +
         std::string(host_key);
}

Result<std::string> choose_entry_alias(std::vector<std::string> symbols, std::string_view host_key,
                                       std::string_view shown_file) {
  const std::string file(shown_file);
  std::vector<std::string> aliases;
  for (auto& symbol : symbols)
    if (std::string_view(symbol).starts_with(entry_alias_prefix)) aliases.push_back(std::move(symbol));
  if (aliases.empty())
    return fail(refusal("no dialkit entry point in " + file + " (no " + std::string(entry_alias_prefix) +
                        "* symbol in its \"" + entry_section + "\" section)"));

  const std::string wanted = entry_alias_for(host_key);
  if (std::find(aliases.begin(), aliases.end(), wanted) != aliases.end()) return wanted;

  // Explain the mismatch of the first alias: dialkit_abi<N>__<build key>.
  const std::string& alias = aliases.front();
  const std::string_view rest = std::string_view(alias).substr(entry_alias_prefix.size());
  unsigned abi = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), abi);
  const std::string_view after = rest.substr(static_cast<std::size_t>(end - rest.data()));
  if (ec != std::errc{} || !after.starts_with(key_separator) || after.size() == key_separator.size())
    return fail(refusal("malformed dialkit entry point \"" + alias + "\" in " + file));
  if (abi != plugin_abi_version)
    return fail(refusal(file + " was built for plugin ABI " + std::to_string(abi) +
                        ", this host uses plugin ABI " + std::to_string(plugin_abi_version)));
  const std::string_view key = after.substr(key_separator.size());
  return fail(refusal(file + " was built differently from this host: " +
                      describe_key_difference(key, host_key)));
}

}  // namespace detail

std::vector<std::filesystem::path> plugin_search_dirs(const PluginSearchOptions& options) {
  std::vector<fs::path> dirs = options.paths;
  if (options.use_environment) {
    if (const char* list = environment("DIALKIT_PLUGIN_PATH")) {
      // An empty entry would mean the current directory; loading code from wherever the
      // program happens to run is never what the user meant, so it is skipped.
      for (auto& entry : split(list, std::string_view(&path_list_separator, 1)))
        if (!entry.empty()) dirs.emplace_back(std::move(entry));
    }
  }
  // Found from libdialkit-core's own place (install_dirs.cpp): an installed library has an
  // install directory and no build tree; a build tree's library only its tree's directory.
  const DialkitDirs& own = dialkit_dirs();
  if (!own.plugin_dir.empty() && (own.build_tree ? options.use_build_tree : options.use_install_dir))
    dirs.push_back(own.plugin_dir);
  return dirs;
}

PluginScan scan_plugins(const PluginSearchOptions& options) {
  PluginScan scan;
  std::map<std::string, fs::path> winners;  // backend name -> the file that provides it
  std::set<fs::path> seen;                  // files already considered, resolved
  try {
    for (const auto& dir : plugin_search_dirs(options)) {
      for (const auto& file : candidate_files(dir)) {
        // A directory listed twice (or a link to a file already seen) is not a second plugin.
        std::error_code ec;
        const fs::path resolved = fs::weakly_canonical(file, ec);
        if (!ec && !seen.insert(resolved).second) continue;

        auto loaded = load_plugin(file, options.allow_insecure);
        if (!loaded) {
          scan.refused.push_back({file, std::move(loaded.error())});
          continue;
        }
        std::string name;
        try {
          name = loaded->factory->name();
        } catch (...) {
          scan.refused.push_back({file, refusal(shown(file) + ": the factory's name() threw")});
          continue;
        }
        if (const auto winner = winners.find(name); winner != winners.end()) {
          scan.refused.push_back({file, refusal(shown(file) + ": backend \"" + name + "\" is shadowed by " +
                                                shown(winner->second))});
          continue;
        }
        winners.emplace(name, file);
        scan.loaded.push_back(std::move(*loaded));
      }
    }
  } catch (const std::exception& e) {
    // Only allocation can fail here; report it rather than let it out.
    scan.refused.push_back({fs::path(), refusal(std::string("plugin scan stopped: ") + e.what())});
  }
  return scan;
}

Result<LoadedPlugin> load_plugin(const std::filesystem::path& file, bool allow_insecure) {
  try {
    return load_verified(file, allow_insecure);
  } catch (const std::exception& e) {
    return fail(refusal("cannot load " + shown(file) + ": " + e.what()));
  } catch (...) {
    return fail(refusal("cannot load " + shown(file) + ": unknown exception"));
  }
}

std::string_view host_build_key() noexcept { return DIALKIT_HOST_BUILD_KEY; }

}  // namespace dialkit
