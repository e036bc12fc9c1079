// The plugin loader (DESIGN.md section 6): finds plugin files, checks who could have written
// them, reads their ABI record (plugin_record.cpp) without running any of their code, and only
// then loads them, guarding every call into them. This is the only file of dialkit that uses
// Boost.DLL; it never lets Boost.DLL parse a file (its library_info is not bounds-checked).
#include <dialkit/plugin_loader.hpp>

#include <dialkit/install_dirs.hpp>
#include <dialkit/search_path.hpp>

#include "capabilities_internal.hpp"
#include "plugin_loader_internal.hpp"
#include "plugin_record.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
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
constexpr std::string_view key_separator = "__";

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


#if !defined(_WIN32)

std::string octal_mode(mode_t mode) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%04o", static_cast<unsigned>(mode & 07777U));
  return text.data();
}

// Why an object owned like this could have been changed by someone other than root or us.
std::optional<std::string> insecure_owner(const struct stat& st) {
  const uid_t me = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != me)
    return "is owned by uid " + std::to_string(st.st_uid) + ", neither root nor the current user (uid " +
           std::to_string(me) + ")";
  return std::nullopt;
}

// Why an object with this status could have been written by someone other than root or
// us, or nothing when it could not. A directory owned by root with the sticky bit (/tmp) may
// be writable by all: nobody can remove or rename what another user put there (ssh allows
// it likewise).
std::optional<std::string> insecurity(const struct stat& st) {
  const bool root_sticky_dir = S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & S_IWOTH) != 0 && !root_sticky_dir)
    return "is writable by others (mode " + octal_mode(st.st_mode) + ")";
  if ((st.st_mode & S_IWGRP) != 0 && !root_sticky_dir)
    return "is writable by group (mode " + octal_mode(st.st_mode) + ")";
  return insecure_owner(st);
}

// The longest chain of symbolic links followed, as the kernel's own limit (ELOOP).
constexpr int max_link_hops = 40;

// Walks the path of `file` from the root down, as the kernel resolves it: every directory on
// the way, each symbolic link met (its owner: a link's mode means nothing) and every
// directory on the way to its target, and finally the file itself must be safe.
Result<void> check_path(const fs::path& file) {
  std::error_code ec;
  const fs::path absolute = file.is_absolute() ? file : fs::current_path(ec) / file;
  if (ec) return fail(refusal("cannot resolve " + shown(file) + ": " + ec.message()));
  const fs::path below_root = absolute.relative_path();
  std::deque<fs::path> pending(below_root.begin(), below_root.end());
  const fs::path root = absolute.root_path();
  fs::path current = root;  // resolved so far: no symbolic link in it
  const auto check_dir = [&](const fs::path& dir, const struct stat& st) -> Result<void> {
    if (!S_ISDIR(st.st_mode))
      return fail(refusal(shown(dir) + " on the path to " + shown(file) + " is not a directory"));
    if (auto why = insecurity(st))
      return fail(refusal("the directory " + shown(dir) + " on the path to " + shown(file) + " " + *why +
                          std::string(insecure_hint)));
    return {};
  };
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    const int err = errno;
    return fail(refusal_from_errno("cannot stat the directory " + shown(root), err));
  }
  if (auto ok = check_dir(root, st); !ok) return ok;

  int hops = 0;
  while (!pending.empty()) {
    const fs::path part = std::move(pending.front());
    pending.pop_front();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      current = current.parent_path();  // `current` holds no link, so this is the real parent
      continue;
    }
    const fs::path next = current / part;
    if (::lstat(next.c_str(), &st) != 0) {
      const int err = errno;
      return fail(refusal_from_errno("cannot stat " + shown(next) + " on the path to " + shown(file), err));
    }
    if (S_ISLNK(st.st_mode)) {
      if (++hops > max_link_hops)
        return fail(refusal("too many symbolic links on the path to " + shown(file)));
      if (auto why = insecure_owner(st))
        return fail(refusal("the symbolic link " + shown(next) + " on the path to " + shown(file) + " " + *why +
                            std::string(insecure_hint)));
      const fs::path target = fs::read_symlink(next, ec);
      if (ec) return fail(refusal("cannot read the symbolic link " + shown(next) + ": " + ec.message()));
      if (target.is_absolute()) {
        current = target.root_path();
        if (::stat(current.c_str(), &st) != 0) {
          const int err = errno;
          return fail(refusal_from_errno("cannot stat the directory " + shown(current), err));
        }
        if (auto ok = check_dir(current, st); !ok) return ok;
      }
      const fs::path rest = target.relative_path();
      pending.insert(pending.begin(), rest.begin(), rest.end());
      continue;
    }
    if (pending.empty()) {
      // The file itself (check_file made sure it is a regular file).
      if (auto why = insecurity(st)) return fail(refusal(shown(file) + " " + *why + std::string(insecure_hint)));
      return {};
    }
    if (auto ok = check_dir(next, st); !ok) return ok;
    current = next;
  }
  return fail(refusal(shown(file) + " names a directory"));
}

