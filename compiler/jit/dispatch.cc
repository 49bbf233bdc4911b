#include "compiler/jit/dispatch.h"

#include <map>
#include <optional>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "compiler/ast/conditions.h"
#include "compiler/eval/evaluator.h"
#include "compiler/jit/abi.h"
#include "compiler/jit/codegen.h"

namespace tutti::compiler::jit {

namespace {

/// `binding.F == "lit"` (either way round): (F, lit).
std::optional<std::pair<std::string, std::string>> StringEquality(const ast::Expr& e, const std::string& binding) {
  if (e.kind != ast::ExprKind::kBinary || e.op != ast::Op::kEq) return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    const ast::Expr& field = *e.args[side];
    const ast::Expr& literal = *e.args[1 - side];
    if (ast::IsFieldOf(field, binding, "") && literal.kind == ast::ExprKind::kLiteral &&
        std::holds_alternative<std::string>(literal.literal))
      return std::make_pair(field.name.text, std::get<std::string>(literal.literal));
  }
  return std::nullopt;
}

/// The literal trigger `t` compares `field` with, if one of its `&&`-ed
/// parts does.
std::optional<std::string> LiteralFor(const TriggerSpec& t, const std::string& field) {
  for (const ast::Expr* part : ast::Conjuncts(t.cond)) {
    auto eq = StringEquality(*part, t.binding);
    if (eq && eq->first == field) return eq->second;
  }
  return std::nullopt;
}

}  // namespace

DispatchPlan PlanDispatch(const std::vector<const TriggerSpec*>& triggers) {
  DispatchPlan plan;
  if (triggers.empty()) return plan;
  plan.event = triggers[0]->event;
  const eval::RecordShape* shape = triggers[0]->shape;
  // The field compared with a literal by the most triggers (the first by
  // name on a tie), if the event's shape has it.
  std::map<std::string, size_t> counts;
  for (const TriggerSpec* t : triggers) {
    std::map<std::string, bool> fields;
    for (const ast::Expr* part : ast::Conjuncts(t->cond))
      if (auto eq = StringEquality(*part, t->binding)) fields[eq->first] = true;
    for (const auto& [f, yes] : fields) ++counts[f];
  }
  size_t best = 0;
  for (const auto& [f, n] : counts) {
    if (n > best && shape != nullptr && shape->Slot(f)) {
      best = n;
      plan.field = f;
    }
  }
  if (!plan.field.empty()) {
    plan.shape = shape;
    plan.slot = *shape->Slot(plan.field);
  }
  for (size_t i = 0; i < triggers.size(); ++i) {
    std::optional<std::string> literal;
    if (!plan.field.empty()) literal = LiteralFor(*triggers[i], plan.field);
    if (!literal) {
      plan.always.push_back(i);
      continue;
    }
    auto [it, added] = plan.table.buckets.emplace(*literal, static_cast<int32_t>(plan.buckets.size()));
    if (added) plan.buckets.emplace_back();
    plan.buckets[static_cast<size_t>(it->second)].push_back(i);
  }
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

  // Tests trigger i and reports a hit.
  auto test = [&](size_t i) {
    const TriggerSpec& t = *triggers[i];
    llvm::Value* journey = b.getInt32(static_cast<int32_t>(t.journey));
    if (t.cond == nullptr || t.deferred) {
      call("tutti_jit_hit", {hits, journey, b.getInt32(t.deferred ? kTestLater : kTrue), result});
      return;
    }
    const CompiledCondition& c = conditions[i];
    llvm::IRBuilder<> at_entry(entry, entry->begin());
    llvm::Value* env = at_entry.CreateAlloca(ptr, b.getInt64(std::max<size_t>(1, c.env.size())));
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

  for (size_t i : plan.always) test(i);
  if (!plan.buckets.empty()) {
    llvm::Value* value = call("tutti_jit_field", {field_tmp, event, pool_entry(pool.AddPointer(plan.shape)),
                                                  llvm::ConstantInt::get(i64, plan.slot), pool_entry(pool.AddString(plan.field))},
                              ptr);
    llvm::Value* bucket = call("tutti_jit_bucket", {value, pool_entry(pool.AddPointer(&plan.table))}, i32);
    auto* done = llvm::BasicBlock::Create(ctx, "done", fn);
    auto* sw = b.CreateSwitch(bucket, done, static_cast<unsigned>(plan.buckets.size()));
    for (size_t k = 0; k < plan.buckets.size(); ++k) {
      auto* block = llvm::BasicBlock::Create(ctx, "bucket", fn);
      sw->addCase(b.getInt32(static_cast<int32_t>(k)), block);
      b.SetInsertPoint(block);
      for (size_t i : plan.buckets[k]) test(i);
      b.CreateBr(done);
    }
    b.SetInsertPoint(done);
  }
  call("tutti_jit_destroy", {slots, b.getInt64(2)});
  b.CreateRetVoid();
}

}  // namespace tutti::compiler::jit
