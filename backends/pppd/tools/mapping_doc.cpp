// Prints the pppd backend's mapping tables (src/mapping.hpp) as Markdown, for
// the generated blocks of README.md and backends/pppd/README.md. `mapping_doc BLOCK` prints one
// block; `mapping_doc` lists them. The test docs.mapping.pppd compares the READMEs with this
// output; `cmake --build BUILD --target update-docs` rewrites them (cmake/DialkitMappingDocs.cmake).
#include "doc_blocks.hpp"
#include <dialkit/error.hpp>

#include "mapping.hpp"
#include <dialkit/state.hpp>

#include <iostream>
#include <string>
#include <string_view>

namespace {

using namespace dialkit;

using dialkit::doc::markdown_cell;

std::string state_cells(State s) {
  return std::string(state_name(s)) + " | " + std::string(group_name(state_group(s)));
}

void states(std::ostream& out) {
  out << "| native | native code | shared state | group | note |\n|---|---|---|---|---|\n";
  for (const auto& p : pppd::phase_table)
    out << "| " << p.name << " | " << p.phase << " | " << state_cells(p.state) << " | "
        << markdown_cell(p.note) << " |\n";
  for (const auto& n : pppd::notifier_table)
    out << "| " << n.name << " notifier | " << n.native_code << " | " << state_cells(n.state)
        << " | " << markdown_cell(n.note) << " |\n";
  out << "| " << markdown_cell(pppd::native_local_hangup_name) << " | " << pppd::native_local_hangup
      << " | | | the backend's own action |\n";
  out << "| " << markdown_cell(pppd::native_protocol_error_name) << " | " << pppd::native_protocol_error
      << " | | | the backend's own action |\n";
}

void exit_codes(std::ostream& out) {
  out << "| exit code | name | error | meaning |\n|---|---|---|---|\n";
  for (const auto& e : pppd::exit_table) {
    out << "| " << e.code << " | " << e.name << " | ";
    if (e.error)
      out << '`' << error_name(*e.error) << '`';
    else
      out << "(none: a clean end)";
    out << " | " << markdown_cell(e.meaning) << " |\n";
  }
}

constexpr dialkit::doc::DocBlock blocks[] = {
    {"pppd-states", states},
    {"pppd-exit-codes", exit_codes},
};

}  // namespace

int main(int argc, char** argv) { return dialkit::doc::run_doc_blocks(argc, argv, blocks); }
