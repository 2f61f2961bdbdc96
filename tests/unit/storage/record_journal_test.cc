// Record journals: what is appended comes back in order, after reopening too; a sync makes it
// survive a crash; a release frees room for more; a full journal refuses and changes nothing;
// clear() voids everything for good; a torn record, or a body that merely looks like a record,
// is never read as one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "storage/file_record_journal.h"
#include "storage/kv_record_journal.h"
#include "storage/mem_kv_store.h"
#include "support/test_support.h"

namespace corridor::storage {
namespace {

Bytes body_of(uint64_t tag, size_t size) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(tag * 31 + i * 7);
  return b;
}

std::vector<uint64_t> heights_of(const RecordJournal& j) {
  auto records = j.read_all();
  EXPECT_TRUE(records.ok()) << records.status().to_string();
  std::vector<uint64_t> out;
  if (records.ok())
    for (const JournalRecord& r : *records) out.push_back(r.height);
  return out;
}

// --- Both journals --------------------------------------------------------------------------

// Opens a fresh journal of each kind, reopens it, and says how much room it has.
class JournalFactory {
 public:
  virtual ~JournalFactory() = default;
  // A journal whose live records may take at least `room_bytes` of bodies of 1,000 bytes.
  virtual std::unique_ptr<RecordJournal> open() = 0;
};

class KvFactory final : public JournalFactory {
 public:
  std::unique_ptr<RecordJournal> open() override {
    auto j = KvRecordJournal::open(kv_, Bytes{'J'}, 16 * 1'000);
    EXPECT_TRUE(j.ok()) << j.status().to_string();
    return j.ok() ? std::move(j).value() : nullptr;
  }
  std::shared_ptr<MemKvStore> kv_ = std::make_shared<MemKvStore>();
};

class FileFactory final : public JournalFactory {
 public:
  std::unique_ptr<RecordJournal> open() override {
    // Sixteen blocks: sixteen records of 1,000 bytes, one block each.
    auto j = FileRecordJournal::open(dir_.path() + "/journal", file_journal_capacity_bytes_min);
    EXPECT_TRUE(j.ok()) << j.status().to_string();
    return j.ok() ? std::move(j).value() : nullptr;
  }
  test::TempDir dir_{"corridor_record_journal_test"};
};

class RecordJournalTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "kv")
      factory_ = std::make_unique<KvFactory>();
    else
      factory_ = std::make_unique<FileFactory>();
  }
  std::unique_ptr<JournalFactory> factory_;
};

