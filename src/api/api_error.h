// The error every API answer uses: an HTTP status, a stable snake_case code and a sentence.
// Thrown only inside the HTTP and CLI shells (handlers and the JSON codec), caught at the
// edge and turned into {"error": {"code": ..., "message": ...}}.
#pragma once

#include <stdexcept>
#include <string>

namespace corridor::api {

class ApiError : public std::runtime_error {
 public:
  ApiError(int http_status, std::string code, const std::string& message)
      : std::runtime_error(message), http_status_(http_status), code_(std::move(code)) {}
  int http_status() const { return http_status_; }
  const std::string& code() const { return code_; }

 private:
  int http_status_;
  std::string code_;
};

}  // namespace corridor::api
