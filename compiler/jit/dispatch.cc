#include "compiler/jit/dispatch.h"

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "compiler/ast/conditions.h"
#include "compiler/eval/evaluator.h"
#include "compiler/jit/abi.h"
#include "compiler/jit/codegen.h"

namespace tutti::compiler::jit {

namespace {

/// `binding.F == "lit"` (either way round): (F, {lit}); `binding.F in
/// ["a", "b"]` with only string literals: (F, {a, b}).
std::optional<std::pair<std::string, std::set<std::string>>> StringLiterals(const ast::Expr& e,
                                                                            const std::string& binding) {
  if (e.kind != ast::ExprKind::kBinary) return std::nullopt;
  if (e.op == ast::Op::kEq) {
    for (int side = 0; side < 2; ++side) {
      const ast::Expr& field = *e.args[side];
      const ast::Expr& literal = *e.args[1 - side];
      if (ast::IsFieldOf(field, binding, "") && literal.kind == ast::ExprKind::kLiteral &&
          std::holds_alternative<std::string>(literal.literal))
        return std::make_pair(field.name.text, std::set<std::string>{std::get<std::string>(literal.literal)});
    }
    return std::nullopt;
  }
  if (e.op != ast::Op::kIn || !ast::IsFieldOf(*e.args[0], binding, "") || e.args[1]->kind != ast::ExprKind::kList)
    return std::nullopt;
  std::set<std::string> literals;
  for (const auto& element : e.args[1]->args) {
    if (element->kind != ast::ExprKind::kLiteral || !std::holds_alternative<std::string>(element->literal))
      return std::nullopt;
    literals.insert(std::get<std::string>(element->literal));
  }
  if (literals.empty()) return std::nullopt;  // `in []`: false, but nothing to file it under
  return std::make_pair(e.args[0]->name.text, std::move(literals));
}

/// The literals trigger `t` compares `field` with, if one of its `&&`-ed
/// parts does (the first such part: any one of them rules the others out).
std::optional<std::set<std::string>> LiteralsFor(const TriggerSpec& t, const std::string& field) {
  for (const ast::Expr* part : ast::Conjuncts(t.cond)) {
    auto found = StringLiterals(*part, t.binding);
    if (found && found->first == field) return std::move(found->second);
  }
  return std::nullopt;
}

/// A level deeper than this tests what reaches it: each level costs a
/// lookup, and the code grows with the literals triggers are filed under.
constexpr size_t kMaxDepth = 4;
/// A trigger filed under several literals is tested at several places, and
/// in a branch below each copy it may be copied again: in all, the tree
/// tests at most this many copies per trigger beyond the first, so that
/// in-lists on several fields (50 literals each on four fields would be
/// 50^4 places) cannot blow the plan up.
constexpr size_t kCopiesPerTrigger = 3;

/// Plans the node for `indices` (into `triggers`), on the fields not in
/// `used`.
void PlanNode(const std::vector<const TriggerSpec*>& triggers, const eval::RecordShape* shape,
              const std::vector<size_t>& indices, std::set<std::string>& used, size_t depth, DispatchPlan& plan,
              DispatchNode& node) {
  plan.depth = std::max(plan.depth, depth);
  // The field compared with literals by the most of these triggers (the
  // first by name on a tie), if the event's shape has it; indexing one
  // trigger alone saves less than the lookup costs.
  std::map<std::string, size_t> counts;
  if (shape != nullptr && depth < kMaxDepth) {
    for (size_t i : indices) {
      std::set<std::string> fields;
      for (const ast::Expr* part : ast::Conjuncts(triggers[i]->cond))
        if (auto found = StringLiterals(*part, triggers[i]->binding); found && !used.count(found->first))
          fields.insert(found->first);
      for (const std::string& f : fields) ++counts[f];
    }
  }
  // The copies filing them under `f` would make: a trigger filed under k
  // literals is tested in k places.
  auto copies = [&](const std::string& f) {
    size_t extra = 0;
    for (size_t i : indices)
      if (auto literals = LiteralsFor(*triggers[i], f)) extra += literals->size() - 1;
    return extra;
  };
  const size_t budget = kCopiesPerTrigger * triggers.size();
  size_t best = 1, extra = 0;
  for (const auto& [f, n] : counts) {
    if (n <= best || !shape->Slot(f)) continue;
    size_t c = copies(f);
    if (plan.copies + c > budget) continue;
    best = n;
    node.field = f;
    extra = c;
  }
  plan.copies += extra;
  if (node.field.empty()) {
    node.tested = indices;
    plan.filed += indices.size();
    return;
  }
  node.slot = *shape->Slot(node.field);
  std::vector<std::vector<size_t>> filed;
  std::vector<size_t> others;
  for (size_t i : indices) {
    auto literals = LiteralsFor(*triggers[i], node.field);
    if (!literals) {
      others.push_back(i);
      continue;
    }
    for (const std::string& literal : *literals) {
      auto [bucket, added] = node.table.Add(literal);
      if (added) filed.emplace_back();
      filed[static_cast<size_t>(bucket)].push_back(i);
    }
  }
  used.insert(node.field);
  node.buckets.resize(filed.size());
  for (size_t k = 0; k < filed.size(); ++k) PlanNode(triggers, shape, filed[k], used, depth + 1, plan, node.buckets[k]);
  if (!others.empty()) {
    node.others = std::make_unique<DispatchNode>();
    PlanNode(triggers, shape, others, used, depth + 1, plan, *node.others);
  }
  used.erase(node.field);
}

/// A condition bigger than this (in nodes left to test) is tested by a
/// call into its journey's code rather than inline: each copy of an inline
/// test is more code for LLVM to compile.
constexpr size_t kInlineNodes = 24;

/// The nodes of `e` that a test evaluates when the parts in `known` are
/// taken as true.
size_t NodesToTest(const ast::Expr& e, const std::set<const ast::Expr*>& known) {
  if (known.count(&e)) return 0;
  size_t n = 1;
  if (e.target) n += NodesToTest(*e.target, known);
  for (const auto& a : e.args) n += NodesToTest(*a, known);
  return n;
}

}  // namespace

uint64_t BucketTable::Hash(std::string_view text) {
  if (text.size() <= kShort) return Hash(WordsOf(text), text.size());
  // Eight bytes at a time, each mixed in by a multiply (splitmix64's
  // constants).
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ text.size();
  const char* p = text.data();
  size_t n = text.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
  }
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

size_t BucketTable::LongestProbe() const {
  size_t most = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].bucket < 0) continue;
    size_t home = slots_[i].hash & mask_;
    most = std::max(most, ((i - home) & mask_) + 1);
  }
  return most;
}

