// The portable error table, generated from DIALKIT_ERROR_LIST.
#include <dialkit/error.hpp>

#include <array>

namespace dialkit {
namespace {

constexpr std::array error_table{
#define DIALKIT_X(n, cls, msg) ErrcInfo{Errc::n, #n, ErrorClass::cls, msg},
    DIALKIT_ERROR_LIST(DIALKIT_X)
#undef DIALKIT_X
};

const ErrcInfo& lookup(Errc code) noexcept {
  const auto i = static_cast<std::size_t>(code);
  return i < error_table.size() ? error_table[i] : error_table.back();
}

}  // namespace

std::span<const ErrcInfo> all_errors() noexcept { return error_table; }
std::string_view error_name(Errc code) noexcept { return lookup(code).name; }
std::string_view error_message(Errc code) noexcept { return lookup(code).message; }
ErrorClass error_class(Errc code) noexcept { return lookup(code).error_class; }

std::string_view error_class_name(ErrorClass c) noexcept {
  switch (c) {
    case ErrorClass::authentication: return "authentication";
    case ErrorClass::line: return "line";
    case ErrorClass::device: return "device";
    case ErrorClass::link: return "link";
    case ErrorClass::timeout: return "timeout";
    case ErrorClass::cancelled: return "cancelled";
    case ErrorClass::usage: return "usage";
    case ErrorClass::backend: return "backend";
    case ErrorClass::permission: return "permission";
    case ErrorClass::system: return "system";
  }
  return "system";
}

std::optional<Errc> errc_from_name(std::string_view name) noexcept {
  for (const auto& info : error_table)
    if (info.name == name) return info.code;
  return std::nullopt;
}

std::string Error::message() const {
  std::string text{error_name(code)};
  text += ": ";
  text += error_message(code);
  if (native_code || !native_text.empty()) {
    text += " [native";
    // append() rather than `" " + x`: g++ 12 -O2 warns falsely (-Wrestrict) on the latter.
    if (native_code) text.append(" ").append(std::to_string(*native_code));
    if (!native_text.empty()) text.append(" ").append(native_text);
    text += "]";
  }
  if (!detail.empty()) text.append(" (").append(detail).append(")");
  return text;
}

Error make_error(Errc code, std::string detail) {
  Error e;
  e.code = code;
  e.detail = std::move(detail);
  return e;
}

}  // namespace dialkit
