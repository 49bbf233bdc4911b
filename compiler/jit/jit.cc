#include "compiler/jit/jit.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/JITEventListener.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h>
#include <llvm/ExecutionEngine/SectionMemoryManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/IR/PassTimingInfo.h>
#include <llvm/Pass.h>
#include <llvm/Support/Timer.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>

namespace tutti::compiler::jit {

namespace {

void InitialiseLlvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// Objects on disk, one file per key (the module's identifier): the object
/// code followed by its SHA-256, so a truncated or damaged file reads as a
/// miss. Reading or writing fails quietly: the JIT then compiles as if
/// nothing were cached.
class DiskCache : public llvm::ObjectCache {
 public:
  explicit DiskCache(std::string dir) : dir_(std::move(dir)) {}

  /// Whether a sound object is cached under `key` (kept for getObject).
  bool Has(const std::string& key) {
    auto buffer = llvm::MemoryBuffer::getFile(Path(key), /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buffer) return false;
    llvm::StringRef bytes = (*buffer)->getBuffer();
    if (bytes.size() <= kDigest) return false;
    llvm::StringRef object = bytes.drop_back(kDigest);
    if (Digest(object) != bytes.take_back(kDigest)) return false;
    loaded_[key] = llvm::MemoryBuffer::getMemBufferCopy(object, key);
    return true;
  }

  void notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef object) override {
    std::string path = Path(m->getModuleIdentifier());
    // Named for this process: daemons sharing a cache never write one file.
    std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary);
      out.write(object.getBufferStart(), static_cast<std::streamsize>(object.getBufferSize()));
      std::string digest = Digest(object.getBuffer());
      out.write(digest.data(), static_cast<std::streamsize>(digest.size()));
      if (!out) return;
    }
    std::rename(tmp.c_str(), path.c_str());  // whole or not at all
  }

  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* m) override {
    auto it = loaded_.find(m->getModuleIdentifier());
    if (it == loaded_.end()) return nullptr;
    auto buffer = std::move(it->second);
    loaded_.erase(it);
    return buffer;
  }

 private:
  static constexpr size_t kDigest = 32;
  static std::string Digest(llvm::StringRef bytes) {
    auto d = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
  }
  std::string Path(const std::string& key) const { return dir_ + "/" + key + ".o"; }
  std::string dir_;
  std::map<std::string, std::unique_ptr<llvm::MemoryBuffer>> loaded_;  // by Has, for getObject
};

/// The cache key: what the object code depends on.
std::string CacheKey(const llvm::Module& module, const std::string& cpu, int opt_level) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, nullptr);
  os << kCodegenVersion << '\n' << cpu << '\n' << LLVM_VERSION_STRING << '\n' << opt_level;
  os.flush();
  auto digest = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  static const char* kHex = "0123456789abcdef";
  std::string key = "expr-";
  for (size_t i = 0; i < 16; ++i) {
    key += kHex[digest[i] >> 4];
    key += kHex[digest[i] & 15];
  }
  return key;
}

void Optimise(llvm::Module& module, llvm::TargetMachine* tm, int level) {
  if (level <= 0) return;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(level == 1 ? llvm::OptimizationLevel::O1 : llvm::OptimizationLevel::O2)
      .run(module, mam);
}

std::string ErrorText(llvm::Error error) { return llvm::toString(std::move(error)); }

}  // namespace

CompiledExprs::CompiledExprs() = default;
CompiledExprs::~CompiledExprs() = default;

const CompiledExprs::Entry* CompiledExprs::Find(const ast::Expr* expr) const {
  const Entry* entry = entries_.Find(expr);
  return entry != nullptr && Fn(*entry) != nullptr ? entry : nullptr;
}

namespace {

/// The values of `entry`'s names in `activation`, as native code reads
/// them; `f` gets the array.
template <typename F>
auto WithVars(const CompiledExprs::Entry& entry, const eval::Activation& activation, F f) {
  constexpr size_t kInline = 8;
  const Value* inline_vars[kInline];
  std::vector<const Value*> heap_vars;
  const Value** vars = inline_vars;
  if (entry.env_size > kInline) {
    heap_vars.resize(entry.env_size);
    vars = heap_vars.data();
  }
  for (size_t i = 0; i < entry.env_size; ++i) {
    const Value* v = activation.Find(entry.env[i]);
    vars[i] = v ? v : &entry.unbound[i];
  }
  return f(vars);
}

}  // namespace

