// String functions: CEL's standard ones and the common extensions.

#include "stdlib/stdlib.h"

namespace tutti::stdlib {

void RegisterStringFunctions(BuiltinRegistry& r) {
  const char* f = "strings";
  Declare(r, f, "string.contains(string) -> bool", "Whether the argument occurs in the string.");
  Declare(r, f, "string.startsWith(string) -> bool", "Whether the string begins with the argument.");
  Declare(r, f, "string.endsWith(string) -> bool", "Whether the string ends with the argument.");
  Declare(r, f, "string.matches(string) -> bool", "Whether an RE2 regular expression matches part of the string.");
  Declare(r, f, "matches(string, string) -> bool", "Whether an RE2 regular expression (second) matches part of the string (first).");
  Declare(r, f, "string.lowerAscii() -> string", "The string with ASCII letters in lower case.");
  Declare(r, f, "string.upperAscii() -> string", "The string with ASCII letters in upper case.");
  Declare(r, f, "string.trim() -> string", "The string without leading and trailing white space.");
  Declare(r, f, "string.replace(string, string) -> string", "Every occurrence of the first argument replaced by the second.");
  Declare(r, f, "string.split(string) -> list<string>", "The parts between occurrences of the separator.");
  Declare(r, f, "string.indexOf(string) -> int", "The code-point index of the first occurrence, or -1.");
  Declare(r, f, "string.substring(int) -> string", "The code points from the index to the end.");
  Declare(r, f, "string.substring(int, int) -> string", "The code points from the first index up to the second.");
  Declare(r, f, "list<string>.join() -> string", "The elements concatenated.");
  Declare(r, f, "list<string>.join(string) -> string", "The elements joined by the separator.");
}

}  // namespace tutti::stdlib
