// tutti explain CODE | --list
//
// Prints the section of docs/diagnostics.md (built into the binary) that
// explains a diagnostic code: what the checker found, why it matters and a
// before-and-after example.

#include <cstdio>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "compiler/check/suggest.h"
#include "compiler/source/codes.h"

extern const char kDiagnosticsDoc[];

namespace tutti::cli {
namespace {

constexpr const char* kExplainUsage =
    "usage: tutti explain CODE\n"
    "       tutti explain --list\n"
    "  Explains a diagnostic code such as T0301 (the code in brackets after\n"
    "  each message of 'tutti check'): what was found, why it matters, and\n"
    "  an example with its fix. --list prints every code with its summary.\n";

// The section headed "## CODE: ..." up to the next "## " heading.
std::string_view Section(std::string_view doc, std::string_view code) {
  std::string heading = "\n## " + std::string(code) + ":";
  size_t begin = doc.find(heading);
  if (begin == std::string_view::npos) return {};
  ++begin;
  size_t end = doc.find("\n## ", begin);
  std::string_view section = doc.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin + 1);
  while (!section.empty() && section.back() == '\n') section.remove_suffix(1);
  return section;
}

}  // namespace

int RunExplain(const std::vector<std::string>& raw_args) {
  if (raw_args.size() > 1 && raw_args[0] == "--list") return UsageError("--list takes no code", kExplainUsage);
  if (raw_args.size() == 1 && raw_args[0] == "--list") {
    for (compiler::Code code : compiler::AllCodes())
      std::printf("%s  %s\n", std::string(compiler::CodeText(code)).c_str(),
                  std::string(compiler::CodeSummary(code)).c_str());
    return 0;
  }
  std::vector<std::string> positional;
  if (auto stop = ParseOptions(raw_args, {}, kExplainUsage, &positional)) return *stop;
  if (positional.size() != 1) return UsageError("explain takes one code, such as T0301", kExplainUsage);
  auto code = compiler::FindCode(positional[0]);
  if (!code) {
    std::vector<std::string> known;
    for (compiler::Code c : compiler::AllCodes()) known.emplace_back(compiler::CodeText(c));
    std::string shown = positional[0].size() > 40 ? positional[0].substr(0, 40) + "..." : positional[0];
    std::fprintf(stderr, "tutti: no diagnostic has the code '%s'%s; 'tutti explain --list' lists them\n",
                 shown.c_str(), compiler::internal::DidYouMean(positional[0], known).c_str());
    return 2;
  }
  std::string_view section = Section(kDiagnosticsDoc, compiler::CodeText(*code));
  if (section.empty()) {  // docs/diagnostics.md lacks it: a test catches this
    std::printf("%s: %s\n", std::string(compiler::CodeText(*code)).c_str(),
                std::string(compiler::CodeSummary(*code)).c_str());
    return 0;
  }
  std::fwrite(section.data(), 1, section.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace tutti::cli
