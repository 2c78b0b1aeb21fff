#include "storage/local/local_backend.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testing/backend_conformance.h"

namespace summit::storage {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/summit-local-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::error_code ec; fs::remove_all(path_, ec); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LocalBackend, PassesBackendConformance) {
  TempDir dir;
  int n = 0;
  summit::testing::RunBackendConformance([&] {
    auto b = LocalBackend::Open(dir.path() + "/repo" + std::to_string(n++));
    EXPECT_TRUE(b.has_value());
    return std::unique_ptr<Backend>(std::move(*b));
  });
}

TEST(LocalBackend, OpenWithoutCreateFailsWithNotFoundAndHint) {
  TempDir dir;
  auto b = LocalBackend::Open(dir.path() + "/missing", false);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(b.error().hint().empty());
}

TEST(LocalBackend, ListSkipsLeftoverTempFilesOfACrashedPut) {
  TempDir dir;
  auto b = LocalBackend::Open(dir.path());
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE((*b)->Put("data/aa/aa01", AsBytes("x")).has_value());
  std::ofstream(dir.path() + "/data/aa/aa02.tmp-0123456789abcdef") << "half";
  auto list = (*b)->List("data/");
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "data/aa/aa01");
  auto st = (*b)->Stat("data/aa/aa02");
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code(), ErrorCode::kNotFound);
}

TEST(LocalBackend, PutLeavesNoTempFileBehind) {
  TempDir dir;
  auto b = LocalBackend::Open(dir.path());
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE((*b)->Put("index/01", AsBytes("payload")).has_value());
  int files = 0;
  for (auto& e : fs::recursive_directory_iterator(dir.path()))
    if (e.is_regular_file()) ++files;
  EXPECT_EQ(files, 1);
}

TEST(LocalBackend, ReadOnlyDirectoryFailsWithPermission) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory modes";
  TempDir dir;
  auto b = LocalBackend::Open(dir.path());
  ASSERT_TRUE(b.has_value());
  ::chmod(dir.path().c_str(), 0500);
  auto st = (*b)->Put("config", AsBytes("x"));
  ::chmod(dir.path().c_str(), 0700);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code(), ErrorCode::kPermission);
}

}  // namespace
}  // namespace summit::storage
