// Search paths from the environment (search_path.hpp): one separator rule and secure_getenv.
#include <dialkit/search_path.hpp>

#include <cstdlib>

namespace dialkit {

std::optional<std::string> environment_value(const char* name) {
#if defined(__GLIBC__)
  // A set-user-ID program must not load code or data from a place its caller chose.
  const char* value = ::secure_getenv(name);
#else
  const char* value = std::getenv(name);
#endif
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::vector<std::filesystem::path> split_search_path(std::string_view text) {
  std::vector<std::filesystem::path> out;
  while (!text.empty()) {
    const auto end = text.find(search_path_separator);
    const auto element = text.substr(0, end);
    if (!element.empty()) out.emplace_back(element);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

std::vector<std::filesystem::path> environment_search_path(const char* name) {
  if (const auto value = environment_value(name)) return split_search_path(*value);
  return {};
}

}  // namespace dialkit
