// Fuzzes the front end: any bytes, as a .tutti file, must parse and check
// without crashing, leaking or overflowing the stack, and every diagnostic
// must point inside the file. A file that parses must format (Format itself
// asserts that no token changed) and format to itself a second time. The
// same bytes, as a template's content file, must load and check too.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/check/check.h"
#include "compiler/format/format.h"
#include "stdlib/stdlib.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tutti::compiler;
  static BuiltinRegistry* builtins = [] {
    auto* r = new BuiltinRegistry;
    tutti::stdlib::RegisterStandardLibrary(*r);
    return r;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  DiagnosticSink sink;
  Program program = LoadProgramFromText({{"fuzz.tutti", text}}, "", sink);
  Check(program, *builtins, sink);
  for (const Diagnostic& d : sink.Sorted()) {
    if (d.location.source && d.location.range.begin > d.location.source->text().size()) std::abort();
  }
  RenderText(sink.Sorted());
  RenderJson(sink.Sorted());
  {
    static const char* kSender =
        "profile p { id: string key  name: string }\nevent e keyed by p { p: string }\n"
        "channel mail { kind message  to p }\n"
        "template \"t\" for mail { subject file \"fuzz.txt\"  body file \"fuzz.txt\"  html file \"fuzz.html\" }\n"
        "journey j { on e as x  let n = 1  send mail \"t\" with { w: x.p } }\n";
    DiagnosticSink content_sink;
    Program with_content =
        LoadProgramFromText({{"fuzz.tutti", kSender}, {"fuzz.txt", text}, {"fuzz.html", text}}, "", content_sink);
    Check(with_content, *builtins, content_sink);
    for (const Diagnostic& d : content_sink.Sorted())
      if (d.location.source && d.location.range.begin > d.location.source->text().size()) std::abort();
    RenderText(content_sink.Sorted());
  }
  Source source("fuzz.tutti", text);
  DiagnosticSink format_sink;
  if (auto once = Format(source, format_sink)) {
    Source formatted("fuzz.tutti", *once);
    auto twice = Format(formatted, format_sink);
    if (!twice || *twice != *once) std::abort();
  }
  return 0;
}
