// The media store on SQLite and PostgreSQL (TEST_DATABASE_URL) with a real directory: atomic
// saves that leave nothing behind on failure, ranged reads, the retention sweep, and the files of
// a deleted session (the rows cascade, the sweep removes the files).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "auth/crypto.hpp"
#include "db/migrations.hpp"
#include "media/store.hpp"
#include "test_db.hpp"

namespace gw::media {
namespace {

namespace fs = std::filesystem;
using testing::TestDatabase;
using namespace std::chrono_literals;

std::string file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> dir_entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class MediaStore : public ::testing::TestWithParam<db::Dialect> {
 protected:
  MediaStore()
      : tdb_(GetParam()),
        dir_(fs::temp_directory_path() / ("gw-media-" + testing::random_suffix())) {}
  ~MediaStore() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void SetUp() override {
    GW_REQUIRE_DB(tdb_);
    db::Migrator(tdb_.db()).up();
    session_ = add_session();
  }

  std::string add_session() {
    std::string user = auth::uuid_v4();
    std::string session = auth::uuid_v4();
    tdb_.db().with_connection([&](db::Connection& c) {
      c.query("INSERT INTO users (id, pin_hash) VALUES (?, ?)",
              {user, auth::hex_encode(auth::random_bytes(32))});
      c.query("INSERT INTO sessions (id, user_id, session_name, webhook_url) VALUES (?, ?, ?, ?)",
              {session, user, std::string("bot"), std::string("http://127.0.0.1:5678/hook")});
    });
    return session;
  }

  Store make_store(std::size_t max_bytes = 1024, std::chrono::seconds retention = 3600s,
                   std::chrono::seconds grace = 0s) {
    StoreOptions o;
    o.dir = dir_;
    o.max_bytes = max_bytes;
    o.retention = retention;
    o.orphan_grace = grace;
    return Store(o);
  }

  MediaRecord save(const Store& s, std::string_view bytes, std::int64_t now_ms = 1'000'000,
                   const std::string& session = "") {
    NewMedia m;
    m.session_id = session.empty() ? session_ : session;
    m.bytes = bytes;
    m.mimetype = "image/JPEG";
    m.file_name = "../holiday/photo.jpg";
    return tdb_.db().with_connection([&](db::Connection& c) { return s.save(c, m, now_ms); });
  }

  std::int64_t rows() {
    return tdb_.db().with_connection(
        [](db::Connection& c) { return c.query("SELECT COUNT(*) FROM media").rows[0].integer(0); });
  }

  SweepResult sweep(const Store& s, std::int64_t now_ms) {
    return tdb_.db().with_connection([&](db::Connection& c) { return s.sweep(c, now_ms); });
  }

  TestDatabase tdb_;
  fs::path dir_;
  std::string session_;
};

TEST_P(MediaStore, SavesTheFileUnderARandomIdAndTheRowBesideIt) {
  const auto store = make_store();
  const auto rec = save(store, "hello");
  EXPECT_TRUE(is_media_id(rec.id)) << rec.id;
  EXPECT_EQ(rec.session_id, session_);
  EXPECT_EQ(rec.mimetype, "image/jpeg");
  EXPECT_EQ(rec.file_name, "photo.jpg") << "only the last path component of a user's name";
  EXPECT_EQ(rec.size, 5);
  EXPECT_EQ(rec.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(rec.created_ms, 1'000'000);

  EXPECT_EQ(dir_entries(dir_), std::vector<std::string>{rec.id}) << "no temp file is left";
  EXPECT_EQ(file_text(store.path_of(rec.id)), "hello");
  struct stat st {};
  ASSERT_EQ(::stat(store.path_of(rec.id).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  const auto found =
      tdb_.db().with_connection([&](db::Connection& c) { return store.find(c, rec.id); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, rec.id);
  EXPECT_EQ(found->session_id, session_);
  EXPECT_EQ(found->mimetype, rec.mimetype);
  EXPECT_EQ(found->file_name, rec.file_name);
  EXPECT_EQ(found->size, 5);
  EXPECT_EQ(found->sha256, rec.sha256);
  EXPECT_EQ(found->created_ms, 1'000'000);

  const auto other = save(store, "hello");
  EXPECT_NE(other.id, rec.id);
}

TEST_P(MediaStore, FindRefusesWhatIsNoId) {
  const auto store = make_store();
  for (const std::string& id :
       std::vector<std::string>{"", "../gateway.db", std::string(32, 'A'), std::string(31, 'a'),
                                std::string(32, 'g'), std::string(33, 'a')}) {
    EXPECT_FALSE(tdb_.db().with_connection([&](db::Connection& c) { return store.find(c, id); }))
        << id;
  }
  EXPECT_FALSE(tdb_.db().with_connection(
      [&](db::Connection& c) { return store.find(c, std::string(32, 'a')); }));
}

TEST_P(MediaStore, ReadsRangesAndNoticesAMissingFile) {
  const auto store = make_store();
  const auto rec = save(store, "0123456789");
  EXPECT_EQ(store.read(rec, 0, 10), "0123456789");
  EXPECT_EQ(store.read(rec, 3, 4), "3456");
  EXPECT_EQ(store.read(rec, 9, 1), "9");
  EXPECT_EQ(store.read(rec, 0, 0), "");
  EXPECT_FALSE(store.read(rec, 5, 6)) << "past the end of the file";
  fs::remove(store.path_of(rec.id));
  EXPECT_FALSE(store.read(rec, 0, 0));
}

TEST_P(MediaStore, TooLargeIsRefusedAndLeavesNothing) {
  const auto store = make_store(10);
  EXPECT_NO_THROW(save(store, std::string(10, 'x')));
  try {
    save(store, std::string(11, 'x'));
    FAIL() << "11 bytes over a cap of 10 were stored";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::too_large);
    EXPECT_NE(std::string(e.what()).find("MEDIA_MAX_BYTES"), std::string::npos);
  }
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(dir_entries(dir_).size(), 1U);
}

TEST_P(MediaStore, FailedInsertLeavesNoFile) {
  const auto store = make_store();
  EXPECT_THROW(save(store, "data", 1, auth::uuid_v4()), db::DbError) << "unknown session";
  EXPECT_EQ(rows(), 0);
  EXPECT_TRUE(dir_entries(dir_).empty());
}

TEST_P(MediaStore, FailedWriteLeavesNoRow) {
  const auto store = make_store();
  fs::remove_all(dir_);  // the directory went away under the store
  try {
    save(store, "data");
    FAIL() << "saved without a directory";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreError::Kind::io);
  }
  EXPECT_EQ(rows(), 0);
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_P(MediaStore, SweepDeletesWhatIsPastTheRetention) {
  const auto store = make_store(1024, 3600s);
  const std::int64_t now = 10'000'000'000;
  const auto old1 = save(store, "old one", now - 3601'000);
  const auto old2 = save(store, "old two", now - 7200'000);
  const auto fresh = save(store, "fresh", now - 3599'000);
  const auto result = sweep(store, now);
  EXPECT_EQ(result.expired, 2);
  EXPECT_EQ(result.orphans, 0);
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(dir_entries(dir_), std::vector<std::string>{fresh.id});
  EXPECT_FALSE(fs::exists(store.path_of(old1.id)));
  EXPECT_FALSE(fs::exists(store.path_of(old2.id)));
  EXPECT_EQ(sweep(store, now).expired, 0);
}

TEST_P(MediaStore, ZeroRetentionKeepsEverything) {
  const auto store = make_store(1024, 0s);
  save(store, "ancient", 1);
  EXPECT_EQ(sweep(store, 10'000'000'000).expired, 0);
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(dir_entries(dir_).size(), 1U);
}

TEST_P(MediaStore, ManyExpiredRowsGoInBatches) {
  const auto store = make_store(1024, 1s);
  for (int i = 0; i < 450; ++i) save(store, "x", 1);
  EXPECT_EQ(sweep(store, 10'000'000).expired, 450);
  EXPECT_EQ(rows(), 0);
  EXPECT_TRUE(dir_entries(dir_).empty());
}

TEST_P(MediaStore, DeletedSessionLosesItsRowsAndTheSweepItsFiles) {
  const auto store = make_store();
  const std::string other = add_session();
  const auto gone = save(store, "of the deleted session");
  const auto kept = save(store, "of another session", 1'000'000, other);
  tdb_.db().with_connection(
      [&](db::Connection& c) { c.query("DELETE FROM sessions WHERE id = ?", {session_}); });
  EXPECT_EQ(rows(), 1) << "ON DELETE CASCADE";
  EXPECT_TRUE(fs::exists(store.path_of(gone.id))) << "until the sweep";

  // Within the grace period an orphan may be a save between its rename and its INSERT.
  const auto patient = make_store(1024, 3600s, 600s);
  EXPECT_EQ(sweep(patient, 1'000'000).orphans, 0);
  EXPECT_TRUE(fs::exists(patient.path_of(gone.id)));

  const auto result = sweep(store, 1'000'000);
  EXPECT_EQ(result.orphans, 1);
  EXPECT_EQ(result.expired, 0);
  EXPECT_EQ(dir_entries(dir_), std::vector<std::string>{kept.id});
}

TEST_P(MediaStore, SweepRemovesStaleTempFilesAndLeavesOtherFilesAlone) {
  const auto store = make_store();
  std::ofstream(dir_ / ".tmp-0123456789abcdef0123456789abcdef") << "half written";
  std::ofstream(dir_ / "README") << "not ours";
  fs::create_directory(dir_ / std::string(32, 'b'));
  const auto result = sweep(store, 1'000'000);
  EXPECT_EQ(result.orphans, 1);
  EXPECT_EQ(dir_entries(dir_), (std::vector<std::string>{"README", std::string(32, 'b')}));
}

INSTANTIATE_TEST_SUITE_P(Dialects, MediaStore,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         testing::dialect_label);

TEST(MediaNames, MimetypesAreCleanedOrReplaced) {
  EXPECT_EQ(clean_mimetype("image/JPEG"), "image/jpeg");
  EXPECT_EQ(clean_mimetype(" audio/ogg; codecs=opus "), "audio/ogg; codecs=opus");
  EXPECT_EQ(
      clean_mimetype("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  for (const std::string& bad :
       std::vector<std::string>{"", "image", "/jpeg", "image/", "image/jp eg", "ima\"ge/x",
                                "text/html\r\nSet-Cookie: a=b", std::string(300, 'a') + "/b"}) {
    EXPECT_EQ(clean_mimetype(bad), "application/octet-stream") << bad;
  }
  EXPECT_EQ(clean_mimetype("text/plain; charset=\x01x"), "text/plain");
}

TEST(MediaNames, FileNamesAreCleanedOrInvented) {
  EXPECT_EQ(clean_file_name("report.pdf", "application/pdf"), "report.pdf");
  EXPECT_EQ(clean_file_name("C:\\Users\\me\\report.pdf", "application/pdf"), "report.pdf");
  EXPECT_EQ(clean_file_name("/etc/passwd", "text/plain"), "passwd");
  EXPECT_EQ(clean_file_name("..", "image/png"), "media.png");
  EXPECT_EQ(clean_file_name(".hidden", "image/png"), "hidden");
  EXPECT_EQ(clean_file_name("", "audio/ogg; codecs=opus"), "media.ogg");
  EXPECT_EQ(clean_file_name("", "application/x-unknown"), "media.bin");
  EXPECT_EQ(clean_file_name("a\r\nb\x7f\"c.txt", "text/plain"), "ab\"c.txt");
  EXPECT_EQ(clean_file_name("caf\xc3\xa9 \xe2\x98\x95.jpg", "image/jpeg"),
            "caf\xc3\xa9 \xe2\x98\x95.jpg");
  EXPECT_EQ(clean_file_name("bad\xff.jpg", "image/jpeg"), "bad\xef\xbf\xbd.jpg");
  EXPECT_EQ(clean_file_name("c1\xc2\x85.txt", "text/plain"), "c1.txt");
  // Cut at 200 bytes, never inside a character.
  const std::string long_name = std::string(199, 'a') + "\xc3\xa9" + "tail";
  EXPECT_EQ(clean_file_name(long_name, "text/plain"), std::string(199, 'a'));
}

}  // namespace
}  // namespace gw::media
