#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/status.h"

namespace corridor {
namespace {

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::ok);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.to_string(), "ok");
  EXPECT_TRUE(Status::ok_status().ok());
}

TEST(Status, HelpersSetCodeAndMessage) {
  EXPECT_EQ(invalid_argument("bad").to_string(), "invalid_argument: bad");
  EXPECT_EQ(not_found("x").code(), StatusCode::not_found);
  EXPECT_EQ(io_error("x").code(), StatusCode::io_error);
  EXPECT_EQ(corruption("x").code(), StatusCode::corruption);
  EXPECT_EQ(resource_exhausted("x").code(), StatusCode::resource_exhausted);
  EXPECT_EQ(failed_precondition("x").code(), StatusCode::failed_precondition);
  EXPECT_FALSE(corruption("x").ok());
  EXPECT_EQ(corruption("disk").message(), "disk");
}

TEST(Status, CodeNamesAreStable) {
  EXPECT_EQ(status_code_name(StatusCode::ok), "ok");
  EXPECT_EQ(status_code_name(StatusCode::invalid_argument), "invalid_argument");
  EXPECT_EQ(status_code_name(StatusCode::not_found), "not_found");
  EXPECT_EQ(status_code_name(StatusCode::already_exists), "already_exists");
  EXPECT_EQ(status_code_name(StatusCode::failed_precondition), "failed_precondition");
  EXPECT_EQ(status_code_name(StatusCode::resource_exhausted), "resource_exhausted");
  EXPECT_EQ(status_code_name(StatusCode::io_error), "io_error");
  EXPECT_EQ(status_code_name(StatusCode::corruption), "corruption");
  EXPECT_EQ(status_code_name(StatusCode::unavailable), "unavailable");
  EXPECT_EQ(status_code_name(StatusCode::internal), "internal");
  EXPECT_EQ(static_cast<int>(StatusCode::internal), 9);
  EXPECT_EQ(status_code_name(static_cast<StatusCode>(42)), "unknown");
}

TEST(Result, HoldsValueOrError) {
  Result<int> good = 5;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 5);
  EXPECT_EQ(good.value(), 5);
  EXPECT_TRUE(good.status().ok());

  Result<int> bad = not_found("missing");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::not_found);
  EXPECT_EQ(bad.status().message(), "missing");
}

TEST(Result, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
  Result<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
}

Status fails_with(StatusCode code) {
  if (code == StatusCode::ok) return Status();
  return Status(code, "inner");
}

Status propagate(StatusCode code, int* reached) {
  CORRIDOR_RETURN_IF_ERROR(fails_with(code));
  ++*reached;
  return Status();
}

Result<int> maybe_int(bool ok) {
  if (ok) return 41;
  return invalid_argument("no int");
}

Result<int> add_one(bool ok) {
  CORRIDOR_ASSIGN_OR_RETURN(int v, maybe_int(ok));
  return v + 1;
}

TEST(StatusMacros, PropagateErrorsAndContinueOnOk) {
  int reached = 0;
  EXPECT_TRUE(propagate(StatusCode::ok, &reached).ok());
  EXPECT_EQ(reached, 1);
  Status s = propagate(StatusCode::io_error, &reached);
  EXPECT_EQ(s.code(), StatusCode::io_error);
  EXPECT_EQ(s.message(), "inner");
  EXPECT_EQ(reached, 1);

  auto good = add_one(true);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  auto bad = add_one(false);
  EXPECT_EQ(bad.status().code(), StatusCode::invalid_argument);
}

// A Result built from an ok Status has neither a value nor an error: a programming error that
// the always-on assertion stops, as does reading the value of an error.
TEST(ResultDeathTest, MisuseAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH({ Result<int> r{Status()}; }, "Result constructed from an ok Status");
  EXPECT_DEATH(
      {
        Result<int> r = not_found("x");
        (void)r.value();
      },
      "Result::value\\(\\) on an error");
}

}  // namespace
}  // namespace corridor
