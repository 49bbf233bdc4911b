// size and CEL's type conversions.

#include "stdlib/stdlib.h"

namespace tutti::stdlib {

void RegisterCoreFunctions(BuiltinRegistry& r) {
  const char* f = "core";
  for (const char* t : {"string", "bytes", "list<A>", "map<A, B>"}) {
    Declare(r, f, (std::string("size(") + t + ") -> int").c_str(),
            "The number of elements, characters (code points) or bytes.");
    Declare(r, f, (std::string(t) + ".size() -> int").c_str(),
            "The number of elements, characters (code points) or bytes.");
  }
  Declare(r, f, "int(int) -> int", "The integer itself.");
  Declare(r, f, "int(uint) -> int", "Converts; an error if out of range.");
  Declare(r, f, "int(double) -> int", "Truncates toward zero; an error if out of range.");
  Declare(r, f, "int(string) -> int", "Parses a decimal integer; an error if malformed.");
  Declare(r, f, "int(timestamp) -> int", "Seconds since the Unix epoch.");
  Declare(r, f, "uint(uint) -> uint", "The unsigned integer itself.");
  Declare(r, f, "uint(int) -> uint", "Converts; an error if negative.");
  Declare(r, f, "uint(double) -> uint", "Truncates; an error if out of range.");
  Declare(r, f, "uint(string) -> uint", "Parses a decimal unsigned integer.");
  Declare(r, f, "double(double) -> double", "The double itself.");
  Declare(r, f, "double(int) -> double", "Converts to the nearest double.");
  Declare(r, f, "double(uint) -> double", "Converts to the nearest double.");
  Declare(r, f, "double(string) -> double", "Parses a decimal number.");
  Declare(r, f, "string(string) -> string", "The string itself.");
  Declare(r, f, "string(int) -> string", "Decimal text.");
  Declare(r, f, "string(uint) -> string", "Decimal text.");
  Declare(r, f, "string(double) -> string", "Decimal text.");
  Declare(r, f, "string(bool) -> string", "\"true\" or \"false\".");
  Declare(r, f, "string(bytes) -> string", "Decodes UTF-8; an error if invalid.");
  Declare(r, f, "string(timestamp) -> string", "RFC 3339 text in UTC.");
  Declare(r, f, "string(duration) -> string", "Seconds with an 's' suffix, e.g. \"90s\".");
  Declare(r, f, "bytes(bytes) -> bytes", "The bytes themselves.");
  Declare(r, f, "bytes(string) -> bytes", "The UTF-8 encoding of the string.");
  Declare(r, f, "bool(bool) -> bool", "The boolean itself.");
  Declare(r, f, "bool(string) -> bool", "Parses true/false (also 1/0, t/f, TRUE/FALSE).");
  Declare(r, f, "timestamp(timestamp) -> timestamp", "The timestamp itself.");
  Declare(r, f, "timestamp(string) -> timestamp", "Parses RFC 3339 text.");
  Declare(r, f, "timestamp(int) -> timestamp", "Seconds since the Unix epoch.");
  Declare(r, f, "duration(duration) -> duration", "The duration itself.");
  Declare(r, f, "duration(string) -> duration", "Parses text such as \"1h30m\" or \"90s\".");
  Declare(r, f, "dyn(A) -> dyn", "The value, with its static type forgotten.");
  Declare(r, f, "type(A) -> type", "The type of a value, comparable with int, string, ...");
}

}  // namespace tutti::stdlib
