#include "cli/cli.h"

int main(int argc, char** argv) { return summit::cli::Run(argc, argv); }