TEST_P(RecordJournalTest, RecordsComeBackInTheOrderAppendedAlsoAfterReopening) {
  {
    auto j = factory_->open();
    ASSERT_NE(j, nullptr);
    EXPECT_TRUE(heights_of(*j).empty());
    for (uint64_t h : {5, 7, 6, 9}) ASSERT_TRUE(j->append(h, body_of(h, 1'000)).ok());
    ASSERT_TRUE(j->sync().ok());
    EXPECT_EQ(heights_of(*j), (std::vector<uint64_t>{5, 7, 6, 9}));
  }
  auto j = factory_->open();
  ASSERT_NE(j, nullptr);
  auto records = j->read_all();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 4u);
  EXPECT_EQ((*records)[1].body, body_of(7, 1'000));
  // Appends go on after the newest record.
  ASSERT_TRUE(j->append(10, body_of(10, 10)).ok());
  EXPECT_EQ(heights_of(*j), (std::vector<uint64_t>{5, 7, 6, 9, 10}));
}

TEST_P(RecordJournalTest, AFullJournalRefusesAndChangesNothingUntilARelease) {
  auto j = factory_->open();
  ASSERT_NE(j, nullptr);
  uint64_t appended = 0;
  Status st;
  while ((st = j->append(appended + 1, body_of(appended, 1'000))).ok()) ++appended;
  EXPECT_EQ(st.code(), StatusCode::resource_exhausted) << st.to_string();
  EXPECT_GE(appended, 8u);
  EXPECT_LE(appended, 16u);
  EXPECT_EQ(heights_of(*j).size(), appended);
  // Releasing the older half makes room for as many again.
  j->release_through(appended / 2);
  for (uint64_t i = 0; i < appended / 2; ++i)
    EXPECT_TRUE(j->append(100 + i, body_of(i, 1'000)).ok()) << i;
  EXPECT_EQ(j->append(200, body_of(0, 1'000)).code(), StatusCode::resource_exhausted);
  // The records not released are all still there.
  std::vector<uint64_t> live;
  for (uint64_t h : heights_of(*j))
    if (h > appended / 2) live.push_back(h);
  EXPECT_EQ(live.size(), appended);
}

TEST_P(RecordJournalTest, ClearVoidsEveryRecordForGood) {
  {
    auto j = factory_->open();
    ASSERT_NE(j, nullptr);
    for (uint64_t h = 1; h <= 3; ++h) ASSERT_TRUE(j->append(h, body_of(h, 500)).ok());
    ASSERT_TRUE(j->sync().ok());
    ASSERT_TRUE(j->clear().ok());
    EXPECT_TRUE(heights_of(*j).empty());
    ASSERT_TRUE(j->append(4, body_of(4, 500)).ok());
    ASSERT_TRUE(j->sync().ok());
    ASSERT_TRUE(j->clear().ok());
    ASSERT_TRUE(j->append(5, body_of(5, 500)).ok());
    ASSERT_TRUE(j->sync().ok());
  }
  auto j = factory_->open();
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(heights_of(*j), std::vector<uint64_t>{5});
}

TEST_P(RecordJournalTest, ReleasedRoomIsReusedLapAfterLap) {
  auto j = factory_->open();
  ASSERT_NE(j, nullptr);
  // Far more than the journal holds at once, three live at a time, of varied sizes.
  for (uint64_t h = 1; h <= 200; ++h) {
    ASSERT_TRUE(j->append(h, body_of(h, 300 + (h % 5) * 700)).ok()) << h;
    if (h > 3) j->release_through(h - 3);
  }
  ASSERT_TRUE(j->sync().ok());
  std::vector<uint64_t> live;
  for (uint64_t h : heights_of(*j))
    if (h > 197) live.push_back(h);
  EXPECT_EQ(live, (std::vector<uint64_t>{198, 199, 200}));
}

INSTANTIATE_TEST_SUITE_P(Kinds, RecordJournalTest, ::testing::Values("kv", "file"),
                         [](const auto& suite) { return suite.param; });

// --- The journal in a KvStore ---------------------------------------------------------------

TEST(KvRecordJournal, OnlySyncedRecordsSurviveAPowerLoss) {
  auto kv = std::make_shared<MemKvStore>();
  {
    auto j = KvRecordJournal::open(kv, Bytes{'J'});
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE((*j)->append(1, body_of(1, 10)).ok());
    ASSERT_TRUE((*j)->sync().ok());
    ASSERT_TRUE((*j)->append(2, body_of(2, 10)).ok());
  }
  kv->crash_lose_all_unsynced();
  auto j = KvRecordJournal::open(kv, Bytes{'J'});
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(heights_of(**j), std::vector<uint64_t>{1});
  // The next record does not reuse the lost one's key with another height.
  ASSERT_TRUE((*j)->append(3, body_of(3, 10)).ok());
  EXPECT_EQ(heights_of(**j), (std::vector<uint64_t>{1, 3}));
}

TEST(KvRecordJournal, AReleaseErasesTheReleasedRecordsOnly) {
  auto kv = std::make_shared<MemKvStore>();
  auto j = KvRecordJournal::open(kv, Bytes{'J'});
  ASSERT_TRUE(j.ok());
  for (uint64_t h : {3, 1, 4, 2}) ASSERT_TRUE((*j)->append(h, body_of(h, 10)).ok());
  (*j)->release_through(2);
  EXPECT_EQ(heights_of(**j), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ((*j)->live_records(), 2u);
}

TEST(KvRecordJournal, AMalformedEntryUnderThePrefixIsCorruption) {
  auto kv = std::make_shared<MemKvStore>();
  WriteBatch batch;
  batch.put(Bytes{'J', 1, 2}, Bytes{0});
  ASSERT_TRUE(kv->write(batch, true).ok());
  auto j = KvRecordJournal::open(kv, Bytes{'J'});
  EXPECT_EQ(j.status().code(), StatusCode::corruption);
}

// --- The journal in a file ------------------------------------------------------------------

class FileRecordJournalTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.path() + "/journal"; }

  std::unique_ptr<FileRecordJournal> open_or_fail(
      size_t capacity = file_journal_capacity_bytes_min) {
    auto j = FileRecordJournal::open(path(), capacity);
    EXPECT_TRUE(j.ok()) << j.status().to_string();
    return j.ok() ? std::move(j).value() : nullptr;
  }

  Bytes read_file_at(size_t offset, size_t n) const {
    std::ifstream f(path(), std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    Bytes out(n);
    f.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n));
    return out;
  }

  void scribble(size_t offset, ByteView bytes) {
    std::fstream f(path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  }

  // Where ring block `block` starts in the file: after the two header slots.
  static size_t block_offset(uint64_t block) { return (2 + block) * file_journal_block_bytes; }

  test::TempDir dir_{"corridor_file_record_journal_test"};
};

TEST_F(FileRecordJournalTest, ANewJournalIsPreallocatedAndEmpty) {
  auto j = open_or_fail(size_t{1} << 20);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(std::filesystem::file_size(path()), (2 + 256) * file_journal_block_bytes);
  EXPECT_EQ(j->capacity_blocks(), 256u);
  EXPECT_TRUE(heights_of(*j).empty());
  EXPECT_FALSE(std::filesystem::exists(path() + ".tmp"));
  // The size it was created with stays, whatever a later open asks for.
  j.reset();
  j = open_or_fail(size_t{2} << 20);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->capacity_blocks(), 256u);
}

TEST_F(FileRecordJournalTest, ASizeOutOfBoundsIsRefused) {
  EXPECT_EQ(FileRecordJournal::open(path(), file_journal_block_bytes).status().code(),
            StatusCode::invalid_argument);
  EXPECT_EQ(FileRecordJournal::open(path(), file_journal_capacity_bytes_max + 1).status().code(),
            StatusCode::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(FileRecordJournalTest, ATornRecordIsSkippedAndTheOthersKept) {
  {
    auto j = open_or_fail();
    ASSERT_NE(j, nullptr);
    // One block each: records at blocks 0, 1 and 2.
    for (uint64_t h = 1; h <= 3; ++h) ASSERT_TRUE(j->append(h, body_of(h, 1'000)).ok());
  }
  // The middle record's body is damaged, as a write cut short by a power loss leaves it.
  scribble(block_offset(1) + 500, Bytes(8, 0xee));
  auto j = open_or_fail();
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(heights_of(*j), (std::vector<uint64_t>{1, 3}));
}

TEST_F(FileRecordJournalTest, ABodyThatLooksLikeARecordIsNeverReadAsOne) {
  // A valid record of another journal (another key), as a client could place it in a
  // transaction's bytes so that it lands on a block boundary inside a body here.
  Bytes foreign;
  {
    test::TempDir other{"corridor_file_record_journal_other"};
    auto o = FileRecordJournal::open(other.path() + "/journal", file_journal_capacity_bytes_min);
    ASSERT_TRUE(o.ok());
    ASSERT_TRUE((*o)->append(999, body_of(9, 100)).ok());
    std::ifstream f(other.path() + "/journal", std::ios::binary);
    f.seekg(static_cast<std::streamoff>(block_offset(0)));
    foreign.resize(file_journal_block_bytes);
    f.read(reinterpret_cast<char*>(foreign.data()), static_cast<std::streamsize>(foreign.size()));
  }
  {
    auto j = open_or_fail();
    ASSERT_NE(j, nullptr);
    // The record's header takes 60 bytes, so its body's byte 4,036 starts the next block.
    Bytes body(2 * file_journal_block_bytes, 0);
    std::copy(foreign.begin(), foreign.end(), body.begin() + (file_journal_block_bytes - 60));
    ASSERT_TRUE(j->append(1, body).ok());
  }
  EXPECT_EQ(read_file_at(block_offset(1), 8), Bytes(foreign.begin(), foreign.begin() + 8));
  // Damage the real record, so that a reader steps through its blocks one at a time.
  scribble(block_offset(0) + 100, Bytes(4, 0xee));
  auto j = open_or_fail();
  ASSERT_NE(j, nullptr);
  EXPECT_TRUE(heights_of(*j).empty());
}

TEST_F(FileRecordJournalTest, ADamagedNewestHeaderFallsBackToTheOlderOne) {
  {
    auto j = open_or_fail();
    ASSERT_NE(j, nullptr);
    ASSERT_TRUE(j->append(1, body_of(1, 100)).ok());
    ASSERT_TRUE(j->sync().ok());
    // Generation 2 goes to slot 0, leaving generation 1 in slot 1.
    ASSERT_TRUE(j->clear().ok());
  }
  // A clear() torn in its header write: the journal opens with the previous key, and the
  // record it was clearing comes back, as clear() never returned.
  scribble(10, Bytes(4, 0xee));
  auto j = open_or_fail();
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(heights_of(*j), std::vector<uint64_t>{1});
}

TEST_F(FileRecordJournalTest, AJournalWithoutAValidHeaderOrOfTheWrongSizeIsCorruption) {
  ASSERT_NE(open_or_fail(), nullptr);
  std::filesystem::resize_file(path(), std::filesystem::file_size(path()) - 1);
  EXPECT_EQ(FileRecordJournal::open(path()).status().code(), StatusCode::corruption);
  std::filesystem::remove(path());
  ASSERT_NE(open_or_fail(), nullptr);
  scribble(10, Bytes(4, 0xee));
  scribble(file_journal_block_bytes + 10, Bytes(4, 0xee));
  EXPECT_EQ(FileRecordJournal::open(path()).status().code(), StatusCode::corruption);
}

TEST_F(FileRecordJournalTest, AfterReopeningTheLiveRecordsStillHoldTheirRoom) {
  {
    auto j = open_or_fail();
    ASSERT_NE(j, nullptr);
    // Eight two-block records: the ring is full.
    for (uint64_t h = 1; h <= 8; ++h) ASSERT_TRUE(j->append(h, body_of(h, 5'000)).ok());
    EXPECT_EQ(j->append(9, body_of(9, 10)).code(), StatusCode::resource_exhausted);
    j->release_through(2);
    ASSERT_TRUE(j->append(9, body_of(9, 5'000)).ok());
    ASSERT_TRUE(j->append(10, body_of(10, 5'000)).ok());
    ASSERT_TRUE(j->sync().ok());
  }
  auto j = open_or_fail();
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(heights_of(*j), (std::vector<uint64_t>{3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(j->live_records(), 8u);
  EXPECT_EQ(j->append(11, body_of(11, 10)).code(), StatusCode::resource_exhausted);
  // The restart releases what the ledger holds; the room goes to new records.
  j->release_through(4);
  ASSERT_TRUE(j->append(11, body_of(11, 5'000)).ok());
  ASSERT_TRUE(j->append(12, body_of(12, 5'000)).ok());
  EXPECT_EQ(j->append(13, body_of(13, 10)).code(), StatusCode::resource_exhausted);
  EXPECT_EQ(heights_of(*j), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10, 11, 12}));
}

}  // namespace
}  // namespace corridor::storage