void BucketTable::Place(int32_t bucket) {
  const std::string& text = texts_[static_cast<size_t>(bucket)];
  const uint64_t h = Hash(text);
  size_t i = h & mask_;
  while (slots_[i].bucket >= 0) i = (i + 1) & mask_;
  slots_[i] = Slot{h, static_cast<uint32_t>(text.size()), bucket, text.size() <= kShort ? WordsOf(text) : Words{}};
}

std::pair<int32_t, bool> BucketTable::Add(const std::string& literal) {
  if (int32_t found = Find(literal); found >= 0) return {found, false};
  texts_.push_back(literal);
  // At most half full: a lookup of a text that is not there stops soon.
  if (texts_.size() * 2 > slots_.size()) {
    slots_.assign(std::max<size_t>(16, slots_.size() * 2), Slot{});
    mask_ = slots_.size() - 1;
    for (size_t b = 0; b < texts_.size(); ++b) Place(static_cast<int32_t>(b));
  } else {
    Place(static_cast<int32_t>(texts_.size() - 1));
  }
  return {static_cast<int32_t>(texts_.size() - 1), true};
}

TriggerHits& TriggerHits::operator=(TriggerHits&& other) noexcept {
  if (this == &other) return *this;
  delete[] data_;
  data_ = std::exchange(other.data_, nullptr);
  size_ = std::exchange(other.size_, 0);
  capacity_ = std::exchange(other.capacity_, 0);
  errors_ = std::move(other.errors_);
  scratch_ = std::move(other.scratch_);
  return *this;
}

