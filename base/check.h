#pragma once
// Bugs are caught where they happen: TUTTI_CHECK(condition, "what must
// hold") is on in every build (unlike assert, which NDEBUG compiles out of
// the RelWithDebInfo builds we ship and test), and aborts with the file,
// the line, the condition and the contract that was broken. For
// invariants only: bad input and failures of the world never reach one
// (they are diagnostics and Statuses).

namespace tutti::internal {
/// Prints "tutti: internal error at FILE:LINE: CONDITION: WHAT" and aborts.
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition, const char* what);
}  // namespace tutti::internal

#define TUTTI_CHECK(condition, what)                                         \
  do {                                                                       \
    if (__builtin_expect(!(condition), 0))                                   \
      ::tutti::internal::CheckFailed(__FILE__, __LINE__, #condition, what);  \
  } while (false)

/// A place the code can never reach.
#define TUTTI_UNREACHABLE(what) ::tutti::internal::CheckFailed(__FILE__, __LINE__, "unreachable", what)
