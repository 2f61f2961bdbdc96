// Durable cells: a record written is read back, also after reopening; a torn write leaves the
// previous record; a damaged cell is an error, never "nothing written".
#include "storage/file_cell.h"
#include "storage/kv_cell.h"
#include "storage/mem_kv_store.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

namespace corridor::storage {
namespace {

Bytes b(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

std::optional<Bytes> read_or_fail(const DurableCell& cell) {
  auto r = cell.read();
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::nullopt;
}

class FileCellTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.path() + "/cell"; }

  std::unique_ptr<FileCell> open_or_fail() {
    auto cell = FileCell::open(path());
    EXPECT_TRUE(cell.ok()) << cell.status().to_string();
    return cell.ok() ? std::move(cell).value() : nullptr;
  }

  // Overwrites bytes of the file at offset, as a torn or damaged write would leave them.
  void scribble(size_t offset, std::string_view bytes) {
    std::fstream f(path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  test::TempDir dir_{"corridor_file_cell_test"};
};

TEST_F(FileCellTest, ANewCellHoldsNothingAndHasTwoSlots) {
  auto cell = open_or_fail();
  ASSERT_NE(cell, nullptr);
  EXPECT_EQ(read_or_fail(*cell), std::nullopt);
  EXPECT_EQ(std::filesystem::file_size(path()), file_cell_slot_bytes * file_cell_slots);
  EXPECT_FALSE(std::filesystem::exists(path() + ".tmp"));
}

TEST_F(FileCellTest, TheLastRecordWrittenSurvivesReopening) {
  {
    auto cell = open_or_fail();
    ASSERT_NE(cell, nullptr);
    for (std::string_view v : {"first", "second", "", "fourth"}) {
      ASSERT_TRUE(cell->write(b(v)).ok());
      EXPECT_EQ(read_or_fail(*cell), b(v));
    }
  }
  auto cell = open_or_fail();
  ASSERT_NE(cell, nullptr);
  EXPECT_EQ(read_or_fail(*cell), b("fourth"));
  // Writing goes on from the stored sequence: the next record wins over both slots.
  ASSERT_TRUE(cell->write(b("fifth")).ok());
  cell = open_or_fail();
  EXPECT_EQ(read_or_fail(*cell), b("fifth"));
}

TEST_F(FileCellTest, AnEmptyRecordIsNotNoRecord) {
  {
    auto cell = open_or_fail();
    ASSERT_TRUE(cell->write(Bytes{}).ok());
  }
  auto cell = open_or_fail();
  EXPECT_EQ(read_or_fail(*cell), Bytes{});
}

TEST_F(FileCellTest, ATornWriteLeavesThePreviousRecord) {
  {
    auto cell = open_or_fail();
    ASSERT_TRUE(cell->write(b("one")).ok());  // Sequence 1: slot 1.
    ASSERT_TRUE(cell->write(b("two")).ok());  // Sequence 2: slot 0.
  }
  // A crash in the middle of writing slot 0 (its checksum no longer matches).
  scribble(30, "XXXX");
  auto cell = open_or_fail();
  ASSERT_NE(cell, nullptr);
  EXPECT_EQ(read_or_fail(*cell), b("one"));
  // The next write replaces the torn slot, not the good one.
  ASSERT_TRUE(cell->write(b("three")).ok());
  cell = open_or_fail();
  EXPECT_EQ(read_or_fail(*cell), b("three"));
}

TEST_F(FileCellTest, ACellWithoutAValidSlotIsCorruptNotEmpty) {
  {
    auto cell = open_or_fail();
    ASSERT_TRUE(cell->write(b("one")).ok());
  }
  scribble(0, "garbage!");
  scribble(file_cell_slot_bytes, "garbage!");
  auto cell = FileCell::open(path());
  ASSERT_FALSE(cell.ok());
  EXPECT_EQ(cell.status().code(), StatusCode::corruption) << cell.status().to_string();
}

TEST_F(FileCellTest, ACellOfTheWrongSizeIsCorrupt) {
  { std::ofstream(path(), std::ios::binary) << "short"; }
  auto cell = FileCell::open(path());
  ASSERT_FALSE(cell.ok());
  EXPECT_EQ(cell.status().code(), StatusCode::corruption);
}

TEST_F(FileCellTest, ARecordAboveTheLimitIsRefusedAndChangesNothing) {
  auto cell = open_or_fail();
  ASSERT_TRUE(cell->write(b("kept")).ok());
  Status st = cell->write(Bytes(durable_cell_record_bytes_max + 1, 7));
  EXPECT_EQ(st.code(), StatusCode::invalid_argument);
  ASSERT_TRUE(cell->write(Bytes(durable_cell_record_bytes_max, 7)).ok());
  cell = open_or_fail();
  EXPECT_EQ(read_or_fail(*cell), Bytes(durable_cell_record_bytes_max, 7));
}

TEST_F(FileCellTest, AMissingDirectoryIsAnError) {
  auto cell = FileCell::open(dir_.path() + "/no/such/dir/cell");
  ASSERT_FALSE(cell.ok());
  EXPECT_EQ(cell.status().code(), StatusCode::io_error);
}

TEST(KvCellTest, KeepsItsRecordUnderItsKeyThroughACrash) {
  auto kv = std::make_shared<MemKvStore>();
  KvCell cell(kv, b("S"));
  EXPECT_EQ(read_or_fail(cell), std::nullopt);
  ASSERT_TRUE(cell.write(b("safety")).ok());
  kv->crash_lose_all_unsynced();  // Synced writes survive.
  EXPECT_EQ(read_or_fail(KvCell(kv, b("S"))), b("safety"));
  EXPECT_EQ(cell.write(Bytes(durable_cell_record_bytes_max + 1, 0)).code(),
            StatusCode::invalid_argument);
}

}  // namespace
}  // namespace corridor::storage
