// The pppd backend's README tables, rendered from mapping.hpp's rows.
#include "mapping.hpp"

#include <string>

namespace dialkit::pppd {

std::array<plugin::MappingDoc, 2> mapping_docs() {
  return {{
      {"pppd-states",
       [] {
         return plugin::mapping_markdown(phase_table, {.value_header = "native code", .name_header = "phase"}) + "\n" +
                plugin::mapping_markdown(notifier_table, {.value_header = "native code", .name_header = "notifier"}) +
                "\n" +
                plugin::mapping_markdown(action_table, {.value_header = "native code", .name_header = "backend action"});
       }},
      {"pppd-exit-codes",
       [] { return plugin::error_markdown(exit_table, {.value_header = "exit code", .name_header = "name"}); }},
  }};
}

}  // namespace dialkit::pppd
