#include "sources/files/files.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace summit::sources::files {
namespace {
namespace fs = std::filesystem;

std::string TempDir() {
  char tmpl[] = "/tmp/summit-files-XXXXXX";
  return ::mkdtemp(tmpl);
}

void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
  ::chmod(path.c_str(), mode);
}

TEST(Glob, SegmentsAndDoubleStar) {
  EXPECT_TRUE(GlobMatch("docker-compose*.yml", "docker-compose.dev.yml"));
  EXPECT_FALSE(GlobMatch("docker-compose*.yml", "sub/docker-compose.yml"));
  EXPECT_TRUE(GlobMatch("policies/**/*.rego", "policies/a.rego"));
  EXPECT_TRUE(GlobMatch("policies/**/*.rego", "policies/x/y/a.rego"));
  EXPECT_FALSE(GlobMatch("policies/**/*.rego", "policies/x/a.json"));
  EXPECT_TRUE(GlobMatch("**", "any/depth/file"));
  EXPECT_TRUE(GlobMatch(".env*", ".env.production"));
  EXPECT_TRUE(GlobMatch("?ustfile", "Justfile"));
}

TEST(Files, RoundTripPreservesContentModeAndMtimeAndSkipsExcluded) {
  std::string src = TempDir(), cap = TempDir(), dst = TempDir();
  WriteFile(src + "/docker-compose.yml", "services: {}\n");
  WriteFile(src + "/policies/authz/main.rego", "package authz\n", 0640);
  WriteFile(src + "/catalog/odd name (1).yaml", "kind: Dataset\n");
  WriteFile(src + "/scratch/ignored.tmp", "noise");
  std::string binary(100000, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7919 % 251);
  WriteFile(src + "/policy-bundles/bundle.tar.gz", binary);

  FileSetOptions opt{src, {"**"}, {"scratch/**"}, false, true};
  DirCaptureWriter w(cap);
  auto rep = Backup(opt, w);
  ASSERT_TRUE(rep.has_value()) << rep.error().ToString();
  EXPECT_EQ(rep->files, 4u);
  ASSERT_TRUE(w.Finish().has_value());

  auto reader = DirCaptureReader::Open(cap);
  ASSERT_TRUE(reader.has_value());
  RestoreOptions ro;
  ro.target_root = dst;
  auto restored = Restore(ro, **reader);
  ASSERT_TRUE(restored.has_value()) << restored.error().ToString();
  EXPECT_EQ(restored->files, 4u);

  auto a = Fingerprint(src, {"**"});
  auto b = Fingerprint(dst, {"**"});
  ASSERT_TRUE(a && b);
  a->erase("scratch/ignored.tmp");
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(fs::last_write_time(src + "/policies/authz/main.rego"), fs::last_write_time(dst + "/policies/authz/main.rego"));
  for (auto d : {src, cap, dst}) fs::remove_all(d);
}

TEST(Files, SecretsRestoreWithMode0600AndDryRunTouchesNothing) {
  std::string src = TempDir(), cap = TempDir(), dst = TempDir();
  WriteFile(src + "/secrets/db.json", "{\"password\":\"hunter2\"}", 0644);
  FileSetOptions opt{src, {"secrets/*.json"}, {}, true, true};
  DirCaptureWriter w(cap);
  ASSERT_TRUE(Backup(opt, w).has_value());
  ASSERT_TRUE(w.Finish().has_value());
  auto reader = DirCaptureReader::Open(cap);
  ASSERT_TRUE(reader.has_value());

  RestoreOptions dry;
  dry.target_root = dst;
  dry.dry_run = true;
  auto plan = Restore(dry, **reader);
  ASSERT_TRUE(plan.has_value());
  ASSERT_EQ(plan->plan.size(), 1u);
  EXPECT_EQ(plan->plan[0].action, "create");
  EXPECT_FALSE(fs::exists(dst + "/secrets"));

  RestoreOptions ro;
  ro.target_root = dst;
  ASSERT_TRUE(Restore(ro, **reader).has_value());
  struct stat st {};
  ASSERT_EQ(::stat((dst + "/secrets/db.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (auto d : {src, cap, dst}) fs::remove_all(d);
}

TEST(Files, CorruptedContentIsDetectedOnRestore) {
  std::string src = TempDir(), cap = TempDir(), dst = TempDir();
  WriteFile(src + "/Justfile", "build:\n\tmake\n");
  DirCaptureWriter w(cap);
  ASSERT_TRUE(Backup({src, {"Justfile"}, {}, false, true}, w).has_value());
  ASSERT_TRUE(w.Finish().has_value());
  WriteFile(cap + "/f/Justfile", "build:\n\trm -rf /\n");
  auto reader = DirCaptureReader::Open(cap);
  RestoreOptions ro;
  ro.target_root = dst;
  auto r = Restore(ro, **reader);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  EXPECT_FALSE(fs::exists(dst + "/Justfile"));
  for (auto d : {src, cap, dst}) fs::remove_all(d);
}

TEST(Files, MissingRootAndNoMatchAreClearErrors) {
  DirCaptureWriter w(TempDir());
  auto r = Backup({"/nonexistent/summit", {"**"}, {}, false, false}, w);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  std::string src = TempDir();
  auto none = Backup({src, {"*.rego"}, {}, false, true}, w);
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message().find("matches"), std::string::npos);
}

TEST(Command, CapturesStdoutAndFeedsItBack) {
  std::string cap = TempDir(), out = TempDir();
  DirCaptureWriter w(cap);
  ASSERT_TRUE(BackupCommand("kubernetes", "printf 'kind: ConfigMap\\n'", w).has_value());
  auto failing = BackupCommand("terraform", "echo 'no state' >&2; exit 1", w);
  ASSERT_FALSE(failing.has_value());
  EXPECT_NE(failing.error().message().find("no state"), std::string::npos);
  ASSERT_TRUE(w.Finish().has_value());
  auto reader = DirCaptureReader::Open(cap);
  ASSERT_TRUE(RestoreCommand("kubernetes", "cat > " + out + "/applied.yaml", **reader).has_value());
  std::ifstream in(out + "/applied.yaml");
  std::string got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(got, "kind: ConfigMap\n");
}

TEST(Environment, CapturesNamedVariablesAndRecordsMissingByNameOnly) {
  std::string cap = TempDir();
  DirCaptureWriter w(cap);
  auto r = BackupEnvironment({"API_KEY", "UNSET_ONE"}, {{"API_KEY", "sk-live-123"}, {"OTHER", "x"}}, w);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(w.Finish().has_value());
  auto reader = DirCaptureReader::Open(cap);
  auto src = (*reader)->OpenStream("env.json");
  EXPECT_EQ(*(*src)->ReadAll(), "{\"API_KEY\":\"sk-live-123\"}");
  auto attrs = (*reader)->Attributes().dump();
  EXPECT_EQ(attrs.find("sk-live"), std::string::npos);
  EXPECT_NE(attrs.find("UNSET_ONE"), std::string::npos);
}

}  // namespace
}  // namespace summit::sources::files
