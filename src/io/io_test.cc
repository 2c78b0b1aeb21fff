#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "io/process.h"
#include "io/stream.h"

namespace summit {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/summit-io-XXXXXX";
  return ::mkdtemp(tmpl);
}

TEST(Process, CapturesStdoutStderrAndExitCode) {
  auto r = RunProcess(ShellCommand("echo hello; echo oops >&2; exit 3"));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->out, "hello\n");
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_EQ(r->exit_code, 3);
  auto checked = RunChecked(ShellCommand("echo bad thing >&2; exit 4"), "running the hook");
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().message().find("exited with code 4: bad thing"), std::string::npos)
      << checked.error().message();
}

TEST(Process, StreamsStdinToStdoutLargerThanPipeBuffers) {
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  StringSource in(big);
  StringSink out;
  ProcessOptions o;
  o.argv = {"cat"};
  o.stdin_source = &in;
  o.stdout_sink = &out;
  auto r = RunProcess(o);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(out.data(), big);
}

TEST(Process, MissingProgramIsNotFound) {
  ProcessOptions o;
  o.argv = {"summit-no-such-program"};
  auto r = RunProcess(o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST(Process, TimeoutKillsChild) {
  ProcessOptions o = ShellCommand("sleep 5");
  o.timeout_seconds = 1;
  auto r = RunProcess(o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kTransient);
}

TEST(DirCapture, WritesAndReadsStreamsAndAttributes) {
  std::string dir = TempDir();
  {
    DirCaptureWriter w(dir);
    auto s = w.OpenStream("data/public.users");
    ASSERT_TRUE(s.has_value());
    ASSERT_TRUE((*s)->Write("1\talice\n").has_value());
    ASSERT_TRUE((*s)->Close().has_value());
    auto unclosed = w.OpenStream("data/abandoned");
    ASSERT_TRUE(unclosed.has_value());
    ASSERT_TRUE((*unclosed)->Write("partial").has_value());
    unclosed->reset();  // destroyed without Close: must not appear
    w.SetAttribute("position", "0/16B3748");
    ASSERT_TRUE(w.Finish().has_value());
    EXPECT_FALSE(w.OpenStream("data/public.users").has_value());
    EXPECT_FALSE(w.OpenStream("../escape").has_value());
  }
  auto r = DirCaptureReader::Open(dir);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->ListStreams(), std::vector<std::string>{"data/public.users"});
  auto src = (*r)->OpenStream("data/public.users");
  ASSERT_TRUE(src.has_value());
  EXPECT_EQ(*(*src)->ReadAll(), "1\talice\n");
  EXPECT_EQ(*(*r)->StreamSize("data/public.users"), 8u);
  EXPECT_EQ((*r)->Attributes()["position"], "0/16B3748");
  std::filesystem::remove_all(dir);
}

// A source that only implements Read still supports View, through the caller's buffer.
TEST(ByteSource, DefaultViewReadsThroughTheCallersBuffer) {
  class Counting final : public ByteSource {
   public:
    Result<size_t> Read(std::span<uint8_t> buf) override {
      size_t n = std::min(buf.size(), size_t{1000} - pos_);
      for (size_t i = 0; i < n; ++i) buf[i] = static_cast<uint8_t>(pos_ + i);
      pos_ += n;
      return n;
    }

   private:
    size_t pos_ = 0;
  };
  Counting src;
  Bytes scratch;
  size_t total = 0;
  for (;;) {
    auto v = src.View(300, scratch);
    ASSERT_TRUE(v.has_value());
    if (v->empty()) break;
    EXPECT_EQ(v->data(), scratch.data());
    for (size_t i = 0; i < v->size(); ++i) ASSERT_EQ((*v)[i], static_cast<uint8_t>(total + i));
    total += v->size();
  }
  EXPECT_EQ(total, 1000u);
}

// A user-named output: a regular file appears only when complete; a FIFO and a device are
// written in place and stay what they are (a temporary file renamed onto /dev/null would have
// replaced the device); a directory is refused.
TEST(OutputSink, RegularFilesAtomicDevicesAndFifosInPlace) {
  namespace fs = std::filesystem;
  const std::string dir = TempDir();
  const Bytes data = {'a', 'b', 'c'};
  {
    auto sink = OpenOutputSink(dir + "/out.sql");
    ASSERT_TRUE(sink) << sink.error().ToString();
    ASSERT_TRUE((*sink)->Write(data));
    EXPECT_FALSE(fs::exists(dir + "/out.sql")) << "not under its name before Close";
    ASSERT_TRUE((*sink)->Close());
    EXPECT_EQ(fs::file_size(dir + "/out.sql"), 3u);
  }
  {
    auto sink = OpenOutputSink("/dev/null");
    ASSERT_TRUE(sink) << sink.error().ToString();
    ASSERT_TRUE((*sink)->Write(data));
    ASSERT_TRUE((*sink)->Close());
    EXPECT_TRUE(fs::is_character_file("/dev/null"));
    EXPECT_FALSE(fs::exists("/dev/null.tmp"));
  }
  {
    const std::string fifo = dir + "/pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    int rd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // a reader, so the writer's open does not block
    ASSERT_GE(rd, 0);
    auto sink = OpenOutputSink(fifo);
    ASSERT_TRUE(sink) << sink.error().ToString();
    ASSERT_TRUE((*sink)->Write(data));
    ASSERT_TRUE((*sink)->Close());
    char got[8] = {};
    EXPECT_EQ(::read(rd, got, sizeof got), 3);
    EXPECT_EQ(std::string(got, 3), "abc");
    ::close(rd);
    EXPECT_TRUE(fs::is_fifo(fifo));
  }
  auto bad = OpenOutputSink(dir);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidInput);
  fs::remove_all(dir);
}

TEST(UnlinkedTempFile, HasNoNameReadsBackAndNamesTheDirectoryWhenItFails) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/summit-io-scratch-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto fd = OpenUnlinkedTempFile(dir);
  ASSERT_TRUE(fd) << fd.error().ToString();
  EXPECT_TRUE(fs::is_empty(dir)) << "no name in the directory, even while open";
  ASSERT_EQ(::pwrite(*fd, "scratch", 7, 100), 7);
  char back[7] = {};
  ASSERT_EQ(::pread(*fd, back, 7, 100), 7);
  EXPECT_EQ(std::string(back, 7), "scratch");
  ::close(*fd);
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);

  auto missing = OpenUnlinkedTempFile("/nonexistent/summit-scratch");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("/nonexistent/summit-scratch"), std::string::npos) << missing.error().message();
  EXPECT_EQ(TempDirectory("/var/tmp"), "/var/tmp");
}

TEST(StreamName, RejectsTraversalAndOddCharacters) {
  EXPECT_TRUE(ValidateStreamName("config/docker-compose.yml").has_value());
  EXPECT_FALSE(ValidateStreamName("").has_value());
  EXPECT_FALSE(ValidateStreamName("a//b").has_value());
  EXPECT_FALSE(ValidateStreamName("a/../b").has_value());
  EXPECT_FALSE(ValidateStreamName("has space").has_value());
  EXPECT_FALSE(ValidateStreamName("/abs").has_value());
}

}  // namespace
}  // namespace summit