Value CompiledExprs::Run(const Entry& entry, const eval::Activation& activation) const {
  return WithVars(entry, activation, [&](const Value* const* vars) { return Run(entry, vars); });
}

bool CompiledExprs::Dispatch(std::string_view event_type, const Value& event, const Value& now,
                             TriggerHits* hits) const {
  auto it = std::find_if(dispatch_.begin(), dispatch_.end(), [&](const auto& d) {
    return d.first.size() == event_type.size() && d.first == event_type;
  });
  if (it == dispatch_.end()) return false;
  DispatchFunction dispatch = dispatch_fns_[it->second].load(std::memory_order_acquire);
  if (dispatch == nullptr) return false;
  size_t first = hits->size();
  const Value* vars[] = {&event, &now};
  dispatch(vars, dispatch_pool_->entries().data(), hits);
  hits->SortFrom(first);
  return true;
}

int32_t CompiledExprs::Test(const Entry& entry, const eval::Activation& activation, Value* out) const {
  return WithVars(entry, activation, [&](const Value* const* vars) { return Test(entry, vars, out); });
}

Result<std::unique_ptr<CompiledExprs>> CompiledExprs::Compile(
    const std::vector<ExprSpec>& specs, const eval::Functions& functions, const JitOptions& options,
    const std::vector<TriggerSpec>& triggers, const Early& early) {
  InitialiseLlvm();
  if (std::getenv("TUTTI_JIT_TIME_PASSES")) llvm::TimePassesIsEnabled = true;
  std::unique_ptr<CompiledExprs> out(new CompiledExprs());

  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return Status::Internal("cannot target this machine: " + ErrorText(jtmb.takeError()));
  std::string cpu = jtmb->getCPU();
  std::shared_ptr<DiskCache> cache;  // shared with the compile function LLJIT keeps
  if (!options.cache_dir.empty()) cache = std::make_shared<DiskCache>(options.cache_dir);

  // One module per group (a journey), each with its own constants, so a
  // journey's object code depends on that journey alone: changing one
  // journey of many recompiles that one (and the dispatch), and loads the
  // rest from the cache.
  llvm::orc::ThreadSafeContext context(std::make_unique<llvm::LLVMContext>());
  struct Unit {
    std::unique_ptr<llvm::Module> module;
    std::string key;
    std::string fn;  // its function's name; "-" for the dispatch module
  };
  std::vector<Unit> units;
  std::map<std::string, std::string> function_of_key;  // identical code is added once
  // Finishes a module: verifies it, names its function `fn` after its
  // content ("group_" + key; none when `fn` is empty) and queues it, once
  // per content. Returns the function's name ("-" for none), or "" with
  // `failure` set.
  std::string failure;
  auto finish = [&](std::unique_ptr<llvm::Module> module, const std::string& fn) {
    std::string broken;
    llvm::raw_string_ostream verify(broken);
    if (llvm::verifyModule(*module, &verify)) {
      failure = "generated code does not verify: " + verify.str();
      return std::string();
    }
    if (const char* dump = std::getenv("TUTTI_JIT_DUMP")) {  // a debugging aid: the IR
      std::error_code ec;
      llvm::raw_fd_ostream os(dump, ec, llvm::sys::fs::OF_Append);
      if (!ec) module->print(os, nullptr);
    }
    std::string key = CacheKey(*module, cpu, options.opt_level);
    auto [it, fresh] = function_of_key.emplace(key, fn.empty() ? "-" : "group_" + key.substr(5));
    if (fresh) {
      if (!fn.empty()) module->getFunction(fn)->setName(it->second);
      module->setModuleIdentifier(key);
      units.push_back(Unit{std::move(module), key, it->second});
    }
    return it->second;
  };

  std::map<size_t, std::vector<const ExprSpec*>> groups;
  std::map<size_t, uint32_t> group_number;  // by ExprSpec::group: its place in fns_
  std::unordered_map<const ast::Expr*, size_t> group_of;
  out->names_.reserve(specs.size());
  for (const ExprSpec& spec : specs) {
    if (spec.expr == nullptr || out->entries_.Contains(spec.expr)) continue;
    group_of[spec.expr] = spec.group;
    auto& group = groups[spec.group];
    Names& names = out->names_.emplace_back();
    names.env = spec.env;
    for (const std::string& n : spec.env) {
      auto t = eval::TypeDenotation(n);
      names.unbound.push_back(t ? *t : Value::Error("undeclared reference to '" + n + "'"));
    }
    Entry entry;
    entry.env = names.env.data();
    entry.unbound = names.unbound.data();
    entry.env_size = static_cast<uint32_t>(names.env.size());
    entry.group = group_number.emplace(spec.group, static_cast<uint32_t>(group_number.size())).first->second;
    entry.index = static_cast<int32_t>(group.size());
    entry.test_only = spec.condition;
    out->entries_.Add(spec.expr, entry);
    group.push_back(&spec);
  }
  auto stopped = [&options] { return options.stop != nullptr && options.stop->load(std::memory_order_relaxed); };
  const Status kStopped = Status::Unavailable("the compile was stopped");
  std::map<size_t, std::pair<std::string, const ConstantPool*>> group_code;  // function, pool
  for (const auto& [id, group] : groups) {
    if (stopped()) return kStopped;
    auto module = std::make_unique<llvm::Module>("group", *context.getContext());
    ConstantPool& pool = out->pools_.emplace_back();
    EmitGroup(*module, "group", group, functions, pool);
    std::string name = finish(std::move(module), "group");
    if (name.empty()) return Status::Internal(failure);
    group_code[id] = {name, &pool};
    for (const ExprSpec* spec : group) out->entries_.Find(spec->expr)->pool = pool.entries().data();
  }
  out->fns_ = std::make_unique<std::atomic<GroupFunction>[]>(group_number.size());

  // One dispatch function per event type with triggers, in one module.
  std::map<std::string, std::vector<const TriggerSpec*>> by_event;
  for (const TriggerSpec& t : triggers) by_event[t.event].push_back(&t);
  out->plans_.reserve(by_event.size());
  std::vector<std::pair<std::string, std::string>> dispatch_names;  // event, function
  if (!by_event.empty()) {
    auto module = std::make_unique<llvm::Module>("dispatch", *context.getContext());
    ConstantPool& pool = out->pools_.emplace_back();
    out->dispatch_pool_ = &pool;
    for (const auto& [event, listening] : by_event) {
      const DispatchPlan& plan = out->plans_.emplace_back(PlanDispatch(listening));
      std::vector<CompiledCondition> conditions;
      for (const TriggerSpec* t : listening) {
        CompiledCondition c;
        if (t->cond != nullptr) {
          const Entry* entry = out->entries_.Find(t->cond);  // laid out, not compiled yet
          if (entry == nullptr)
            return Status::Internal("the trigger condition of journey #" + std::to_string(t->journey) + " was not compiled");
          const auto& [fn, group_pool] = group_code[group_of.at(t->cond)];
          c = CompiledCondition{fn, entry->index, std::vector<std::string>(entry->env, entry->env + entry->env_size),
                                group_pool->entries().data()};
        }
        conditions.push_back(std::move(c));
      }
      std::string name = "dispatch_" + std::to_string(dispatch_names.size());
      DispatchCode code = EmitDispatch(*module, name, plan, listening, conditions, functions, pool);
      out->report_.dispatch.functions += code.functions;
      out->report_.dispatch.inline_tests += code.inline_tests;
      out->report_.dispatch.calls += code.calls;
      out->report_.dispatch.bail_outs += code.bail_outs;
      dispatch_names.emplace_back(event, name);
    }
    // One dispatch module per LLJIT: its functions keep their names.
    if (finish(std::move(module), "").empty()) return Status::Internal(failure);
  }

  out->report_.expressions = out->entries_.size();
  out->report_.modules = units.size();

  llvm::orc::LLJITBuilder builder;
  if (options.opt_level <= 0) jtmb->setCodeGenOptLevel(llvm::CodeGenOpt::None);
  builder.setJITTargetMachineBuilder(*jtmb);
  if (options.perf && jtmb->getTargetTriple().isOSBinFormatELF() &&
      jtmb->getTargetTriple().getArch() == llvm::Triple::x86_64) {
    // LLJIT's own choice on x86-64 ELF (RTDyld over section memory), with
    // perf's listener; none is made when LLVM was built without it. (On
    // other targets LLJIT may pick JITLink: left to it, without perf.)
    builder.setObjectLinkingLayerCreator([](llvm::orc::ExecutionSession& session, const llvm::Triple&)
                                             -> llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>> {
      auto layer = std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
          session, [] { return std::make_unique<llvm::SectionMemoryManager>(); });
      if (llvm::JITEventListener* perf = llvm::JITEventListener::createPerfJITEventListener())
        layer->registerJITEventListener(*perf);
      return layer;
    });
  }
  builder.setCompileFunctionCreator(
      [cache](llvm::orc::JITTargetMachineBuilder jtmb)
          -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
        auto tm = jtmb.createTargetMachine();
        if (!tm) return tm.takeError();
        return std::make_unique<llvm::orc::TMOwningSimpleCompiler>(std::move(*tm), cache.get());
      });
  auto jit = builder.create();
  if (!jit) return Status::Internal("cannot start the JIT: " + ErrorText(jit.takeError()));
  out->jit_ = std::move(*jit);

  // The helpers, by name, so cached objects link against this process.
  llvm::orc::SymbolMap symbols;
  for (const auto& [name, address] : HelperSymbols())
    symbols[out->jit_->mangleAndIntern(name)] = llvm::JITEvaluatedSymbol(
        llvm::pointerToJITTargetAddress(address), llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  if (auto err = out->jit_->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(symbols))))
    return Status::Internal("cannot define the run-time helpers: " + ErrorText(std::move(err)));

  auto tm = jtmb->createTargetMachine();
  if (!tm) return Status::Internal("cannot target this machine: " + ErrorText(tm.takeError()));
  out->dispatch_fns_ = std::make_unique<std::atomic<DispatchFunction>[]>(dispatch_names.size());
  for (size_t i = 0; i < dispatch_names.size(); ++i) out->dispatch_.emplace_back(dispatch_names[i].first, i);
  // The groups each function serves (journeys whose code is the same share one).
  std::map<std::string, std::vector<size_t>> groups_of_fn;
  for (const auto& [id, code] : group_code) groups_of_fn[code.first].push_back(id);

  // Laid out: from here on only the functions change, each stored once.
  CompiledExprs* code = out.get();
  if (early) early(std::move(out));
  size_t done = 0;
  auto ready = [&] {
    if (options.progress) options.progress(++done, units.size());
  };
  for (Unit& unit : units) {
    if (stopped()) return kStopped;
    unit.module->setDataLayout(code->jit_->getDataLayout());
    unit.module->setTargetTriple(code->jit_->getTargetTriple().str());
    if (cache && cache->Has(unit.key)) ++code->report_.modules_from_cache;
    else Optimise(*unit.module, tm->get(), options.opt_level);
    if (auto err = code->jit_->addIRModule(llvm::orc::ThreadSafeModule(std::move(unit.module), context)))
      return Status::Internal("cannot add the generated code: " + ErrorText(std::move(err)));
    // Looking a module's function up is what compiles it to machine code;
    // its journeys' expressions are native from then on.
    if (unit.fn == "-") continue;  // the dispatch, after every group it calls
    auto symbol = code->jit_->lookup(unit.fn);
    if (!symbol) return Status::Internal("cannot link '" + unit.fn + "': " + ErrorText(symbol.takeError()));
    for (size_t id : groups_of_fn[unit.fn])
      code->fns_[group_number.at(id)].store(symbol->toPtr<GroupFunction>(), std::memory_order_release);
    ready();
  }
  for (size_t i = 0; i < dispatch_names.size(); ++i) {
    if (stopped()) return kStopped;
    const std::string& name = dispatch_names[i].second;
    auto symbol = code->jit_->lookup(name);
    if (!symbol) return Status::Internal("cannot link '" + name + "': " + ErrorText(symbol.takeError()));
    code->dispatch_fns_[i].store(symbol->toPtr<DispatchFunction>(), std::memory_order_release);
  }
  if (!dispatch_names.empty()) ready();
  code->report_.from_cache =
      code->report_.modules > 0 && code->report_.modules_from_cache == code->report_.modules;
  code->complete_.store(true, std::memory_order_release);
  if (std::getenv("TUTTI_JIT_TIME_PASSES")) llvm::reportAndResetTimings();
  return out;  // null when handed out early
}

}  // namespace tutti::compiler::jit
