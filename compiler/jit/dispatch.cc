#include "compiler/jit/dispatch.h"

#include <algorithm>
#include <functional>
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
      auto [it, added] = node.table.buckets.emplace(literal, static_cast<int32_t>(filed.size()));
      if (added) filed.emplace_back();
      filed[static_cast<size_t>(it->second)].push_back(i);
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

}  // namespace

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

void EmitDispatch(llvm::Module& module, const std::string& name, const DispatchPlan& plan,
                  const std::vector<const TriggerSpec*>& triggers, const std::vector<CompiledCondition>& conditions,
                  ConstantPool& pool) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::PointerType* ptr = llvm::PointerType::get(ctx, 0);
  llvm::Type* i32 = b.getInt32Ty();
  llvm::Type* i64 = b.getInt64Ty();
  auto* fn = llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), {ptr, ptr, ptr}, false),
                                    llvm::Function::ExternalLinkage, name, module);
  llvm::Value* vars = fn->getArg(0);
  llvm::Value* pool_arg = fn->getArg(1);
  llvm::Value* hits = fn->getArg(2);
  auto call = [&](const char* helper, std::vector<llvm::Value*> args, llvm::Type* ret = nullptr) {
    std::vector<llvm::Type*> types;
    for (llvm::Value* a : args) types.push_back(a->getType());
    auto callee = module.getOrInsertFunction(helper, llvm::FunctionType::get(ret ? ret : b.getVoidTy(), types, false));
    return b.CreateCall(callee, args);
  };
  auto pool_entry = [&](size_t index) {
    return b.CreateLoad(ptr, b.CreateInBoundsGEP(ptr, pool_arg, b.getInt64(index)));
  };

  auto* entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  b.SetInsertPoint(entry);
  // Two value slots: the condition's non-bool result and the field read.
  llvm::AllocaInst* slots = b.CreateAlloca(b.getInt8Ty(), b.getInt64(2 * sizeof(Value)));
  slots->setAlignment(llvm::Align(16));
  llvm::Value* result = slots;
  llvm::Value* field_tmp = b.CreateInBoundsGEP(b.getInt8Ty(), slots, b.getInt64(sizeof(Value)));
  call("tutti_jit_init", {slots, b.getInt64(2)});
  llvm::Value* event = b.CreateLoad(ptr, b.CreateInBoundsGEP(ptr, vars, b.getInt64(0)));
  llvm::Value* now = b.CreateLoad(ptr, b.CreateInBoundsGEP(ptr, vars, b.getInt64(1)));
  // One environment array for every test (they run one after another),
  // sized once they are all emitted: the frame stays small however many
  // places test a trigger.
  llvm::AllocaInst* env = b.CreateAlloca(ptr, b.getInt64(1));
  size_t env_size = 1;

  // Tests trigger i and reports a hit.
  auto test = [&](size_t i) {
    const TriggerSpec& t = *triggers[i];
    llvm::Value* journey = b.getInt32(static_cast<int32_t>(t.journey));
    if (t.cond == nullptr || t.deferred) {
      call("tutti_jit_hit", {hits, journey, b.getInt32(t.deferred ? kTestLater : kTrue), result});
      return;
    }
    const CompiledCondition& c = conditions[i];
    env_size = std::max(env_size, c.env.size());
    for (size_t k = 0; k < c.env.size(); ++k) {
      llvm::Value* v;
      if (c.env[k] == t.binding) v = event;
      else if (c.env[k] == "now") v = now;
      else {
        auto type = eval::TypeDenotation(c.env[k]);
        v = pool_entry(pool.AddValue(type ? *type : Value::Error("undeclared reference to '" + c.env[k] + "'")));
      }
      b.CreateStore(v, b.CreateInBoundsGEP(ptr, env, b.getInt64(k)));
    }
    // The group lives in another module: declare it, and pass its own pool.
    auto group = module.getOrInsertFunction(c.function, llvm::FunctionType::get(i32, {i32, ptr, ptr, ptr}, false));
    llvm::Value* group_pool = pool_entry(pool.AddPointer(c.pool));
    llvm::Value* code = b.CreateCall(group, {b.getInt32(2 * c.index + 1), env, group_pool, result});
    auto* hit = llvm::BasicBlock::Create(ctx, "hit", fn);
    auto* next = llvm::BasicBlock::Create(ctx, "next", fn);
    llvm::Value* reported = b.CreateOr(b.CreateICmpEQ(code, b.getInt32(kTrue)), b.CreateICmpEQ(code, b.getInt32(kErrorValue)));
    b.CreateCondBr(reported, hit, next);
    b.SetInsertPoint(hit);
    call("tutti_jit_hit", {hits, journey, code, result});
    b.CreateBr(next);
    b.SetInsertPoint(next);
  };

  // A node: its tests, then its field's bucket, then the others'.
  std::function<void(const DispatchNode&)> emit = [&](const DispatchNode& node) {
    for (size_t i : node.tested) test(i);
    if (node.field.empty()) return;
    if (!node.buckets.empty()) {
      llvm::Value* value =
          call("tutti_jit_field", {field_tmp, event, pool_entry(pool.AddPointer(plan.shape)),
                                   llvm::ConstantInt::get(i64, node.slot), pool_entry(pool.AddString(node.field))},
               ptr);
      llvm::Value* bucket = call("tutti_jit_bucket", {value, pool_entry(pool.AddPointer(&node.table))}, i32);
      auto* done = llvm::BasicBlock::Create(ctx, "done", fn);
      auto* sw = b.CreateSwitch(bucket, done, static_cast<unsigned>(node.buckets.size()));
      for (size_t k = 0; k < node.buckets.size(); ++k) {
        auto* block = llvm::BasicBlock::Create(ctx, "bucket", fn);
        sw->addCase(b.getInt32(static_cast<int32_t>(k)), block);
        b.SetInsertPoint(block);
        emit(node.buckets[k]);
        b.CreateBr(done);
      }
      b.SetInsertPoint(done);
    }
    if (node.others) emit(*node.others);
  };
  emit(plan.root);
  call("tutti_jit_destroy", {slots, b.getInt64(2)});
  b.CreateRetVoid();
  env->setOperand(0, b.getInt64(env_size));
}

}  // namespace tutti::compiler::jit