void TriggerHits::Add(uint32_t journey, int32_t code, const Value* error) {
  uint32_t at = 0;
  if (code == kErrorValue) {
    at = static_cast<uint32_t>(errors_.size());
    errors_.push_back(*error);
  }
  if (size_ == capacity_) {
    const uint64_t room = std::max<uint64_t>(16, 2 * capacity_);
    auto* grown = new TriggerHit[room];
    std::copy(data_, data_ + size_, grown);
    delete[] data_;
    data_ = grown;
    capacity_ = room;
  }
  data_[size_++] = TriggerHit{journey, code, at};
}

TriggerHits::Layout TriggerHits::Offsets() {
  static_assert(std::is_standard_layout_v<TriggerHits>, "native code reads TriggerHits at fixed offsets");
  static_assert(sizeof(TriggerHit) == 12 && offsetof(TriggerHit, journey) == 0 && offsetof(TriggerHit, code) == 4 &&
                    offsetof(TriggerHit, error) == 8,
                "native code writes TriggerHit as three 32-bit words");
  return Layout{offsetof(TriggerHits, data_), offsetof(TriggerHits, size_), offsetof(TriggerHits, capacity_)};
}

void TriggerHits::SortFrom(size_t first) {
  const size_t n = size_;
  if (n - first < 2) return;
  // A dispatch reports the hits of each node of its tree in journey order,
  // and an event visits a few nodes: a few runs (at 1,000 peer rules, one
  // or two for nine events in ten) to merge, where sorting hundreds of
  // hits would compare each about eight times.
  constexpr size_t kMaxRuns = 8;
  size_t ends[kMaxRuns];
  size_t runs = 0;
  for (size_t i = first + 1; i < n; ++i) {
    if (data_[i].journey >= data_[i - 1].journey) continue;
    if (runs == kMaxRuns - 1) {
      std::sort(data_ + first, data_ + n, [](const TriggerHit& a, const TriggerHit& b) { return a.journey < b.journey; });
      return;
    }
    ends[runs++] = i;
  }
  if (runs == 0) return;
  ends[runs++] = n;
  // Merges the sorted prefix with the next run, until none is left. Which
  // side a hit comes from is chosen by a conditional move, not a branch:
  // the runs interleave at random, and a mispredicted branch per hit cost
  // more than the rest of the merge.
  scratch_.resize(n - first);
  TriggerHit* out = scratch_.data();
  TriggerHit* hits = data_;
  for (size_t r = 1; r < runs; ++r) {
    const TriggerHit* a = hits + first;
    const TriggerHit* a_end = hits + ends[r - 1];
    const TriggerHit* b = a_end;
    const TriggerHit* b_end = hits + ends[r];
    TriggerHit* o = out;
    while (a != a_end && b != b_end) {
      const bool take_b = b->journey < a->journey;
      *o++ = take_b ? *b : *a;
      b += take_b;
      a += !take_b;
    }
    o = std::copy(a, a_end, o);
    o = std::copy(b, b_end, o);
    std::copy(out, o, hits + first);
  }
}

