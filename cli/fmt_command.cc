// tutti fmt [--check] [--stdout] PATH...

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "cli/commands.h"
#include "compiler/check/program.h"
#include "compiler/format/format.h"
#include "compiler/parse/parse.h"

namespace tutti::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFmtUsage =
    "usage: tutti fmt [--check] [--stdout] PATH...\n"
    "  Rewrites .tutti files (folders are searched recursively) in the one\n"
    "  canonical layout, keeping comments and line breaks. A file with syntax\n"
    "  errors is reported and left as it is.\n"
    "  --check   change nothing; list the files whose layout differs\n"
    "  --stdout  print the formatted text instead of rewriting (one file)\n"
    "  Exit status: 0 done (or, with --check, every file formatted), 1 a file\n"
    "  did not parse (or, with --check, a file needs formatting), 2 usage.\n";

std::vector<std::string> TuttiFiles(const std::vector<std::string>& paths, bool* missing) {
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found = compiler::TuttiFilesIn(path);
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, ec)) {
      out.push_back(path);
    } else {
      std::fprintf(stderr, "%s: error: no such file or folder\n", path.c_str());
      *missing = true;
    }
  }
  return out;
}

// Reads a file of at most `limit` bytes; nullopt (and a message) otherwise.
std::optional<std::string> ReadBounded(const std::string& path, uintmax_t limit) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec || size > limit) {
    std::fprintf(stderr, "%s: error: %s\n", path.c_str(),
                 ec ? "cannot read this file" : "file is too large to be a journey file");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return std::nullopt;
  return ss.str();
}

// Replaces the contents of the file `path` names (through symlinks) via a
// temporary file beside it, so an interrupted run leaves the old file or
// the new one, never half of each, and a symlink stays a symlink.
bool WriteFile(const std::string& link, const std::string& text) {
  std::error_code ec;
  std::string path = fs::canonical(link, ec).string();
  if (ec) return false;
  std::string tmp = path + ".tutti-fmt-" + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return false;
  }
  fs::permissions(tmp, fs::status(path, ec).permissions(), ec);
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

}  // namespace

int RunFmt(const std::vector<std::string>& raw_args) {
  bool check = false, to_stdout = false;
  std::vector<std::string> args;
  for (const std::string& a : raw_args) {
    if (a == "--check") check = true;
    else if (a == "--stdout") to_stdout = true;
    else args.push_back(a);
  }
  std::vector<std::string> paths;
  if (auto stop = ParseOptions(args, {}, kFmtUsage, &paths)) return *stop;
  if (paths.empty()) return UsageError("no files or folders to format", kFmtUsage);
  if (check && to_stdout) return UsageError("--check and --stdout do not go together", kFmtUsage);
  bool failed = false;
  std::vector<std::string> files = TuttiFiles(paths, &failed);
  if (to_stdout && files.size() != 1) return UsageError("--stdout formats exactly one file", kFmtUsage);
  size_t unformatted = 0;
  for (const std::string& path : files) {
    auto text = ReadBounded(path, compiler::ParseLimits{}.max_file_bytes);
    if (!text) {
      failed = true;
      continue;
    }
    compiler::Source source(path, std::move(*text));
    compiler::DiagnosticSink sink;
    auto formatted = compiler::Format(source, sink);
    if (!formatted) {
      std::fputs(compiler::RenderText(sink.Sorted()).c_str(), stderr);
      failed = true;
      continue;
    }
    if (to_stdout) {
      std::fputs(formatted->c_str(), stdout);
    } else if (*formatted != source.text()) {
      ++unformatted;
      if (check) {
        std::printf("%s\n", path.c_str());
      } else if (!WriteFile(path, *formatted)) {
        std::fprintf(stderr, "%s: error: cannot write the formatted file\n", path.c_str());
        failed = true;
      }
    }
  }
  return failed || (check && unformatted > 0) ? 1 : 0;
}

}  // namespace tutti::cli
