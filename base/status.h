#pragma once
// Failures of the world (a file that cannot be read, a refused write, a
// bad config, a damaged snapshot) are returned values, never exceptions or
// sentinel strings: a `Status` says whether an operation worked and, when
// not, what kind of failure it was and why, in words for an operator; a
// `Result<T>` is a T or the Status of why there is none.
//
//   Result<Config> ParseConfig(std::string_view text);
//   Status Append(const Batch& batch);
//
//   TUTTI_TRY(log.Append(batch));                        // returns its Status on failure
//   TUTTI_ASSIGN_OR_RETURN(Config config, ParseConfig(text));
//
// Mistakes in a user's program are diagnostics (compiler/source), and bugs
// are TUTTI_CHECKs (base/check.h); neither is a Status.

#include <string>
#include <utility>
#include <variant>

#include "base/check.h"

namespace tutti {

/// What kind of failure a Status is; callers branch on it (an HTTP status,
/// a retry) and never on the message.
enum class StatusCode {
  kOk = 0,
  kInvalid,      // the input or the config is not acceptable (say which and why)
  kNotFound,     // what was asked for does not exist
  kConflict,     // a state change that cannot be taken now (a reload, a version)
  kUnavailable,  // the world failed for now (a full disk, a refused connection): retrying may work
  kCorruption,   // stored data is damaged or lost
  kInternal,     // anything else
};

/// "invalid", "not found", ... for logs and metrics labels.
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  /// Success.
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    TUTTI_CHECK(code != StatusCode::kOk, "a failure needs a code other than kOk");
  }

  static Status Ok() { return Status(); }
  static Status Invalid(std::string m) { return {StatusCode::kInvalid, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  /// Why it failed; empty on success.
  const std::string& message() const { return message_; }
  /// The same failure with `context` before its message ("reading x: ...").
  Status With(const std::string& context) const {
    return ok() ? *this : Status(code_, context + ": " + message_);
  }

  /// Marks a Status as looked at, where dropping it is deliberate.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// A value, or the Status of why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit, as a return value
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    TUTTI_CHECK(!std::get<Status>(v_).ok(), "a Result holds a value or a failure, not success");
  }

  bool ok() const { return v_.index() == 0; }
  /// The failure; Status::Ok() when there is a value.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  T& value() & {
    TUTTI_CHECK(ok(), "the value of a failed Result");
    return std::get<T>(v_);
  }
  const T& value() const& {
    TUTTI_CHECK(ok(), "the value of a failed Result");
    return std::get<T>(v_);
  }
  T&& value() && {
    TUTTI_CHECK(ok(), "the value of a failed Result");
    return std::get<T>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace tutti

#define TUTTI_CONCAT_INNER(a, b) a##b
#define TUTTI_CONCAT(a, b) TUTTI_CONCAT_INNER(a, b)

/// Evaluates `expr` (a Status or a Result); returns its Status from the
/// enclosing function when it failed.
#define TUTTI_TRY(expr)                                                        \
  do {                                                                         \
    auto&& tutti_try_value = (expr);                                           \
    if (!tutti_try_value.ok()) return ::tutti::internal::AsStatus(tutti_try_value); \
  } while (false)

/// `TUTTI_ASSIGN_OR_RETURN(T x, ResultExpr)`: declares (or assigns) `lhs`
/// with the value, or returns the Status from the enclosing function.
#define TUTTI_ASSIGN_OR_RETURN(lhs, expr) \
  TUTTI_ASSIGN_OR_RETURN_IMPL(TUTTI_CONCAT(tutti_result_, __LINE__), lhs, expr)
#define TUTTI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
