#include "stdlib/stdlib.h"

#include <cstdio>
#include <cstdlib>

namespace tutti::stdlib {

void Declare(BuiltinRegistry& registry, const char* family, const char* signature,
             const char* doc) {
  std::string error = registry.Add(signature, doc, family);
  if (!error.empty()) {
    std::fprintf(stderr, "internal error in stdlib/%s: %s\n", family, error.c_str());
    std::abort();
  }
}

void RegisterStandardLibrary(BuiltinRegistry& registry) {
  RegisterCoreFunctions(registry);
  RegisterStringFunctions(registry);
  RegisterTimeFunctions(registry);
  RegisterEngagementFunctions(registry);
}

}  // namespace tutti::stdlib