// The file must be a regular file, whatever the options: opening a FIFO or a device to read
// its headers could block or have side effects. Unless insecure loading is allowed, nobody but
// root and the current user may be able to write the file or change what its path leads to
// (check_path).
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
  return check_path(file);
}

#else

// Windows: ACLs, not mode bits, decide who may write; only the regular-file rule applies.
Result<void> check_file(const fs::path& file, bool /*allow_insecure*/) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return fail(refusal(shown(file) + " is not a regular file"));
  return {};
}

#endif

// The plugin file, read at offsets for the record reader (plugin_record.cpp).
class FileSource final : public detail::ByteSource {
 public:
  explicit FileSource(const fs::path& file) : in_(file, std::ios::binary) {
    std::error_code ec;
    size_ = fs::file_size(file, ec);
    if (ec) size_ = 0;
  }
  [[nodiscard]] bool is_open() const { return in_.is_open(); }
  [[nodiscard]] std::uint64_t size() const noexcept override { return size_; }
  [[nodiscard]] bool read(std::uint64_t offset, void* out, std::size_t count) const override {
    if (offset > size_ || count > size_ - offset) return false;
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(out), static_cast<std::streamsize>(count));
    return in_ && static_cast<std::size_t>(in_.gcount()) == count;
  }

 private:
  mutable std::ifstream in_;
  std::uint64_t size_ = 0;
};

std::vector<std::string> split(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  for (;;) {
    const auto at = text.find(separator);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + separator.size());
  }
}

// Reads the plugin's record out of its file and checks its ABI version and build key: the
// entry alias the host looks for. Reads the file only: none of the plugin's code runs.
struct Verified {
  std::string alias;
  detail::RecordFields record;
};
Result<Verified> verified_record(const fs::path& file) {
  const FileSource source(file);
  if (!source.is_open()) return fail(refusal("cannot open " + shown(file)));
  auto record = detail::read_plugin_record(source, shown(file));
  if (!record) return fail(record.error());
  const std::string theirs = std::string(entry_alias_prefix) + std::to_string(record->abi) +
                             std::string(key_separator) + record->build_key;
  auto alias = detail::choose_entry_alias({theirs}, host_build_key(), shown(file));
  if (!alias) return fail(alias.error());
  return Verified{std::move(*alias), std::move(*record)};
}

