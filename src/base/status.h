// Status and Result<T>: the error channel at every module boundary (storage, net, api, decoders).
// Exceptions are reserved for the CLI and HTTP shell; everything below returns one of these.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace corridor {

// Error categories. These describe why an operation of the process failed (bad bytes, missing
// record, I/O). Business rejections of the ledger are not Status codes: they are the stable,
// numbered ResultCode values in ledger/result_code.h.
enum class StatusCode : int {
  ok = 0,
  invalid_argument = 1,  // Malformed input: bad encoding, out of range, wrong type.
  not_found = 2,
  already_exists = 3,
  failed_precondition = 4,
  resource_exhausted = 5,  // A limit was hit: queue full, message too large.
  io_error = 6,
  corruption = 7,  // Stored bytes fail their own checks.
  unavailable = 8,
  internal = 9,
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == StatusCode::ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

inline Status invalid_argument(std::string m) {
  return {StatusCode::invalid_argument, std::move(m)};
}
inline Status not_found(std::string m) {
  return {StatusCode::not_found, std::move(m)};
}
inline Status io_error(std::string m) {
  return {StatusCode::io_error, std::move(m)};
}
inline Status corruption(std::string m) {
  return {StatusCode::corruption, std::move(m)};
}
inline Status resource_exhausted(std::string m) {
  return {StatusCode::resource_exhausted, std::move(m)};
}
inline Status failed_precondition(std::string m) {
  return {StatusCode::failed_precondition, std::move(m)};
}

// Result<T> holds either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like absl::StatusOr.
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    CORRIDOR_ASSERT_MSG(!std::get<Status>(v_).ok(), "Result constructed from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status ok_status;
    return ok() ? ok_status : std::get<Status>(v_);
  }
  T& value() & {
    CORRIDOR_ASSERT_MSG(ok(), "Result::value() on an error");
    return std::get<T>(v_);
  }
  const T& value() const& {
    CORRIDOR_ASSERT_MSG(ok(), "Result::value() on an error");
    return std::get<T>(v_);
  }
  T&& value() && {
    CORRIDOR_ASSERT_MSG(ok(), "Result::value() on an error");
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace corridor

// Propagates a non-ok Status from an expression returning Status.
#define CORRIDOR_RETURN_IF_ERROR(expr)   \
  do {                                   \
    ::corridor::Status status_ = (expr); \
    if (!status_.ok()) return status_;   \
  } while (false)

#define CORRIDOR_CONCAT_INNER(a, b) a##b
#define CORRIDOR_CONCAT(a, b) CORRIDOR_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its Status.
#define CORRIDOR_ASSIGN_OR_RETURN(lhs, expr) \
  CORRIDOR_ASSIGN_OR_RETURN_IMPL(CORRIDOR_CONCAT(result_, __LINE__), lhs, expr)
#define CORRIDOR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
