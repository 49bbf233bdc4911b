#include "compiler/check/symbols.h"

#include <filesystem>
#include <set>

namespace tutti::compiler::internal {
namespace {

template <typename Decl>
void Add(std::map<std::string, Declared<Decl>>& table, const char* kind, const Decl& decl,
         const ProgramFile& file, DiagnosticSink& sink) {
  auto [it, inserted] = table.emplace(decl.name.text, Declared<Decl>{&decl, &file});
  if (inserted) return;
  const Declared<Decl>& first = it->second;
  // Report at the later of the two, in a stable order.
  const Source* a = first.file->source.get();
  const Source* b = file.source.get();
  bool first_is_earlier = a->path() < b->path() ||
                          (a == b && first.decl->name.range.begin < decl.name.range.begin);
  const Decl& later = first_is_earlier ? decl : *first.decl;
  const Decl& earlier = first_is_earlier ? *first.decl : decl;
  const Source* later_src = first_is_earlier ? b : a;
  const Source* earlier_src = first_is_earlier ? a : b;
  Diagnostic& d = sink.Error({later_src, later.name.range},
                             std::string(kind) + " '" + decl.name.text + "' is declared twice");
  d.notes.push_back({{earlier_src, earlier.name.range}, "first declared here"});
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
    for (const auto& d : f->ast->journeys) Add(s.journeys, "journey", d, *f, sink);
  }
  return s;
}

const ProgramFile* FindUnimported(const Program& program, const Symbols& symbols,
                                  const std::string& kind, const std::string& name) {
  for (const auto& f : program.files) {
    if (!f->ast) continue;
    bool visible = false;
    for (const ProgramFile* v : symbols.visible) visible |= v == f.get();
    if (visible) continue;
    auto has = [&](const auto& decls) {
      for (const auto& d : decls)
        if (d.name.text == name) return true;
      return false;
    };
    if ((kind == "event" && has(f->ast->events)) || (kind == "profile" && has(f->ast->profiles)) ||
        (kind == "channel" && has(f->ast->channels)) ||
        (kind == "journey" && has(f->ast->journeys)))
      return f.get();
  }
  // Not loaded yet: is it in the standard library?
  return nullptr;
}

std::string ImportPathFor(const Program& program, const ProgramFile& from,
                          const ProgramFile& target) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path t = fs::weakly_canonical(target.source->path(), ec);
  if (!program.stdlib_dir.empty()) {
    fs::path std_dir = fs::weakly_canonical(program.stdlib_dir, ec);
    fs::path rel = t.lexically_relative(std_dir);
    if (!rel.empty() && rel.string().rfind("..", 0) != 0)
      return "std/" + rel.replace_extension().string();
  }
  fs::path base = fs::weakly_canonical(fs::path(from.source->path()).parent_path(), ec);
  fs::path rel = t.lexically_relative(base);
  return (rel.empty() ? t : rel).replace_extension().string();
}

}  // namespace tutti::compiler::internal
