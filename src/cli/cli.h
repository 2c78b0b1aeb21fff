// The composition root of the summit-dr command: flags, environment, config file, terminal
// output, the real clock. Everything below it gets what it needs through constructors.
#pragma once

namespace summit::cli {

// Runs the command line; returns the process exit code (README, "Exit codes").
int Run(int argc, char** argv);

}  // namespace summit::cli
