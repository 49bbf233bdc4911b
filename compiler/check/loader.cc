#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "compiler/check/program.h"
#include "compiler/parse/parse.h"

namespace tutti::compiler {
namespace {

namespace fs = std::filesystem;

// Reads files from disk or from an in-memory table, and parses each once.
class Loader {
 public:
  Loader(Program& program, DiagnosticSink& sink,
         const std::map<std::string, std::string>* memory)
      : program_(program), sink_(sink), memory_(memory) {}

  /// Loads a file given on the command line (or in memory).
  void LoadRoot(const std::string& path) {
    if (ProgramFile* f = Load(path, path)) f->root = true;
  }

  /// Resolves every file's imports, loading imported files as needed.
  void ResolveImports() {
    for (size_t i = 0; i < order_.size(); ++i) {
      ProgramFile* file = order_[i];
      if (!file->ast) continue;
      for (const ast::ImportDecl& imp : file->ast->imports) {
        std::string resolved = Resolve(file->source->path(), imp.path);
        if (resolved.empty()) {
          Diagnostic& d = sink_.Error(Code::kImportNotFound, {file->source.get(), imp.range},
                                      "cannot find the imported file \"" + imp.path + "\"");
          d.notes.push_back({{file->source.get(), imp.range},
                             "\"std/...\" names a file of the standard library; other paths are "
                             "relative to this file"});
          continue;
        }
        ProgramFile* target = Load(resolved, Display(resolved));
        if (target != nullptr) file->imports.push_back(target);
      }
    }
  }

  /// Reads and parses the content files that templates name (`body file
  /// "x.html"`), relative to the declaring file, each once.
  void LoadContent() {
    for (size_t i = 0; i < order_.size(); ++i) {
      ProgramFile* file = order_[i];
      if (!file->ast) continue;
      for (ast::TemplateDecl& t : file->ast->templates)
        for (ast::TemplateContent& c : t.contents)
          for (auto* text : {&c.subject, &c.body, &c.html})
            if (*text && !(*text)->file.empty()) LoadContentFile(*file, **text);
    }
  }

  /// Reports each import cycle once, at the import that closes it.
  void ReportCycles() {
    std::map<ProgramFile*, int> state;  // 0 new, 1 on stack, 2 done
    std::vector<ProgramFile*> stack;
    std::function<void(ProgramFile*)> visit = [&](ProgramFile* f) {
      state[f] = 1;
      stack.push_back(f);
      for (size_t i = 0; i < f->imports.size(); ++i) {
        ProgramFile* g = f->imports[i];
        if (state[g] == 1) {
          const ast::ImportDecl* imp = ImportOf(f, g);
          std::string chain;
          auto it = std::find(stack.begin(), stack.end(), g);
          for (; it != stack.end(); ++it) chain += (*it)->source->path() + " -> ";
          chain += g->source->path();
          sink_.Error(Code::kImportCycle, {f->source.get(), imp ? imp->range : SourceRange{}},
                      g == f ? "this file imports itself"
                             : "import cycle: " + chain);
        } else if (state[g] == 0) {
          visit(g);
        }
      }
      stack.pop_back();
      state[f] = 2;
    };
    for (ProgramFile* f : order_)
      if (state[f] == 0) visit(f);
  }

 private:
  const ast::ImportDecl* ImportOf(ProgramFile* from, ProgramFile* to) {
    for (const ast::ImportDecl& imp : from->ast->imports)
      if (Resolve(from->source->path(), imp.path) == Key(to)) return &imp;
    return nullptr;
  }

  std::string Key(ProgramFile* f) {
    for (const auto& [key, file] : by_key_)
      if (file == f) return key;
    return {};
  }

