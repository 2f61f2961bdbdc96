#include "cli/app.h"

int main(int argc, char** argv) {
  return corridor::cli::run_cli(argc, argv);
}
