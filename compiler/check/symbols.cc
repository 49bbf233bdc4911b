#include "compiler/check/symbols.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace tutti::compiler::internal {
namespace {

template <typename Decl>
void Add(std::map<std::string, Declared<Decl>>& table, const char* kind, const Decl& decl,
         const ProgramFile& file, DiagnosticSink& sink) {
  auto [it, inserted] = table.emplace(decl.name.text, Declared<Decl>{&decl, &file});
  if (inserted) return;
  const Declared<Decl>& first = it->second;
  // Within one file, report at the later declaration; across files, at the
  // one nearer the file being checked (files are visited importer first),
  // since that is the one that redeclares an imported name.
  const Source* a = first.file->source.get();
  const Source* b = file.source.get();
  bool first_is_earlier = a == b ? first.decl->name.range.begin < decl.name.range.begin : false;
  const Decl& later = first_is_earlier ? decl : *first.decl;
  const Decl& earlier = first_is_earlier ? *first.decl : decl;
  const Source* later_src = first_is_earlier ? b : a;
  const Source* earlier_src = first_is_earlier ? a : b;
  Diagnostic& d = sink.Error(Code::kDeclaredTwice, {later_src, later.name.range},
                             std::string(kind) + " '" + decl.name.text + "' is declared twice");
  d.notes.push_back({{earlier_src, earlier.name.range},
                     a == b ? "first declared here" : "also declared here, in a file this one sees"});
}

}  // namespace

Symbols CollectSymbols(const ProgramFile& file, DiagnosticSink& sink) {
  Symbols s;
  std::set<const ProgramFile*> seen;
  std::vector<const ProgramFile*> work = {&file};
  while (!work.empty()) {
    const ProgramFile* f = work.front();
    work.erase(work.begin());
    if (!seen.insert(f).second) continue;
    s.visible.push_back(f);
    for (const ProgramFile* g : f->imports) work.push_back(g);
  }
  for (const ProgramFile* f : s.visible) {
    if (!f->ast) continue;
    for (const auto& d : f->ast->events) Add(s.events, "event", d, *f, sink);
    for (const auto& d : f->ast->profiles) Add(s.profiles, "profile", d, *f, sink);
    for (const auto& d : f->ast->channels) Add(s.channels, "channel", d, *f, sink);
    for (const auto& d : f->ast->policies) Add(s.policies, "policy", d, *f, sink);
    for (const auto& d : f->ast->templates) Add(s.templates, "template", d, *f, sink);
    for (const auto& d : f->ast->journeys) Add(s.journeys, "journey", d, *f, sink);
  }
  return s;
}

namespace {

// The name the user should write to import `target_path` from `from`.
std::string ImportPathFor(const Program& program, const ProgramFile& from,
                          const std::string& target_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path t = fs::weakly_canonical(fs::absolute(target_path, ec), ec);
  if (!program.stdlib_dir.empty()) {
    fs::path std_dir = fs::weakly_canonical(program.stdlib_dir, ec);
    fs::path rel = t.lexically_relative(std_dir);
    if (!rel.empty() && rel.string().rfind("..", 0) != 0)
      return "std/" + rel.replace_extension().string();
  }
  fs::path from_dir = fs::path(from.source->path()).parent_path();
  fs::path base = fs::weakly_canonical(from_dir.empty() ? fs::path(".") : from_dir, ec);
  fs::path rel = t.lexically_relative(base);
  return (rel.empty() ? t : rel).replace_extension().string();
}

bool Declares(const ast::File& f, const std::string& kind, const std::string& name) {
  auto has = [&](const auto& decls) {
    for (const auto& d : decls)
      if (d.name.text == name) return true;
    return false;
  };
  return (kind == "event" && has(f.events)) || (kind == "profile" && has(f.profiles)) ||
         (kind == "channel" && has(f.channels)) || (kind == "journey" && has(f.journeys));
}

// Whether the text of a file declares `kind name` (a cheap scan, for files
// of the standard library that nobody loaded).
bool TextDeclares(const std::string& text, const std::string& kind, const std::string& name) {
  std::string needle = kind + " " + name;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    bool starts = at == 0 || text[at - 1] == '\n' || text[at - 1] == ' ';
    size_t after = at + needle.size();
    bool ends = after >= text.size() || !(std::isalnum(static_cast<unsigned char>(text[after])) || text[after] == '_');
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

std::string ImportHint(const Program& program, const Symbols& symbols, const ProgramFile& from,
                       const std::string& kind, const std::string& name) {
  std::string path;
  for (const auto& f : program.files) {
    if (!f->ast || std::find(symbols.visible.begin(), symbols.visible.end(), f.get()) != symbols.visible.end())
      continue;
    if (Declares(*f->ast, kind, name)) {
      path = f->source->path();
      break;
    }
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty() && !program.stdlib_dir.empty() && fs::is_directory(program.stdlib_dir, ec)) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(program.stdlib_dir, ec))
      if (e.path().extension() == ".tutti") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (TextDeclares(text.str(), kind, name)) {
        path = file;
        break;
      }
    }
  }
  if (path.empty()) return {};
  return "'" + name + "' is declared in " + path + "; add: import \"" +
         ImportPathFor(program, from, path) + "\"";
}

}  // namespace tutti::compiler::internal
