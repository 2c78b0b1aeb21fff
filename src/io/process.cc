#include "io/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace summit {
namespace {

constexpr size_t kMaxCapturedOut = 1 << 20;
constexpr size_t kMaxErr = 64 << 10;

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      int st;
      ::waitpid(pid, &st, 0);
    }
  }
};

}  // namespace

ProcessOptions ShellCommand(const std::string& command) {
  ProcessOptions o;
  o.argv = {"/bin/sh", "-c", command};
  return o;
}

Result<RunResult> RunProcess(const ProcessOptions& options) {
  if (options.argv.empty()) return Fail(ErrorCode::kInternal, "RunProcess: empty argv");
  int in_pipe[2], out_pipe[2], err_pipe[2], exec_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC) ||
      ::pipe2(exec_pipe, O_CLOEXEC))
    return Fail(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  Fd in_r(in_pipe[0]), in_w(in_pipe[1]), out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]),
      err_w(err_pipe[1]), exec_r(exec_pipe[0]), exec_w(exec_pipe[1]);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string k = kv.substr(0, kv.find('='));
    if (!options.env.count(k)) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  Child child;
  child.pid = ::fork();
  if (child.pid < 0) return Fail(ErrorCode::kInternal, std::string("fork: ") + std::strerror(errno));
  if (child.pid == 0) {
    if (options.stdin_source) {
      ::dup2(in_r.fd, 0);
    } else {
      int devnull = ::open("/dev/null", O_RDONLY);
      ::dup2(devnull, 0);
    }
    ::dup2(out_w.fd, 1);
    ::dup2(err_w.fd, 2);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
      int e = errno;
      ssize_t ignored = ::write(exec_w.fd, &e, sizeof e);
      (void)ignored;
      ::_exit(127);
    }
    ::signal(SIGPIPE, SIG_DFL);
    ::execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    ssize_t ignored = ::write(exec_w.fd, &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  in_r.Close();
  out_w.Close();
  err_w.Close();
  exec_w.Close();

  int exec_errno = 0;
  ssize_t n = ::read(exec_r.fd, &exec_errno, sizeof exec_errno);
  if (n == sizeof exec_errno) {
    int st;
    ::waitpid(child.pid, &st, 0);
    child.pid = -1;
    return Fail(ErrorCode::kNotFound, "cannot run '" + options.argv[0] + "': " + std::strerror(exec_errno));
  }
  if (!options.stdin_source) in_w.Close();

  RunResult result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
  std::vector<uint8_t> buf(1 << 16);
  std::vector<uint8_t> pending_in;
  size_t pending_off = 0;
  bool in_eof = options.stdin_source == nullptr;
  Status sink_error;
  ::signal(SIGPIPE, SIG_IGN);

  while (out_r.fd >= 0 || err_r.fd >= 0) {
    pollfd fds[3];
    int nfds = 0;
    int idx_out = -1, idx_err = -1, idx_in = -1;
    if (out_r.fd >= 0) { fds[nfds] = {out_r.fd, POLLIN, 0}; idx_out = nfds++; }
    if (err_r.fd >= 0) { fds[nfds] = {err_r.fd, POLLIN, 0}; idx_err = nfds++; }
    if (in_w.fd >= 0) { fds[nfds] = {in_w.fd, POLLOUT, 0}; idx_in = nfds++; }
    int timeout_ms = -1;
    if (options.timeout_seconds > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return Fail(ErrorCode::kTransient, "'" + options.argv[0] + "' timed out after " +
                                               std::to_string(options.timeout_seconds) + " s");
      }
      timeout_ms = static_cast<int>(left.count());
    }
    int rc = ::poll(fds, nfds, timeout_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrorCode::kInternal, std::string("poll: ") + std::strerror(errno));
    }
    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      if (pending_off == pending_in.size() && !in_eof) {
        pending_in.resize(1 << 16);
        auto r = options.stdin_source->Read(pending_in);
        if (!r) return Fail(std::move(r).error().Context("feeding stdin of '" + options.argv[0] + "'"));
        pending_in.resize(*r);
        pending_off = 0;
        if (*r == 0) in_eof = true;
      }
      if (pending_off < pending_in.size()) {
        ssize_t w = ::write(in_w.fd, pending_in.data() + pending_off, pending_in.size() - pending_off);
        if (w < 0 && errno != EINTR && errno != EAGAIN) {
          in_w.Close();  // the child closed its stdin (EPIPE): let it finish and report
        } else if (w > 0) {
          pending_off += static_cast<size_t>(w);
        }
      }
      if (in_eof && pending_off == pending_in.size()) in_w.Close();
    }
    if (idx_out >= 0 && (fds[idx_out].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(out_r.fd, buf.data(), buf.size());
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        out_r.Close();
      } else if (options.stdout_sink) {
        if (sink_error.has_value()) sink_error = options.stdout_sink->Write(ByteView(buf.data(), static_cast<size_t>(r)));
      } else if (result.out.size() < kMaxCapturedOut) {
        result.out.append(reinterpret_cast<char*>(buf.data()), static_cast<size_t>(r));
      }
    }
    if (idx_err >= 0 && (fds[idx_err].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(err_r.fd, buf.data(), buf.size());
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        err_r.Close();
      } else {
        result.err.append(reinterpret_cast<char*>(buf.data()), static_cast<size_t>(r));
        if (result.err.size() > kMaxErr) result.err.erase(0, result.err.size() - kMaxErr);
      }
    }
  }
  in_w.Close();
  int st = 0;
  while (::waitpid(child.pid, &st, 0) < 0 && errno == EINTR) {
  }
  child.pid = -1;
  result.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (!sink_error.has_value()) return Fail(std::move(sink_error).error().Context("writing output of '" + options.argv[0] + "'"));
  return result;
}

Result<RunResult> RunChecked(const ProcessOptions& options, const std::string& what) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(RunResult r, RunProcess(options), what);
  if (r.exit_code != 0) {
    std::string tail = r.err;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    if (tail.size() > 2000) tail = "..." + tail.substr(tail.size() - 2000);
    return Fail(ErrorCode::kInternal, what + ": '" + options.argv[0] + "' exited with code " +
                                          std::to_string(r.exit_code) + (tail.empty() ? "" : ": " + tail));
  }
  return r;
}

}  // namespace summit
