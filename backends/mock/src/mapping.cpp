// The mock's rows (mapping.hpp): lookups and the README blocks.
#include "mapping.hpp"

#include <utility>

#include <dialkit/mock.hpp>

namespace dialkit::mock {

std::int64_t default_native_code(State state) noexcept {
  if (!is_state(state)) return 0;
  return state_rows[static_cast<std::size_t>(state) - 1].native;
}

std::string_view default_native_name(State state) noexcept {
  if (!is_state(state)) return {};
  return state_rows[static_cast<std::size_t>(state) - 1].name;
}

NativeReport default_report(State state, std::string reason, std::optional<Error> error) {
  return NativeReport{state, default_native_code(state), std::string(default_native_name(state)),
                      std::move(error), std::move(reason), std::nullopt};
}

Error default_error(NativeErrorCode code) { return plugin::native_error(error_rows, code); }

std::array<plugin::MappingDoc, 2> mapping_docs() {
  return {{
      {"mock-states", [] { return plugin::mapping_markdown(state_rows, {"native_code", "native_name"}); }},
      {"mock-errors", [] { return plugin::error_markdown(error_rows, {"native_code", "native_text"}); }},
  }};
}

}  // namespace dialkit::mock
