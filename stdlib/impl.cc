#include "stdlib/impl.h"

namespace tutti::stdlib {

void RegisterStandardImplementations(FunctionTable& table) {
  RegisterCoreImplementations(table);
  RegisterStringImplementations(table);
  RegisterTimeImplementations(table);
  RegisterEngagementImplementations(table);
}

}  // namespace tutti::stdlib
