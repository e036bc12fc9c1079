// Prints the RAS backend's tables (src/mapping.cpp through src/mapping.hpp) as
// Markdown, for the generated blocks of backends/ras/README.md. `mapping_doc BLOCK` prints one
// block; `mapping_doc` lists them. The test docs.mapping.ras compares the README with this
// output; `cmake --build BUILD --target update-docs` rewrites it (cmake/DialkitMappingDocs.cmake).
#include "doc_blocks.hpp"
#include <dialkit/error.hpp>

#include "mapping.hpp"
#include <dialkit/state.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace dialkit;

std::string ras_value_text(std::uint32_t v) {
  if (v < 0x1000) return std::to_string(v);
  char text[16];
  std::snprintf(text, sizeof text, "0x%X", static_cast<unsigned>(v));
  return text;
}

void states(std::ostream& out) {
  out << "| RASCONNSTATE | value | shared state | group |\n|---|---|---|---|\n";
  for (const auto& s : ras::ras_state_names()) {
    out << "| " << s.name << " | " << ras_value_text(s.value) << " | ";
    if (const auto state = ras::state_for_ras(s.value))
      out << state_name(*state) << " | " << group_name(state_group(*state));
    else
      out << "(not reported) | ";
    out << " |\n";
  }
}

// Codes as "601, 606, 608–609": runs of consecutive codes collapse into ranges.
std::string code_ranges(std::vector<std::uint32_t> codes) {
  std::sort(codes.begin(), codes.end());
  std::string out;
  for (std::size_t i = 0; i < codes.size();) {
    std::size_t j = i;
    while (j + 1 < codes.size() && codes[j + 1] == codes[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(codes[i]);
    if (j > i) out += "\u2013" + std::to_string(codes[j]);
    i = j + 1;
  }
  return out;
}

void errors(std::ostream& out) {
  std::map<std::string_view, std::vector<std::uint32_t>> by_errc;
  for (const auto& e : ras::ras_error_table()) by_errc[error_name(e.errc)].push_back(e.code);
  out << "| Errc | RAS / Win32 codes |\n|---|---|\n";
  for (const auto& [name, codes] : by_errc)
    out << "| `" << name << "` | " << code_ranges(codes) << " |\n";
}

constexpr dialkit::doc::DocBlock blocks[] = {
    {"ras-states", states},
    {"ras-errors", errors},
};

}  // namespace

int main(int argc, char** argv) { return dialkit::doc::run_doc_blocks(argc, argv, blocks); }