  void LoadContentFile(ProgramFile& file, ast::ContentText& text) {
    Location at{file.source.get(), text.message.range};
    if (!IsContentFile(text.file)) {
      sink_.Error(Code::kCannotRead, at, "a content file is text (.txt) or HTML (.html, .htm)");
      return;
    }
    std::string path = (fs::path(file.source->path()).parent_path() / text.file).lexically_normal().string();
    std::string content;
    if (memory_ && memory_->count(path)) {
      content = memory_->at(path);
    } else {
      std::error_code ec;
      auto size = fs::file_size(path, ec);
      if (ec || !fs::is_regular_file(path, ec)) {
        sink_.Error(Code::kCannotRead, at, "cannot read the content file \"" + text.file + "\" (paths are relative to this file)");
        return;
      }
      if (size > kMaxContentBytes) {
        sink_.Error(Code::kFileLimit, at, "the content file \"" + text.file + "\" is larger than 1 MiB");
        return;
      }
      std::ifstream in(path, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      content = ss.str().substr(0, kMaxContentBytes);
    }
    auto source = std::make_unique<Source>(Display(path), std::move(content));
    text.message = ParseContent(*source, sink_);
    text.file_source = source.get();
    file.content.push_back(std::move(source));
  }

  static constexpr size_t kMaxContentBytes = 1u << 20;

  bool Exists(const std::string& path) {
    if (memory_ && memory_->count(path)) return true;
    std::error_code ec;
    return fs::is_regular_file(path, ec);
  }

  // The canonical key of an import, or "" if there is no such file.
  std::string Resolve(const std::string& from, const std::string& import) {
    std::vector<std::string> candidates;
    auto add = [&](fs::path p) {
      candidates.push_back(p.lexically_normal().string());
      if (p.extension() != ".tutti") {
        p += ".tutti";
        candidates.push_back(p.lexically_normal().string());
      }
    };
    if (import.rfind("std/", 0) == 0 && !program_.stdlib_dir.empty()) {
      add(fs::path(program_.stdlib_dir) / import.substr(4));
    } else {
      add(fs::path(from).parent_path() / import);
    }
    for (const std::string& c : candidates) {
      if (memory_ && memory_->count(c)) return c;
      std::error_code ec;
      if (fs::is_regular_file(c, ec)) return fs::weakly_canonical(c, ec).string();
    }
    return {};
  }

  // How a resolved path is shown: relative to the working directory when
  // it lies below it.
  std::string Display(const std::string& resolved) {
    if (memory_ && memory_->count(resolved)) return resolved;
    std::error_code ec;
    fs::path rel = fs::relative(resolved, fs::current_path(ec), ec);
    if (!ec && !rel.empty() && rel.string().rfind("..", 0) != 0) return rel.string();
    return resolved;
  }

  ProgramFile* Load(const std::string& path, const std::string& shown) {
    std::string key = path;
    std::string text;
    if (memory_ && memory_->count(path)) {
      text = memory_->at(path);
    } else {
      std::error_code ec;
      key = fs::weakly_canonical(path, ec).string();
      if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        Diagnostic d;
        d.path = path;
        d.code = Code::kCannotRead;
        d.message = "cannot read this file";
        sink_.Report(d);
        return nullptr;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
    auto file = std::make_unique<ProgramFile>();
    file->source = std::make_unique<Source>(shown, std::move(text));
    file->ast = ParseFile(*file->source, sink_);
    ProgramFile* raw = file.get();
    by_key_[key] = raw;
    order_.push_back(raw);
    program_.files.push_back(std::move(file));
    return raw;
  }

  Program& program_;
  DiagnosticSink& sink_;
  const std::map<std::string, std::string>* memory_;
  std::map<std::string, ProgramFile*> by_key_;
  std::vector<ProgramFile*> order_;
};

void SortFiles(Program& program) {
  std::stable_sort(program.files.begin(), program.files.end(),
                   [](const auto& a, const auto& b) { return a->source->path() < b->source->path(); });
}

}  // namespace

std::vector<std::string> TuttiFilesIn(const std::string& folder) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".tutti")
      found.push_back(it->path().lexically_normal().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

Program LoadProgram(const std::vector<std::string>& paths, const std::string& stdlib_dir,
                    DiagnosticSink& sink) {
  Program program;
  program.stdlib_dir = stdlib_dir;
  Loader loader(program, sink, nullptr);
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      for (const std::string& f : TuttiFilesIn(path)) loader.LoadRoot(f);
    } else if (fs::exists(path, ec)) {
      loader.LoadRoot(path);
    } else {
      Diagnostic d;
      d.path = path;
      d.code = Code::kCannotRead;
      d.message = "no such file or folder";
      sink.Report(d);
    }
  }
  loader.ResolveImports();
  loader.LoadContent();
  loader.ReportCycles();
  SortFiles(program);
  return program;
}

bool IsContentFile(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  return ext == ".txt" || ext == ".html" || ext == ".htm";
}

Program LoadProgramFromText(const std::vector<std::pair<std::string, std::string>>& files,
                            const std::string& stdlib_dir, DiagnosticSink& sink,
                            const std::map<std::string, std::string>& overlay) {
  Program program;
  program.stdlib_dir = stdlib_dir;
  std::map<std::string, std::string> memory(files.begin(), files.end());
  memory.insert(overlay.begin(), overlay.end());
  Loader loader(program, sink, &memory);
  for (const auto& [path, text] : files)
    if (!IsContentFile(path)) loader.LoadRoot(path);
  loader.ResolveImports();
  loader.LoadContent();
  loader.ReportCycles();
  SortFiles(program);
  return program;
}

}  // namespace tutti::compiler
