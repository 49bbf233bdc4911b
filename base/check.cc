#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace tutti::internal {

void CheckFailed(const char* file, int line, const char* condition, const char* what) {
  std::fprintf(stderr, "tutti: internal error at %s:%d: %s: %s\n", file, line, condition, what);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tutti::internal
