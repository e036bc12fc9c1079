// The template's README blocks (README.md, "Mapping"), rendered from its tables.
#include "mapping.hpp"

namespace dialkit_template {

std::array<dialkit::plugin::MappingDoc, 2> mapping_docs() {
  return {{
      {"template-phases", [] { return dialkit::plugin::mapping_markdown(phase_table, {"phase", "name"}); }},
      {"template-errors", [] { return dialkit::plugin::error_markdown(error_table, {"code", "name"}); }},
  }};
}

}  // namespace dialkit_template