DispatchPlan PlanDispatch(const std::vector<const TriggerSpec*>& triggers) {
  DispatchPlan plan;
  if (triggers.empty()) return plan;
  plan.event = triggers[0]->event;
  plan.shape = triggers[0]->shape;
  std::vector<size_t> all(triggers.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::set<std::string> used;
  PlanNode(triggers, plan.shape, all, used, 0, plan, plan.root);
  return plan;
}

namespace {

/// A subtree with more tests than this is emitted as a function of its
/// own, called where it hangs: LLVM's passes grow faster than linearly
/// with a function's size, and a dispatch of 10,000 triggers in one
/// function would take minutes to compile.
constexpr size_t kTestsPerFunction = 48;

/// Emits one event type's dispatch: its entry function and the functions
/// its larger subtrees are split into, all of DispatchFunction's type.
class DispatchEmitter {
 public:
  DispatchEmitter(llvm::Module& module, const DispatchPlan& plan, const std::vector<const TriggerSpec*>& triggers,
                  const std::vector<CompiledCondition>& conditions, const eval::Functions& functions,
                  ConstantPool& pool)
      : module_(module), ctx_(module.getContext()), b_(ctx_), plan_(plan), triggers_(triggers),
        conditions_(conditions), functions_(functions), pool_(pool) {
    ptr_ = llvm::PointerType::get(ctx_, 0);
    i32_ = b_.getInt32Ty();
    i64_ = b_.getInt64Ty();
  }

  DispatchCode Emit(const std::string& name) {
    name_ = name;
    Function(name, [&] { Node(plan_.root); });
    return code_;
  }

 private:
  /// What the function being emitted holds.
  struct Frame {
    llvm::Function* fn;
    llvm::Value* vars;
    llvm::Value* pool;
    llvm::Value* hits;
    llvm::Value* bucket;  // a part's: the bucket the event went down
    llvm::Value* event;
    llvm::Value* now;
    llvm::Value* result;     // a value slot: a called condition's error
    llvm::Value* field_tmp;  // a value slot: the field a bucket is chosen by
    llvm::AllocaInst* env;   // one environment array for every called test
    size_t env_size = 1;
    std::unique_ptr<InlineConditions> inline_tests;
  };

  llvm::CallInst* Call(const char* helper, std::vector<llvm::Value*> args, llvm::Type* ret = nullptr) {
    std::vector<llvm::Type*> types;
    for (llvm::Value* a : args) types.push_back(a->getType());
    auto callee =
        module_.getOrInsertFunction(helper, llvm::FunctionType::get(ret ? ret : b_.getVoidTy(), types, false));
    return b_.CreateCall(callee, args);
  }
  llvm::Value* PoolEntry(size_t index) {
    return b_.CreateLoad(ptr_, b_.CreateInBoundsGEP(ptr_, frame_->pool, b_.getInt64(index)));
  }
  llvm::BasicBlock* Block(const char* name) { return llvm::BasicBlock::Create(ctx_, name, frame_->fn); }

  /// The type of the functions a dispatch is split into: a
  /// DispatchFunction's arguments, the bucket the event went down, and
  /// the entry's value slots (its two, then its inline tests').
  llvm::FunctionType* PartType() {
    return llvm::FunctionType::get(b_.getVoidTy(), {ptr_, ptr_, ptr_, i32_, ptr_, ptr_}, false);
  }

  /// Emits function `name` (the entry, or a part), whose body `body`
  /// emits; the builder and the frame are the caller's again afterwards.
  /// The entry constructs the value slots every part uses (a part runs
  /// its tests one after another, as the entry does, and keeps no value
  /// past a test), so that an event pays for constructing and destroying
  /// them once, not once per part it goes through.
  void Function(const std::string& name, const std::function<void()>& body) {
    llvm::IRBuilderBase::InsertPointGuard keep(b_);
    Frame* outer = frame_;
    Frame frame;
    frame_ = &frame;
    ++code_.functions;
    frame.fn = outer ? llvm::Function::Create(PartType(), llvm::Function::InternalLinkage, name, module_)
                     : llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), {ptr_, ptr_, ptr_}, false),
                                              llvm::Function::ExternalLinkage, name, module_);
    if (outer) frame.fn->addFnAttr(llvm::Attribute::NoInline);
    frame.vars = frame.fn->getArg(0);
    frame.pool = frame.fn->getArg(1);
    frame.hits = frame.fn->getArg(2);
    frame.bucket = outer ? frame.fn->getArg(3) : nullptr;
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", frame.fn));
    llvm::Value* slots = nullptr;
    llvm::CallInst* init_inline = nullptr;
    frame.env = b_.CreateAlloca(ptr_, b_.getInt64(1));
    if (outer) {
      slots = frame.fn->getArg(4);
      frame.inline_tests =
          std::make_unique<InlineConditions>(*frame.fn, frame.vars, frame.pool, functions_, pool_, frame.fn->getArg(5));
    } else {
      llvm::AllocaInst* own = b_.CreateAlloca(b_.getInt8Ty(), b_.getInt64(2 * sizeof(Value)));
      own->setAlignment(llvm::Align(16));
      slots = own;
      Call("tutti_jit_init", {slots, b_.getInt64(2)});
      frame.inline_tests = std::make_unique<InlineConditions>(*frame.fn, frame.vars, frame.pool, functions_, pool_);
      init_inline = Call("tutti_jit_init", {frame.inline_tests->slots(), b_.getInt64(0)});
      most_inline_slots_ = 0;
    }
    frame.result = slots;
    frame.field_tmp = b_.CreateInBoundsGEP(b_.getInt8Ty(), slots, b_.getInt64(sizeof(Value)));
    frame.event = b_.CreateLoad(ptr_, b_.CreateInBoundsGEP(ptr_, frame.vars, b_.getInt64(0)));
    frame.now = b_.CreateLoad(ptr_, b_.CreateInBoundsGEP(ptr_, frame.vars, b_.getInt64(1)));
    body();
    most_inline_slots_ = std::max(most_inline_slots_, frame.inline_tests->slots_used());
    if (!outer) {
      // Every part is emitted by now: the entry's slots are as many as
      // the most any of them (or the entry) uses.
      frame.inline_tests->Reserve(most_inline_slots_);
      init_inline->setArgOperand(1, b_.getInt64(most_inline_slots_));
      Call("tutti_jit_destroy", {frame.inline_tests->slots(), b_.getInt64(most_inline_slots_)});
      Call("tutti_jit_destroy", {slots, b_.getInt64(2)});
    }
    b_.CreateRetVoid();
    frame.env->setOperand(0, b_.getInt64(frame.env_size));
    frame_ = outer;
  }

  /// Calls a part, emitted by `body`, passing it `bucket` (or 0).
  void Split(const std::function<void()>& body, llvm::Value* bucket = nullptr) {
    std::string name = name_ + "_" + std::to_string(++split_);
    Function(name, body);
    b_.CreateCall(module_.getFunction(name), {frame_->vars, frame_->pool, frame_->hits, bucket ? bucket : b_.getInt32(0),
                                              frame_->result, frame_->inline_tests->slots()});
  }

  /// How many tests `node`'s subtree places (counted once per node).
  size_t TestsUnder(const DispatchNode& node) {
    auto [it, fresh] = tests_under_.emplace(&node, 0);
    if (!fresh) return it->second;
    size_t n = node.tested.size();
    for (const DispatchNode& bucket : node.buckets) n += TestsUnder(bucket);
    if (node.others) n += TestsUnder(*node.others);
    return tests_under_[&node] = n;
  }

  /// Reports a hit when `code` says so, with the error (if any) in `error`.
  void Report(llvm::Value* journey, llvm::Value* code, llvm::Value* error) {
    auto* hit = Block("hit");
    auto* not_true = Block("not_true");
    auto* failed = Block("failed");
    auto* next = Block("next");
    b_.CreateCondBr(b_.CreateICmpEQ(code, b_.getInt32(kTrue)), hit, not_true);
    b_.SetInsertPoint(hit);
    AddHit(journey, kTrue);
    b_.CreateBr(next);
    b_.SetInsertPoint(not_true);
    b_.CreateCondBr(b_.CreateICmpEQ(code, b_.getInt32(kErrorValue)), failed, next);
    b_.SetInsertPoint(failed);
    Call("tutti_jit_hit", {frame_->hits, journey, code, error});
    b_.CreateBr(next);
    b_.SetInsertPoint(next);
  }

  /// Adds a hit without an error through the module's own adder (AddHitFunction).
  void AddHit(llvm::Value* journey, int32_t code) {
    b_.CreateCall(AddHitFunction(), {frame_->hits, journey, b_.getInt32(code), frame_->result});
  }

  /// The module's function that adds a hit without an error: in place
  /// while the hits have room (TriggerHits::Offsets), else through
  /// tutti_jit_hit, which grows it. One small function called from every
  /// test rather than its body at each: the same speed, and LLVM's time
  /// grows with the size of the functions it optimizes.
  llvm::Function* AddHitFunction() {
    if (add_hit_ != nullptr) return add_hit_;
    llvm::IRBuilderBase::InsertPointGuard keep(b_);
    llvm::Type* i64 = b_.getInt64Ty();
    llvm::Type* i32 = b_.getInt32Ty();
    llvm::Type* i8 = b_.getInt8Ty();
    add_hit_ = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), {ptr_, i32, i32, ptr_}, false),
                                      llvm::Function::InternalLinkage, "add_hit", module_);
    add_hit_->addFnAttr(llvm::Attribute::NoInline);
    llvm::Value* hits = add_hit_->getArg(0);
    llvm::Value* journey = add_hit_->getArg(1);
    llvm::Value* code = add_hit_->getArg(2);
    auto* entry = llvm::BasicBlock::Create(ctx_, "entry", add_hit_);
    auto* in_place = llvm::BasicBlock::Create(ctx_, "in_place", add_hit_);
    auto* grow = llvm::BasicBlock::Create(ctx_, "grow", add_hit_);
    static const TriggerHits::Layout at = TriggerHits::Offsets();
    b_.SetInsertPoint(entry);
    auto field = [&](size_t offset) { return b_.CreateConstInBoundsGEP1_64(i8, hits, offset); };
    llvm::Value* size = b_.CreateLoad(i64, field(at.size));
    llvm::Value* room = b_.CreateLoad(i64, field(at.capacity));
    b_.CreateCondBr(b_.CreateICmpULT(size, room), in_place, grow);
    b_.SetInsertPoint(in_place);
    llvm::Value* data = b_.CreateLoad(ptr_, field(at.data));
    llvm::Value* slot = b_.CreateInBoundsGEP(i8, data, b_.CreateMul(size, b_.getInt64(sizeof(TriggerHit))));
    b_.CreateStore(journey, slot);
    b_.CreateStore(code, b_.CreateConstInBoundsGEP1_64(i8, slot, offsetof(TriggerHit, code)));
    b_.CreateStore(llvm::ConstantInt::get(i32, 0), b_.CreateConstInBoundsGEP1_64(i8, slot, offsetof(TriggerHit, error)));
    b_.CreateStore(b_.CreateAdd(size, b_.getInt64(1)), field(at.size));
    b_.CreateRetVoid();
    b_.SetInsertPoint(grow);
    Call("tutti_jit_hit", {hits, journey, code, add_hit_->getArg(3)});
    b_.CreateRetVoid();
    return add_hit_;
  }

  /// Tests trigger i and reports a hit.
  void Test(size_t i) {
    const TriggerSpec& t = *triggers_[i];
    llvm::Value* journey = b_.getInt32(static_cast<int32_t>(t.journey));
    if (t.cond == nullptr || t.deferred) {
      AddHit(journey, t.deferred ? kTestLater : kTrue);
      return;
    }
    // The parts the path has decided: `e.F == "L"` or `e.F in [..., "L",
    // ...]` where the event went down F's bucket for L.
    std::set<const ast::Expr*> known;
    for (const ast::Expr* part : ast::Conjuncts(t.cond)) {
      auto found = StringLiterals(*part, t.binding);
      if (!found) continue;
      for (const auto& [field, literal] : path_)
        if (found->first == *field && found->second.count(*literal)) known.insert(part);
    }
    if (NodesToTest(*t.cond, known) > kInlineNodes) {
      ++code_.calls;
      return CallCondition(i, journey);
    }
    ++code_.inline_tests;
    // Inline; any surprise (an error, a null, another kind) bails out to
    // the call.
    ExprSpec spec;
    spec.expr = t.cond;
    spec.env = {t.binding, "now"};
    spec.shapes = {t.shape, nullptr};
    auto* bail = Block("bail");
    llvm::BasicBlock* at = b_.GetInsertBlock();
    llvm::Value* code = frame_->inline_tests->Emit(at, spec, known, bail);
    b_.SetInsertPoint(at);
    auto* hit = Block("hit");
    auto* next = Block("next");
    b_.CreateCondBr(b_.CreateICmpEQ(code, b_.getInt32(kTrue)), hit, next);
    b_.SetInsertPoint(hit);
    AddHit(journey, kTrue);
    b_.CreateBr(next);
    if (bail->hasNPredecessorsOrMore(1)) {
      b_.SetInsertPoint(bail);
      ++code_.bail_outs;
      CallCondition(i, journey);
      b_.CreateBr(next);
    } else {
      bail->eraseFromParent();
    }
    b_.SetInsertPoint(next);
  }

  /// Tests trigger i by a call into its journey's code, and reports a hit.
  void CallCondition(size_t i, llvm::Value* journey) {
    const TriggerSpec& t = *triggers_[i];
    const CompiledCondition& c = conditions_[i];
    frame_->env_size = std::max(frame_->env_size, c.env.size());
    for (size_t k = 0; k < c.env.size(); ++k) {
      llvm::Value* v;
      if (c.env[k] == t.binding) v = frame_->event;
      else if (c.env[k] == "now") v = frame_->now;
      else {
        auto type = eval::TypeDenotation(c.env[k]);
        v = PoolEntry(pool_.AddValue(type ? *type : Value::Error("undeclared reference to '" + c.env[k] + "'")));
      }
      b_.CreateStore(v, b_.CreateInBoundsGEP(ptr_, frame_->env, b_.getInt64(k)));
    }
    // The group lives in another module: declare it, and pass its own pool.
    auto group = module_.getOrInsertFunction(c.function, llvm::FunctionType::get(i32_, {i32_, ptr_, ptr_, ptr_}, false));
    llvm::Value* group_pool = PoolEntry(pool_.AddPointer(c.pool));
    llvm::Value* code = b_.CreateCall(group, {b_.getInt32(2 * c.index + 1), frame_->env, group_pool, frame_->result});
    Report(journey, code, frame_->result);
  }

  /// A node: its tests, then its field's bucket, then the others'. A node
  /// with more tests under it than one function takes keeps only its
  /// lookup and calls: its tests, its buckets and its others go to parts.
  void Node(const DispatchNode& node) {
    const bool parts = TestsUnder(node) > kTestsPerFunction;
    for (size_t from = 0; from < node.tested.size(); from += kTestsPerFunction) {
      size_t to = std::min(node.tested.size(), from + kTestsPerFunction);
      auto tests = [&, from, to] {
        for (size_t k = from; k < to; ++k) Test(node.tested[k]);
      };
      if (parts) Split(tests);
      else tests();
    }
    if (!node.field.empty() && !node.buckets.empty()) {
      llvm::Value* value =
          Call("tutti_jit_field", {frame_->field_tmp, frame_->event, PoolEntry(pool_.AddPointer(plan_.shape)),
                                   llvm::ConstantInt::get(i64_, node.slot), PoolEntry(pool_.AddString(node.field))},
               ptr_);
      llvm::Value* bucket = Call("tutti_jit_bucket", {value, PoolEntry(pool_.AddPointer(&node.table))}, i32_);
      auto* done = Block("done");
      auto* sw = b_.CreateSwitch(bucket, done, static_cast<unsigned>(node.buckets.size()));
      std::vector<const std::string*> literal(node.buckets.size());
      for (size_t k = 0; k < literal.size(); ++k) literal[k] = &node.table.literals()[k];
      // In parts: consecutive buckets holding at most kTestsPerFunction
      // tests in all go to one part, which switches on the bucket again
      // (so that thousands of small buckets do not make one huge function
      // either); a bigger bucket, alone, is a node of its own.
      size_t from = 0;
      while (from < node.buckets.size()) {
        size_t to = from, tests = 0;
        while (to < node.buckets.size() && (to == from || tests + TestsUnder(node.buckets[to]) <= kTestsPerFunction))
          tests += TestsUnder(node.buckets[to++]);
        auto cases = [&, from, to](llvm::SwitchInst* into, llvm::BasicBlock* after) {
          for (size_t k = from; k < to; ++k) {
            auto* block = Block("bucket");
            into->addCase(b_.getInt32(static_cast<int32_t>(k)), block);
            b_.SetInsertPoint(block);
            path_.emplace_back(&node.field, literal[k]);
            Subtree(node.buckets[k]);
            path_.pop_back();
            b_.CreateBr(after);
          }
        };
        if (!parts || (to - from == 1 && TestsUnder(node.buckets[from]) > kTestsPerFunction)) {
          cases(sw, done);
        } else {
          auto* block = Block("part");
          for (size_t k = from; k < to; ++k) sw->addCase(b_.getInt32(static_cast<int32_t>(k)), block);
          b_.SetInsertPoint(block);
          Split(
              [&] {
                auto* end = Block("end");
                auto* inner = b_.CreateSwitch(frame_->bucket, end, static_cast<unsigned>(to - from));
                cases(inner, end);
                b_.SetInsertPoint(end);
              },
              bucket);
          b_.CreateBr(done);
        }
        from = to;
      }
      b_.SetInsertPoint(done);
    }
    if (node.others) {
      if (parts) Split([&] { Node(*node.others); });
      else Node(*node.others);
    }
  }

  void Subtree(const DispatchNode& node) {
    if (TestsUnder(node) > kTestsPerFunction) Split([&] { Node(node); });
    else Node(node);
  }

  llvm::Module& module_;
  llvm::LLVMContext& ctx_;
  llvm::IRBuilder<> b_;
  const DispatchPlan& plan_;
  const std::vector<const TriggerSpec*>& triggers_;
  const std::vector<CompiledCondition>& conditions_;
  const eval::Functions& functions_;
  ConstantPool& pool_;
  llvm::PointerType* ptr_;
  llvm::IntegerType* i32_;
  llvm::IntegerType* i64_;
  std::string name_;
  size_t split_ = 0;
  uint64_t most_inline_slots_ = 0;  // the most inline test slots any function of this dispatch uses
  DispatchCode code_;
  std::unordered_map<const DispatchNode*, size_t> tests_under_;
  llvm::Function* add_hit_ = nullptr;  // AddHitFunction's, made on first use
  Frame* frame_ = nullptr;
  /// The buckets an event went down to reach the test being emitted: the
  /// field and the literal it holds.
  std::vector<std::pair<const std::string*, const std::string*>> path_;
};

}  // namespace

DispatchCode EmitDispatch(llvm::Module& module, const std::string& name, const DispatchPlan& plan,
                          const std::vector<const TriggerSpec*>& triggers,
                          const std::vector<CompiledCondition>& conditions, const eval::Functions& functions,
                          ConstantPool& pool) {
  return DispatchEmitter(module, plan, triggers, conditions, functions, pool).Emit(name);
}

}  // namespace tutti::compiler::jit
