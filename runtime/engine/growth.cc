// Records that grow under running journeys (docs/semantics.md, "A new
// version of the journeys"): a version may add optional fields to an event
// or a profile, reorder fields, and declare new events and profiles
// (SchemaTable::GrowthRefusal says what it may not). Every record the
// engine holds then moves to the new layout by field name, the fields it
// lacks unset, so that the new version's code reads it as its own and
// older versions' code, which finds fields by name when a shape is not
// its own, reads it as before.

#include "runtime/engine/engine.h"

namespace tutti::runtime {

using EvalRecord = compiler::eval::Record;
using compiler::eval::RecordShape;
using compiler::eval::Value;
using compiler::eval::ValueKind;

namespace {

/// The schema of `table` whose shape `shape` is, if any.
const Schema* SchemaWithShape(const SchemaTable& table, const RecordShape* shape) {
  for (RecordKind kind : {RecordKind::kProfile, RecordKind::kEvent}) {
    const Schema* s = table.Find(kind, shape->type_name);
    if (s != nullptr && &s->shape == shape) return s;
  }
  return nullptr;
}

}  // namespace

void Engine::GrowRecords(const SchemaTable& schemas) {
  for (const std::string& name : schemas.ProfileNames()) {
    if (ProfileId(name)) continue;
    profile_names_.push_back(name);
    store_->AddProfile();
  }
  // A record of some version's schema, on that schema's shape, goes to
  // the new one's; projections (an instance's record cut to the fields it
  // still reads) hold what is read, by name, and stay.
  auto grow = [&](Value& v) {
    if (!v.is(ValueKind::kRecord)) return;
    const EvalRecord& r = v.AsRecord();
    const Schema* from = nullptr;
    for (auto t = schema_versions_.rbegin(); t != schema_versions_.rend() && from == nullptr; ++t)
      from = SchemaWithShape(**t, r.shape);
    if (from == nullptr) return;
    const Schema* to = schemas.Find(from->kind, from->name);
    if (to == nullptr || &to->shape == r.shape) return;
    auto grown = std::make_shared<EvalRecord>();
    grown->shape = &to->shape;
    grown->values.resize(to->fields.size());
    for (size_t i = 0; i < to->fields.size(); ++i)
      if (auto slot = r.shape->Slot(to->fields[i].name); slot && *slot < r.values.size()) grown->values[i] = r.values[*slot];
    v = Value(std::shared_ptr<const EvalRecord>(std::move(grown)));
  };
  for (uint32_t c = 0; c < store_->customer_count(); ++c) grow(store_->customer(c).record);
  for (uint32_t h = 0; h < store_->handles(); ++h) {
    JourneyInstance& inst = store_->instance(h);
    if (inst.state == InstanceState::kFree) continue;
    for (uint32_t slot = 0; slot < inst.slots.size(); ++slot)
      if (!(slot < 32 && (inst.slots.packed >> slot & 1))) grow(inst.slots[slot]);  // a packed slot holds a field's value
  }
  for (auto& [when, e] : delayed_) {
    grow(e.record);
    e.schema = schemas.FindEvent(e.schema->name);
  }
}

}  // namespace tutti::runtime
