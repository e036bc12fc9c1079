// Doc-tests: a scenario file shown in a README must parse as the mock reads it.
#include <iostream>

#include <dialkit/mock.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: dialkit_doc_scenario FILE\n";
    return 2;
  }
  const auto scenario = dialkit::mock::load_scenario_file(argv[1]);
  if (!scenario) {
    std::cerr << scenario.error().message() << '\n';
    return 1;
  }
  std::cout << scenario->name << ": " << scenario->steps.size() << " steps\n";
  return 0;
}