// What an exception escaping a call into a plugin says.
std::string thrown_text(std::exception_ptr thrown) {
  try {
    std::rethrow_exception(std::move(thrown));
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

// Runs a call into a plugin; an exception becomes an Error of `code` saying who threw what.
template <class T, class Call>
Result<T> guarded_call(const std::string& backend, std::string_view what, Errc code, Call&& call) {
  try {
    return call();
  } catch (...) {
    return fail(make_error(code, "backend \"" + backend + "\": its " + std::string(what) +
                                     " threw: " + thrown_text(std::current_exception())));
  }
}

// A plugin's session, each call guarded. hangup() and status() return nothing to carry an
// error in: an exception there is dropped (the hang-up ends the session all the same).
class GuardedSession final : public Session {
 public:
  GuardedSession(std::unique_ptr<Session> inner, std::string backend)
      : inner_(std::move(inner)), backend_(std::move(backend)) {}
  Result<void> resume(const ResumeInput& input) override {
    return guarded_call<void>(backend_, "session's resume()", Errc::backend_failed,
                              [&] { return inner_->resume(input); });
  }
  void hangup() override {
    try {
      inner_->hangup();
    } catch (...) {  // NOLINT(bugprone-empty-catch): see the class comment
    }
  }
  [[nodiscard]] SessionStatus status() const override {
    try {
      return inner_->status();
    } catch (...) {
      return {};
    }
  }

 private:
  std::unique_ptr<Session> inner_;
  std::string backend_;
};

// A plugin's backend, each call guarded.
class GuardedBackend final : public Backend {
 public:
  GuardedBackend(std::unique_ptr<Backend> inner, std::string name) : inner_(std::move(inner)), name_(std::move(name)) {}
  Result<std::vector<Entry>> entries() override {
    return guarded_call<std::vector<Entry>>(name_, "entries()", Errc::backend_failed,
                                            [&] { return inner_->entries(); });
  }
  Result<EntryListing> list_entries() override {
    return guarded_call<EntryListing>(name_, "list_entries()", Errc::backend_failed,
                                      [&] { return inner_->list_entries(); });
  }
  Result<std::unique_ptr<Session>> dial(const DialRequest& request, std::shared_ptr<Reporter> reporter) override {
    auto made = guarded_call<std::unique_ptr<Session>>(name_, "dial()", Errc::backend_failed,
                                                       [&] { return inner_->dial(request, std::move(reporter)); });
    if (!made || !*made) return made;
    return std::unique_ptr<Session>(std::make_unique<GuardedSession>(std::move(*made), name_));
  }
  Result<std::vector<LiveConnection>> live_connections() override {
    return guarded_call<std::vector<LiveConnection>>(name_, "live_connections()", Errc::backend_failed,
                                                     [&] { return inner_->live_connections(); });
  }
  Result<void> hangup_live(std::string_view id) override {
    return guarded_call<void>(name_, "hangup_live()", Errc::backend_failed, [&] { return inner_->hangup_live(id); });
  }
  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    return guarded_call<std::unique_ptr<WatchHandle>>(name_, "watch()", Errc::backend_failed,
                                                      [&] { return inner_->watch(std::move(sink)); });
  }
  void shutdown() override {
    try {
      inner_->shutdown();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to report it to; teardown goes on
    }
  }

 private:
  std::unique_ptr<Backend> inner_;
  std::string name_;
};

// Stands between the runtime and a plugin's factory: name(), description(), is_fake() and
// capabilities() were read (guarded) when the plugin loaded; probe and create are guarded
// here, and so is every member of the backend (and session) it creates, so that an exception
// from the plugin becomes an error and never reaches the user's process.
class GuardedFactory final : public BackendFactory {
 public:
  GuardedFactory(std::shared_ptr<BackendFactory> inner, std::string name, std::string description, bool fake,
                 Capabilities capabilities)
      : inner_(std::move(inner)),
        name_(std::move(name)),
        description_(std::move(description)),
        fake_(fake),
        capabilities_(capabilities) {}

  [[nodiscard]] std::string name() const override { return name_; }
  [[nodiscard]] std::string description() const override { return description_; }
  [[nodiscard]] bool is_fake() const override { return fake_; }
  [[nodiscard]] Capabilities capabilities() const override { return capabilities_; }
  [[nodiscard]] Result<void> probe() const override {
    return guarded_call<void>(name_, "factory's probe()", Errc::backend_unavailable, [&] { return inner_->probe(); });
  }
  [[nodiscard]] Result<void> probe_with(const BackendContext& context) const override {
    return guarded_call<void>(name_, "factory's probe()", Errc::backend_unavailable,
                              [&] { return inner_->probe_with(context); });
  }
  Result<std::unique_ptr<Backend>> create(const BackendContext& context) override {
    auto made = guarded_call<std::unique_ptr<Backend>>(name_, "factory's create()", Errc::backend_failed,
                                                       [&] { return inner_->create(context); });
    if (!made || !*made) return made;
    return std::unique_ptr<Backend>(std::make_unique<GuardedBackend>(std::move(*made), name_));
  }

 private:

  std::shared_ptr<BackendFactory> inner_;  // keeps the plugin loaded
  std::string name_;
  std::string description_;
  bool fake_;
  Capabilities capabilities_;
};

// Reads what the runtime needs of a plugin's factory once, guarded, and checks the name
// against the plugin's record; then wraps the factory.
Result<std::shared_ptr<BackendFactory>> guard_factory(const fs::path& file, std::shared_ptr<BackendFactory> factory,
                                                      const detail::RecordFields& record) {
  std::string name;
  std::string description;
  bool fake = false;
  Capabilities capabilities;
  std::string_view calling = "name()";
  try {
    name = factory->name();
    calling = "description()";
    description = factory->description();
    calling = "is_fake()";
    fake = factory->is_fake();
    calling = "capabilities()";
    capabilities = factory->capabilities();
  } catch (...) {
    return fail(refusal(shown(file) + ": the factory's " + std::string(calling) +
                        " threw: " + thrown_text(std::current_exception())));
  }
  if (name.empty()) return fail(refusal(shown(file) + ": the factory's name() is empty"));
  if (!is_valid_backend_name(name))
    return fail(refusal(shown(file) + ": the factory's name() \"" + name +
                        "\" is not a backend name ([a-z0-9_-]+, at most 63 characters)"));
  if (name != record.name)
    return fail(refusal(shown(file) + ": the factory's name() is \"" + name + "\", its plugin record says \"" +
                        record.name + "\""));
  if (auto known = detail::check_declaration(capabilities); !known)
    return fail(refusal(shown(file) + ": the factory's capabilities(): " + known.error().detail));
  return std::shared_ptr<BackendFactory>(std::make_shared<GuardedFactory>(
      std::move(factory), std::move(name), std::move(description), fake, capabilities));
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
  auto verified = verified_record(file);
  if (!verified) return fail(verified.error());
  const std::string* alias = &verified->alias;

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

  auto guarded = guard_factory(file, keep_loaded(std::move(factory), std::shared_ptr<void>(std::move(library))),
                               verified->record);
  if (!guarded) return fail(guarded.error());
  return LoadedPlugin{file, std::move(*guarded)};
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
  // The fields of cmake/DialkitBuildKey.cmake, in its order.
  static constexpr std::array<std::string_view, 6> component_names{
      "platform", "compiler", "standard library", "Boost", "expected", "sanitizers"};
  constexpr std::size_t expected_field = 4;
  // The `expected` field by the type's own name: "tlexpected" is tl::expected.
  const auto shown_value = [](std::size_t field, const std::string& value) {
    constexpr std::string_view suffix = "expected";
    if (field == expected_field && value.ends_with(suffix) && value.size() > suffix.size())
      return value.substr(0, value.size() - suffix.size()) + "::" + std::string(suffix);
    return value;
  };
  const auto theirs = split(plugin_key, key_separator);
  const auto ours = split(host_key, key_separator);
  if (theirs.size() != component_names.size() || ours.size() != component_names.size())
    return "its build key is " + std::string(plugin_key) + ", this host's is " + std::string(host_key);
  std::string text;
  for (std::size_t i = 0; i < component_names.size(); ++i) {
    if (theirs[i] == ours[i]) continue;
    if (!text.empty()) text += "; ";
    text += std::string(component_names[i]) + " differs: built with " + shown_value(i, theirs[i]) +
            ", this host uses " + shown_value(i, ours[i]);
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
                        "* name given)"));

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
    // An empty entry would mean the current directory; loading code from wherever the
    // program happens to run is never what the user meant, so it is skipped.
    for (auto& entry : environment_search_path("DIALKIT_PLUGIN_PATH")) dirs.push_back(std::move(entry));
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
