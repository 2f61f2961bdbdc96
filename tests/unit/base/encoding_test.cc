#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "base/encoding.h"
#include "base/hash.h"

namespace corridor {
namespace {

TEST(Writer, IntegersAreLittleEndianAndFixedWidth) {
  Bytes out;
  Writer w(out);
  w.u8(0xab);
  w.u16(0x0102);
  w.u32(0x03040506);
  w.u64(0x0708090a0b0c0d0eULL);
  w.i64(-2);
  EXPECT_EQ(w.size(), 1u + 2 + 4 + 8 + 8);
  EXPECT_EQ(to_hex(out),
            "ab"
            "0201"
            "06050403"
            "0e0d0c0b0a090807"
            "feffffffffffffff");
}

TEST(Writer, StringsCarryTheirLength) {
  Bytes out;
  Writer w(out);
  w.short_string("USD");
  w.short_string("");
  Bytes payload = {1, 2, 3};
  w.var_bytes(payload);
  Hash256 h;
  h.bytes[0] = 0x11;
  w.fixed(h);
  EXPECT_EQ(to_hex(out),
            "03555344"
            "00"
            "03000000010203"
            "11" +
                std::string(62, '0'));
}

TEST(Reader, ReadsBackWhatWriterWrote) {
  Bytes out;
  Writer w(out);
  w.u8(7);
  w.u16(65535);
  w.u32(0xdeadbeef);
  w.u64(UINT64_MAX);
  w.i64(INT64_MIN);
  w.short_string("hello");
  Bytes payload(300, 0x5a);
  w.var_bytes(payload);
  Hash256 h = sha256(as_bytes("x"));
  w.fixed(h);

  Reader r(out);
  uint8_t a;
  uint16_t b;
  uint32_t c;
  uint64_t d;
  int64_t e;
  std::string s;
  ByteView v;
  Hash256 h2;
  ASSERT_TRUE(r.u8(a) && r.u16(b) && r.u32(c) && r.u64(d) && r.i64(e) && r.short_string(s) &&
              r.var_bytes(v, 1000) && r.fixed(h2));
  EXPECT_EQ(a, 7);
  EXPECT_EQ(b, 65535);
  EXPECT_EQ(c, 0xdeadbeefu);
  EXPECT_EQ(d, UINT64_MAX);
  EXPECT_EQ(e, INT64_MIN);
  EXPECT_EQ(s, "hello");
  EXPECT_EQ(Bytes(v.begin(), v.end()), payload);
  EXPECT_EQ(h2, h);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.finish("test").ok());
}

// Every prefix of a valid encoding fails cleanly: the reads stop at the end of the buffer,
// the error is latched, and finish() reports it. The prefix is copied into its own allocation
// so that a read past its end would be caught by AddressSanitizer.
TEST(Reader, EveryTruncationFailsWithoutReadingPastTheEnd) {
  Bytes full;
  Writer w(full);
  w.u8(1);
  w.u16(2);
  w.u32(3);
  w.u64(4);
  w.short_string("abcdef");
  w.var_bytes(Bytes(10, 9));
  w.i64(-5);
  for (size_t len = 0; len < full.size(); ++len) {
    Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    Reader r(prefix);
    uint8_t a;
    uint16_t b;
    uint32_t c;
    uint64_t d;
    std::string s;
    ByteView v;
    int64_t e;
    bool all = r.u8(a) && r.u16(b) && r.u32(c) && r.u64(d) && r.short_string(s) &&
               r.var_bytes(v, 100) && r.i64(e);
    EXPECT_FALSE(all) << "prefix of " << len << " bytes";
    EXPECT_FALSE(r.ok());
    EXPECT_LE(r.offset(), len);
    Status st = r.finish("thing");
    EXPECT_EQ(st.code(), StatusCode::invalid_argument);
    EXPECT_EQ(st.message().rfind("thing: truncated", 0), 0u) << st.message();
  }
}

TEST(Reader, ErrorIsLatchedAndFirstReasonKept) {
  Bytes two = {1, 2};
  Reader r(two);
  uint32_t big;
  EXPECT_FALSE(r.u32(big));
  // Bytes remain, but after an error no further read succeeds.
  uint8_t small;
  EXPECT_FALSE(r.u8(small));
  EXPECT_FALSE(r.fail("second reason"));
  EXPECT_NE(r.status("x").message().find("truncated"), std::string::npos);
  EXPECT_EQ(r.status("x").message().find("second reason"), std::string::npos);
}

TEST(Reader, FinishRejectsTrailingBytes) {
  Bytes data = {1, 2, 3};
  Reader r(data);
  uint16_t v;
  ASSERT_TRUE(r.u16(v));
  EXPECT_TRUE(r.ok());
  Status st = r.finish("blob");
  EXPECT_EQ(st.code(), StatusCode::invalid_argument);
  EXPECT_EQ(st.message(), "blob: 1 trailing bytes");
  // status() alone only reports read errors.
  EXPECT_TRUE(r.status("blob").ok());
}

TEST(Reader, VarBytesEnforcesItsLimitBeforeReading) {
  Bytes out;
  Writer w(out);
  w.var_bytes(Bytes(8, 1));
  Reader r(out);
  ByteView v;
  EXPECT_FALSE(r.var_bytes(v, 7));
  EXPECT_NE(r.status("v").message().find("exceeds the limit of 7"), std::string::npos);
  Reader exact(out);
  EXPECT_TRUE(exact.var_bytes(v, 8));
  EXPECT_EQ(v.size(), 8u);
}

TEST(Reader, HugeDeclaredLengthIsTruncationNotAllocation) {
  // A u32 length of 4 GiB - 1 with nothing behind it.
  Bytes data = {0xff, 0xff, 0xff, 0xff};
  Reader r(data);
  ByteView v;
  EXPECT_FALSE(r.var_bytes(v, SIZE_MAX));
  EXPECT_NE(r.status("v").message().find("truncated"), std::string::npos);
  Bytes s = {200, 'a'};
  Reader rs(s);
  std::string text;
  EXPECT_FALSE(rs.short_string(text));
}

TEST(Reader, FailOnCleanReaderMarksMalformed) {
  Bytes data = {0};
  Reader r(data);
  EXPECT_FALSE(r.fail("semantic problem"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.finish("z").message(), "z: semantic problem");
}

}  // namespace
}  // namespace corridor
