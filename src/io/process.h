// Child processes with RAII: run a command, stream its stdout into a ByteSink and/or feed its
// stdin from a ByteSource, capture stderr for error messages. No shell unless asked for
// (RunShell). The child is killed and reaped if the Process object is destroyed early.
// Thread-safety: one Process per thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "io/stream.h"

namespace summit {

struct ProcessOptions {
  std::vector<std::string> argv;              // argv[0] is looked up in PATH
  std::map<std::string, std::string> env;     // added to (or replacing in) the inherited environment
  std::string cwd;                            // empty: inherit
  ByteSource* stdin_source = nullptr;         // nullptr: /dev/null
  ByteSink* stdout_sink = nullptr;            // nullptr: captured (up to 1 MiB) into RunResult
  int timeout_seconds = 0;                    // 0: none
};

struct RunResult {
  int exit_code = 0;
  std::string out;   // stdout when no sink was given (first 1 MiB)
  std::string err;   // the last 64 KiB of stderr
};

// Runs to completion. Fails (kNotFound) when the program does not exist, kTransient on a
// timeout, or with the sink's/source's error; a non-zero exit is NOT an error here: callers
// decide (see CheckExit).
Result<RunResult> RunProcess(const ProcessOptions& options);

// RunProcess, then turns a non-zero exit into kInternal/kUnavailable with `what`, the exit code
// and the stderr tail in the message.
Result<RunResult> RunChecked(const ProcessOptions& options, const std::string& what);

// `/bin/sh -c command`.
ProcessOptions ShellCommand(const std::string& command);

}  // namespace summit
