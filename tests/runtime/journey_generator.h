#pragma once
// Random, well-typed journey programs for the differential tests
// (journey_differential_test.cc, shards_test.cc): Generator(seed) writes one
// self-contained program (schemas, channels, a contact policy drawn for the
// seed, and 4 to 8 journeys), the profiles and a stream of kEvents events,
// the same for a seed on every machine.
//
// What the journeys use: trigger conditions (reading the event and at times
// the customer's profile; string equality with the
// literal on either side, often as a conjunct the JIT's trigger dispatch
// indexes on, ranges on int and double fields, `in` lists, `!`, `||`,
// `&&`, `has(...)`, `?:`, a `dyn` field compared with literals of every
// kind), lists, maps and timestamps read in expressions, audience fan-out, exit and goal rules, `let`/`set`,
// `if`/`else if`/`else`, `choose`, `choose best by`, `split`, `send` with
// interpolated messages and `with` values, `task`/`notify` to an expression
// or routed (`staff where ... best by ...`), every kind of `wait`, `emit`
// (now and later) and `start`. Profiles have random attributes, consent
// and time zones (an unknown one included); events come at increasing
// times (several at the same instant), with optional fields left out or
// null, some for customers no profile names.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/check/check.h"
#include "compiler/check/program.h"
#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"
#include "runtime/simulate/simulation.h"
#include "stdlib/stdlib.h"

namespace tutti::runtime {
namespace {

constexpr int kEvents = 400;
constexpr int kHcps = 16;
constexpr int kAccounts = 4;
constexpr int kStaff = 6;

// ---------------------------------------------------------------------------
// The schemas every program shares, and what the generator knows of them.

constexpr const char* kSchemas = R"(profile account { id: string key, name: string, kam: string, tier: int }
profile hcp {
  id: string key
  name: string
  account: string
  specialty: string
  decile: int
  visits: int
  score: double
  timezone: string
  consent: set<string>
  preferred_channel: string
  rep: string
  tags: list<string>
  npi: string?
  rating: double?
  last_visit: timestamp?
  stats: map<string, int>
}
profile staff { id: string key, role: string, brands: list<string>, load: int, available: bool }
event rx_written keyed by hcp {
  hcp: string, brand: string, amount: double, units: int, region: string,
  coupon: string?, refills: int?, extra: dyn?, batch: uint
}
event email_opened keyed by hcp { hcp: string, template: string, brand: string }
event visit keyed by hcp { hcp: string, outcome: string, minutes: int, rating: double? }
event formulary_win keyed by account { account: string, brand: string, plan: string, tier: int }
event nudge keyed by hcp { hcp: string, level: int, reason: string }
channel email { kind message to hcp consent "email" }
channel sms { kind message to hcp consent "sms" }
channel remote_detail { kind message to hcp }
channel crm_sync { kind webhook to hcp }
)";

using Pool = std::vector<std::string>;
const Pool kBrands = {"GLIDIM", "CARDIVEX", "NEUROX"};
const Pool kRegions = {"north", "south", "east", "west"};
const Pool kTemplates = {"intro", "reminder", "offer", "unsubscribe", "thanks"};
const Pool kOutcomes = {"completed", "cancelled", "no_show"};
const Pool kPlans = {"Gold", "Silver", "Basic"};
const Pool kReasons = {"lapsed", "new", "vip"};
const Pool kSpecialties = {"endocrinology", "cardiology", "family medicine"};
const Pool kChannels = {"email", "sms", "rep_visit", "remote_detail"};
const Pool kZones = {"America/New_York", "Europe/Berlin", "Asia/Tokyo", ""};
const Pool kTags = {"kol", "speaker", "rural"};
const Pool kRoles = {"msl", "rep", "manager"};
const Pool kCoupons = {"SAVE10", "SAVE20"};
const Pool kNames = {"Dr. Ann", "Dr. Ben", "Dr. Cho", "Dr. Zoë"};
const Pool kHcpIds = {"hcp-00", "hcp-03", "hcp-07", "hcp-12"};
const Pool kAccountIds = {"acc-0", "acc-1", "acc-2"};
const Pool kPeople = {"kam-0", "kam-1", "rep-0", "rep-1", "st-2"};
const Pool kNpis = {"1234567890", "1111111111"};
const Pool kConsent = {"email", "sms"};
const Pool kStats = {"opens", "clicks", "calls"};

enum class Type { kBool, kInt, kUint, kDouble, kString, kDyn, kTime, kList, kMap };

/// A field as the schemas declare it, with the values it usually holds
/// (so that comparisons with literals are sometimes true).
struct Field {
  const char* name;
  Type type;
  bool optional = false;
  const Pool* pool = nullptr;  // strings, or a list's elements
  int lo = 0, hi = 0;          // numbers
};

const std::vector<Field>& FieldsOf(const std::string& record) {
  static const std::map<std::string, std::vector<Field>> kFields = {
      {"account",
       {{"id", Type::kString, false, &kAccountIds},
        {"name", Type::kString, false, &kNames},
        {"kam", Type::kString, false, &kPeople},
        {"tier", Type::kInt, false, nullptr, 0, 3}}},
      {"hcp",
       {{"id", Type::kString, false, &kHcpIds},
        {"name", Type::kString, false, &kNames},
        {"account", Type::kString, false, &kAccountIds},
        {"specialty", Type::kString, false, &kSpecialties},
        {"decile", Type::kInt, false, nullptr, 1, 10},
        {"visits", Type::kInt, false, nullptr, 0, 4},
        {"score", Type::kDouble, false, nullptr, -1, 2},
        {"timezone", Type::kString, false, &kZones},
        {"consent", Type::kList, false, &kConsent},
        {"preferred_channel", Type::kString, false, &kChannels},
        {"rep", Type::kString, false, &kPeople},
        {"tags", Type::kList, false, &kTags},
        {"npi", Type::kString, true, &kNpis},
        {"rating", Type::kDouble, true, nullptr, 0, 5},
        {"last_visit", Type::kTime, true},
        {"stats", Type::kMap, false, &kStats, 0, 3}}},
      {"staff",
       {{"id", Type::kString, false, &kPeople},
        {"role", Type::kString, false, &kRoles},
        {"brands", Type::kList, false, &kBrands},
        {"load", Type::kInt, false, nullptr, 0, 9},
        {"available", Type::kBool}}},
      {"rx_written",
       {{"hcp", Type::kString, false, &kHcpIds},
        {"brand", Type::kString, false, &kBrands},
        {"amount", Type::kDouble, false, nullptr, 0, 120},
        {"units", Type::kInt, false, nullptr, 0, 8},
        {"region", Type::kString, false, &kRegions},
        {"coupon", Type::kString, true, &kCoupons},
        {"refills", Type::kInt, true, nullptr, 0, 5},
        {"extra", Type::kDyn, true},
        {"batch", Type::kUint, false, nullptr, 0, 5}}},
      {"email_opened",
       {{"hcp", Type::kString, false, &kHcpIds},
        {"template", Type::kString, false, &kTemplates},
        {"brand", Type::kString, false, &kBrands}}},
      {"visit",
       {{"hcp", Type::kString, false, &kHcpIds},
        {"outcome", Type::kString, false, &kOutcomes},
        {"minutes", Type::kInt, false, nullptr, 0, 60},
        {"rating", Type::kDouble, true, nullptr, 0, 5}}},
      {"formulary_win",
       {{"account", Type::kString, false, &kAccountIds},
        {"brand", Type::kString, false, &kBrands},
        {"plan", Type::kString, false, &kPlans},
        {"tier", Type::kInt, false, nullptr, 0, 3}}},
      {"nudge",
       {{"hcp", Type::kString, false, &kHcpIds},
        {"level", Type::kInt, false, nullptr, 0, 3},
        {"reason", Type::kString, false, &kReasons}}},
  };
  return kFields.at(record);
}

bool IsEvent(const std::string& record) { return record != "hcp" && record != "account" && record != "staff"; }

/// Something an expression may read: a field, a `let` variable, `now`,
/// `option`.
struct Atom {
  std::string text;
  Type type;
  bool optional = false;  // a `T?` field: may be unset
  bool variable = false;  // a `let`: may be `set`
  const Pool* pool = nullptr;
  int lo = 0, hi = 0;
};

/// What is in scope where an expression or step is written.
struct Scope {
  std::vector<Atom> atoms;
  std::string customer;  // "hcp", "account", or "" (trigger conditions)
  std::string trigger;   // the trigger's binding, or ""
  bool can_emit = false;
  bool can_start = false;

  void Add(const std::string& binding, const std::string& record) {
    for (const Field& f : FieldsOf(record))
      atoms.push_back({binding + "." + f.name, f.type, f.optional, false, f.pool, f.lo, f.hi});
    if (IsEvent(record)) atoms.push_back({binding + ".at", Type::kTime});
  }
  bool hcp() const { return customer == "hcp"; }
};

/// A generated case: the program's files, profiles and events as NDJSON.
struct Case {
  std::vector<std::pair<std::string, std::string>> files;
  std::string profiles;
  std::string events;

  std::string Source() const {
    std::string out;
    for (const auto& [name, text] : files) out += "// ---- " + name + "\n" + text;
    return out;
  }
};

/// 2026-03-02T00:00:00Z, a Monday.
constexpr int64_t kStartSeconds = 1772409600;

std::string Rfc3339(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---------------------------------------------------------------------------
// The generator.

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Case Generate() {
    Case c;
    c.files.emplace_back("schemas.tutti", std::string(kSchemas) + Policy());
    // Journeys started by others (`start fN`) first, so the rest may start
    // them. They neither emit nor start: no loop can form.
    int started = static_cast<int>(Pick(3));
    int triggered = 4 + static_cast<int>(Pick(5)) - started;
    if (triggered < 3) triggered = 3;
    for (int i = 0; i < started; ++i) c.files.emplace_back("f" + std::to_string(i) + ".tutti", StartedJourney(i));
    starts_ = started;
    for (int i = 0; i < triggered; ++i)
      c.files.emplace_back("j" + std::to_string(i) + ".tutti", TriggeredJourney(i));
    c.profiles = Profiles();
    c.events = Events();
    return c;
  }

 private:
  // -- Randomness (plain `%`, the same on every standard library).
  uint64_t Pick(uint64_t n) { return rng_() % n; }
  bool Chance(int percent) { return static_cast<int>(Pick(100)) < percent; }
  const std::string& OneOf(const Pool& p) { return p[Pick(p.size())]; }
  int Between(int lo, int hi) { return lo + static_cast<int>(Pick(static_cast<uint64_t>(hi - lo + 1))); }

  // -- Literals. Inside a message's `{...}` strings take single quotes.
  std::string Str(const std::string& s) {
    return in_message_ || Chance(25) ? "'" + s + "'" : "\"" + s + "\"";
  }
  std::string StrFor(const Atom& a) {
    return Str(a.pool != nullptr && Chance(85) ? OneOf(*a.pool) : std::string(Chance(50) ? "zzz" : ""));
  }
  std::string IntLit(int lo, int hi) { return std::to_string(Between(lo - 1, hi + 1)); }
  std::string DoubleLit(int lo, int hi) {
    int tenths = Between(lo * 10 - 5, hi * 10 + 5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", tenths / 10.0);
    return buf;
  }
  /// A literal for comparing with a number atom: of its kind mostly, of
  /// the other numeric kind sometimes (CEL compares across them).
  std::string NumLit(const Atom& a) {
    bool as_double = a.type == Type::kDouble ? Chance(80) : Chance(15);
    if (as_double) return DoubleLit(a.lo, a.hi);
    std::string lit = IntLit(a.lo, a.hi);
    return a.type == Type::kUint && lit[0] != '-' && Chance(60) ? lit + "u" : lit;
  }
  std::string Cmp() {
    static const char* kOps[] = {"==", "!=", "<", "<=", ">", ">="};
    return kOps[Pick(6)];
  }
  std::string Duration() {
    static const char* kDurations[] = {"30m", "2h", "1h30m", "1d", "2d", "3d"};
    return kDurations[Pick(6)];
  }

  // -- Atoms.
  /// An atom of `type` (an optional field rarely), or null.
  const Atom* AtomOf(const Scope& s, Type type) {
    std::vector<const Atom*> found;
    for (const Atom& a : s.atoms)
      if (a.type == type && (!a.optional || Chance(20))) found.push_back(&a);
    return found.empty() ? nullptr : found[Pick(found.size())];
  }
  const Atom* NumAtom(const Scope& s) {
    uint64_t k = Pick(10);
    const Atom* a = AtomOf(s, k < 5 ? Type::kInt : k < 9 ? Type::kDouble : Type::kUint);
    return a != nullptr ? a : AtomOf(s, Type::kInt);
  }
  const Atom* OptionalAtom(const Scope& s) {
    std::vector<const Atom*> found;
    for (const Atom& a : s.atoms)
      if (a.optional) found.push_back(&a);
    return found.empty() ? nullptr : found[Pick(found.size())];
  }

  // -- Expressions, by type.
  std::string Expr(const Scope& s, Type type, int depth) {
    switch (type) {
      case Type::kBool: return Bool(s, depth);
      case Type::kInt: return Int(s, depth);
      case Type::kDouble: return Double(s, depth);
      default: return String(s, depth);
    }
  }

  std::string Bool(const Scope& s, int depth) {
    if (depth <= 0 || Chance(40)) return BoolLeaf(s);
    switch (Pick(7)) {
      case 0: case 1: return "(" + Bool(s, depth - 1) + (Chance(20) ? " and " : " && ") + Bool(s, depth - 1) + ")";
      case 2: return "(" + Bool(s, depth - 1) + (Chance(20) ? " or " : " || ") + Bool(s, depth - 1) + ")";
      case 3: return (Chance(20) ? "not (" : "!(") + Bool(s, depth - 1) + ")";
      case 4: return "(" + Bool(s, depth - 1) + " ? " + Bool(s, depth - 1) + " : " + Bool(s, depth - 1) + ")";
      case 5: return Int(s, depth - 1) + " " + Cmp() + " " + (Chance(50) ? Int(s, depth - 1) : Double(s, depth - 1));
      default: return String(s, depth - 1) + (Chance(70) ? " == " : " != ") + String(s, depth - 1);
    }
  }

  std::string BoolLeaf(const Scope& s) {
    for (;;) {
      switch (Pick(15)) {
        case 0: case 1: case 2: {  // string equality, the literal on either side
          const Atom* a = AtomOf(s, Type::kString);
          if (a == nullptr) break;
          std::string op = Chance(80) ? " == " : " != ";
          return Chance(60) ? a->text + op + StrFor(*a) : StrFor(*a) + op + a->text;
        }
        case 3: case 4: {  // a number against a literal, either side
          const Atom* a = NumAtom(s);
          if (a == nullptr) break;
          if (a->type == Type::kUint && Chance(30)) return a->text + " - 2u " + Cmp() + " 1u";  // may underflow
          return Chance(65) ? a->text + " " + Cmp() + " " + NumLit(*a) : NumLit(*a) + " " + Cmp() + " " + a->text;
        }
        case 5: {  // a range, mostly not empty
          const Atom* a = NumAtom(s);
          if (a == nullptr) break;
          std::string lo = NumLit(*a), hi = NumLit(*a);
          if (std::stod(lo) > std::stod(hi) && Chance(85)) std::swap(lo, hi);
          return Chance(50) ? "(" + a->text + " >= " + lo + " && " + a->text + " < " + hi + ")"
                            : "(" + lo + " <= " + a->text + " && " + a->text + " <= " + hi + ")";
        }
        case 6: {  // `in` a literal list
          if (Chance(70)) {
            const Atom* a = AtomOf(s, Type::kString);
            if (a == nullptr) break;
            std::string list = StrFor(*a);
            for (int n = Between(0, 2); n > 0; --n) list += ", " + StrFor(*a);
            return a->text + " in [" + list + "]";
          }
          const Atom* a = AtomOf(s, Type::kInt);
          if (a == nullptr) break;
          return a->text + " in [" + IntLit(a->lo, a->hi) + ", " + IntLit(a->lo, a->hi) + "]";
        }
        case 7: {  // lists: membership, macros, size
          const Atom* a = AtomOf(s, Type::kList);
          if (a == nullptr) break;
          std::string lit = Str(Chance(85) ? OneOf(*a->pool) : "zzz");
          switch (Pick(8)) {
            case 0: case 1: return lit + " in " + a->text;
            case 2: return a->text + ".exists(t, t == " + lit + ")";
            case 3: return a->text + ".all(t, t != " + lit + ")";
            case 4: return a->text + ".exists_one(t, t.startsWith(" + Str(lit.substr(1, 1)) + "))";
            case 5: return "size(" + a->text + ".filter(t, t < " + lit + ")) " + Cmp() + " " + IntLit(0, 2);
            case 6: return a->text + ".map(t, t.upperAscii())[0] == " + Str("KOL");  // empty: an error
            default: return "size(" + a->text + ") " + Cmp() + " " + IntLit(0, 2);
          }
        }
        case 8: {  // has(), alone or guarding a read
          const Atom* a = OptionalAtom(s);
          if (a == nullptr) break;
          std::string has = "has(" + a->text + ")";
          if (a->type == Type::kDyn || Chance(30)) return Chance(25) ? "!" + has : has;
          std::string read = Read(*a);
          return Chance(60) ? "(" + has + " && " + read + ")" : "(!" + has + " || " + read + ")";
        }
        case 9: {  // an optional field read as it is: an error when unset
          const Atom* a = OptionalAtom(s);
          if (a == nullptr || a->type == Type::kDyn) break;
          return Read(*a);
        }
        case 10: {  // a bool field or variable
          const Atom* a = AtomOf(s, Type::kBool);
          if (a == nullptr) break;
          return Chance(30) ? "!" + a->text : a->text;
        }
        case 11: {  // a dyn field against a literal of any kind
          const Atom* a = AtomOf(s, Type::kDyn);
          if (a == nullptr) break;
          static const char* kLits[] = {"\"x\"", "3", "2.5", "true", "\"GLIDIM\"", "0"};
          std::string lit = in_message_ ? "'x'" : kLits[Pick(6)];
          std::string op = lit[0] == '"' || lit[0] == '\'' || lit == "true" ? (Chance(70) ? "==" : "!=") : Cmp();
          return Chance(60) ? a->text + " " + op + " " + lit : lit + " " + op + " " + a->text;
        }
        case 12: {  // string methods
          const Atom* a = AtomOf(s, Type::kString);
          if (a == nullptr) break;
          switch (Pick(4)) {
            case 3: return a->text + (Chance(50) ? " < " : " >= ") + StrFor(*a);
            case 0: return a->text + ".startsWith(" + Str(Chance(50) ? "Dr" : "G") + ")";
            case 1: return a->text + ".contains(" + Str(Chance(50) ? "o" : "-0") + ")";
            default: return "size(" + a->text + ") " + Cmp() + " " + IntLit(2, 8);
          }
        }
        case 13: {  // a map: keys, has(), a value that may be missing
          const Atom* a = AtomOf(s, Type::kMap);
          if (a == nullptr) break;
          std::string key = Chance(90) ? OneOf(*a->pool) : "zzz";
          switch (Pick(4)) {
            case 0: return Str(key) + " in " + a->text;
            case 1: return "has(" + a->text + "." + key + ")";
            case 2: return a->text + ".exists(k, k == " + Str(key) + ")";
            default: return a->text + "[" + Str(key) + "] " + Cmp() + " " + IntLit(a->lo, a->hi);
          }
        }
        default: {  // times
          const Atom* a = AtomOf(s, Type::kTime);
          if (a == nullptr) break;
          switch (Pick(3)) {
            case 0: return "now - " + a->text + " " + Cmp() + " " + Duration();
            case 1: return a->text + ".getHours() " + Cmp() + " " + IntLit(8, 18);
            default:
              return s.hcp() ? a->text + ".getDayOfWeek(hcp.timezone) " + Cmp() + " " + IntLit(0, 6)
                             : a->text + ".getDayOfWeek() == " + IntLit(0, 6);
          }
        }
      }
    }
  }

  /// A comparison that reads the optional field `a`: an error when unset.
  std::string Read(const Atom& a) {
    switch (a.type) {
      case Type::kString: return a.text + (Chance(50) ? " == " : " != ") + StrFor(a);
      case Type::kTime: return "now - " + a.text + " " + Cmp() + " " + Duration();
      default: return a.text + " " + Cmp() + " " + NumLit(a);
    }
  }

  std::string Int(const Scope& s, int depth) {
    if (depth <= 0 || Chance(40)) return IntLeaf(s);
    static const char* kOps[] = {" + ", " - ", " * ", " / ", " % "};
    switch (Pick(7)) {
      case 0: case 1: case 2:  // `/` and `%` by a leaf, which may well be 0
        return "(" + Int(s, depth - 1) + kOps[Pick(5)] + IntLeaf(s) + ")";
      case 3: return "(" + Bool(s, depth - 1) + " ? " + Int(s, depth - 1) + " : " + Int(s, depth - 1) + ")";
      case 4: {
        const Atom* l = AtomOf(s, Type::kList);
        return "size(" + (l != nullptr && Chance(50) ? l->text : String(s, depth - 1)) + ")";
      }
      case 5: return "int(" + Double(s, depth - 1) + ")";
      default: return "-" + IntLeaf(s);
    }
  }

  std::string IntLeaf(const Scope& s) {
    if (Chance(3)) return Chance(50) ? "9223372036854775807" : "-9223372036854775807";  // overflows
    if (s.hcp() && Chance(10))
      return Chance(50) ? "days_since_last_contact(hcp)"
                        : "interactions(hcp, " + Str(Chance(50) ? "email" : "email_opened") + ", 7d)";
    const Atom* a = Chance(75) ? AtomOf(s, Type::kInt) : nullptr;
    if (a != nullptr) return a->text;
    if (const Atom* t = Chance(10) ? AtomOf(s, Type::kTime) : nullptr) return t->text + ".getMinutes()";
    if (const Atom* m = Chance(15) ? AtomOf(s, Type::kMap) : nullptr)
      return Chance(50) ? m->text + "." + OneOf(*m->pool) : m->text + "[" + Str(OneOf(*m->pool)) + "]";
    return IntLit(0, 5);
  }

  std::string Double(const Scope& s, int depth) {
    if (depth <= 0 || Chance(40)) return DoubleLeaf(s);
    static const char* kOps[] = {" + ", " - ", " * ", " / "};
    switch (Pick(4)) {
      case 0: case 1: return "(" + Double(s, depth - 1) + kOps[Pick(4)] + DoubleLeaf(s) + ")";
      case 2: return "(" + Bool(s, depth - 1) + " ? " + Double(s, depth - 1) + " : " + Double(s, depth - 1) + ")";
      default: return "double(" + Int(s, depth - 1) + ")";
    }
  }

  std::string DoubleLeaf(const Scope& s) {
    if (Chance(3)) return Chance(50) ? "1e300" : "-0.0";  // inf when multiplied; int() out of range
    if (s.hcp() && Chance(10)) return "engagement(hcp, " + Str(OneOf(kChannels)) + ")";
    const Atom* a = Chance(75) ? AtomOf(s, Type::kDouble) : nullptr;
    return a != nullptr ? a->text : DoubleLit(0, 3);
  }

  std::string String(const Scope& s, int depth) {
    if (depth <= 0 || Chance(45)) return StringLeaf(s);
    switch (Pick(7)) {
      case 0: case 1: return "(" + String(s, depth - 1) + " + " + String(s, depth - 1) + ")";
      case 2: return "string(" + Int(s, depth - 1) + ")";
      case 3: return "string(" + Double(s, depth - 1) + ")";
      case 4: return "(" + Bool(s, depth - 1) + " ? " + String(s, depth - 1) + " : " + String(s, depth - 1) + ")";
      case 5: return StringLeaf(s) + (Chance(50) ? ".upperAscii()" : ".substring(1)");
      default: {  // the first element of a list that may be empty
        const Atom* l = AtomOf(s, Type::kList);
        return l != nullptr ? l->text + "[0]" : StringLeaf(s);
      }
    }
  }

  std::string StringLeaf(const Scope& s) {
    const Atom* a = Chance(75) ? AtomOf(s, Type::kString) : nullptr;
    if (a != nullptr) return a->text;
    return Str(Chance(50) ? OneOf(kBrands) : OneOf(kTemplates));
  }

  /// A value of any kind, for messages and `with`.
  std::string AnyValue(const Scope& s) {
    switch (Pick(9)) {
      case 0: case 1: return String(s, 1);
      case 2: {
        const Atom* u = Chance(25) ? AtomOf(s, Type::kUint) : nullptr;
        return u != nullptr ? u->text : Int(s, 2);
      }
      case 3: return Double(s, 1);
      case 4: return Bool(s, 1);
      case 5: {
        const Atom* a = AtomOf(s, Type::kTime);
        return a != nullptr ? a->text : "now";
      }
      case 6: {
        const Atom* a = OptionalAtom(s);  // null when unset
        return a != nullptr ? a->text : StringLeaf(s);
      }
      case 7: {  // a list or a map, which only `with` can show
        const Atom* a = AtomOf(s, Chance(70) ? Type::kList : Type::kMap);
        return a != nullptr && !in_message_ ? a->text : Int(s, 1);
      }
      default: return StringLeaf(s);
    }
  }

  /// A message literal: `base` and 0-3 interpolations.
  std::string Message(const Scope& s, const std::string& base, int max_parts = 3) {
    std::string m = base;
    in_message_ = true;
    for (int n = static_cast<int>(Pick(max_parts + 1)); n > 0; --n)
      m += std::string(Chance(50) ? " " : "-") + "{" + AnyValue(s) + "}";
    in_message_ = false;
    return "\"" + m + "\"";
  }

  // -- Steps.
  void Line(int indent, const std::string& text) { out_ += std::string(2 * indent, ' ') + text + "\n"; }

  /// `count` steps (1-3 when 0); true when the last one always ends the
  /// instance (`end`).
  bool Steps(Scope s, int depth, int indent, int count = 0) {
    if (count == 0) count = 1 + static_cast<int>(Pick(3));
    for (int i = 0; i < count; ++i) Step(s, depth, indent);
    if (indent > 1 && Chance(8)) {
      Line(indent, "end");
      return true;
    }
    return false;
  }

  /// An arm of choose/split: one step inline, or a block.
  void Arm(const Scope& s, int depth, int indent, const std::string& head) {
    if (Chance(40)) {
      Scope inline_scope = s;
      Line(indent, head + " -> " + SimpleStep(inline_scope, /*allow_let=*/false));
      return;
    }
    Line(indent, head + " -> {");
    Steps(s, depth - 1, indent + 1);
    Line(indent, "}");
  }

  /// A step that fits on one line.
  std::string SimpleStep(Scope& s, bool allow_let = true) {
    for (;;) {
      switch (Pick(10)) {
        case 0: case 1: case 2:
          if (!s.hcp()) break;
          return Send(s);
        case 3: case 4: return Task(s);
        case 5:
          if (!allow_let) break;
          return Let(s);
        case 6: {
          std::vector<const Atom*> vars;
          for (const Atom& a : s.atoms)
            if (a.variable) vars.push_back(&a);
          if (vars.empty()) break;
          const Atom* v = vars[Pick(vars.size())];
          return "set " + v->text + " = " + Expr(s, v->type, 2);
        }
        case 7: return "wait " + Duration();
        case 8:
          if (!s.can_emit) break;
          return Emit(s);
        default:
          if (!s.can_start || starts_ == 0) break;
          return "start f" + std::to_string(Pick(starts_));
      }
    }
  }

  std::string Send(const Scope& s) {
    static const char* kSendChannels[] = {"email", "email", "sms", "remote_detail", "crm_sync"};
    std::string step = "send " + std::string(kSendChannels[Pick(5)]) + " ";
    // Few distinct contents, so that dedupe and caps have work to do.
    step += Chance(60) ? "\"" + OneOf(kTemplates) + "\"" : Message(s, OneOf(kTemplates), 1);
    if (Chance(25)) step += " to hcp";
    if (Chance(50)) {
      step += " with { ";
      int n = 1 + static_cast<int>(Pick(3));
      for (int i = 0; i < n; ++i) step += (i ? ", k" : "k") + std::to_string(i) + ": " + AnyValue(s);
      step += " }";
    }
    return step;
  }

  std::string Task(const Scope& s) {
    std::string verb = Chance(60) ? "task" : "notify";
    std::string who;
    switch (Pick(5)) {
      case 0: case 1: who = s.hcp() ? "hcp.rep" : "account.kam"; break;
      case 2: who = "\"" + OneOf(kPeople) + "\""; break;
      case 3: who = String(s, 1); break;
      default: {  // routed to a colleague
        Scope r = s;
        r.Add("staff", "staff");
        Scope staff_only;
        staff_only.Add("staff", "staff");
        who = "staff where " + BoolLeaf(staff_only);
        if (Chance(60)) who += " && " + Bool(r, 1);
        if (Chance(60)) who += " best by " + (Chance(50) ? "-staff.load" : Chance(50) ? Int(r, 2) : Double(r, 1));
        std::string step = verb + " " + who + " " + Message(r, "Route");
        if (Chance(50)) step += " due " + Duration();
        return step;
      }
    }
    std::string step = verb + " " + who + " " + Message(s, verb == "task" ? "Call" : "FYI");
    if (Chance(50)) step += " due " + Duration();
    return step;
  }

  std::string Let(Scope& s) {
    static const Type kTypes[] = {Type::kBool, Type::kInt, Type::kDouble, Type::kString};
    Type type = kTypes[Pick(4)];
    std::string name = "v" + std::to_string(++vars_);
    std::string step = "let " + name + " = " + Expr(s, type, 2);
    Atom a{name, type};
    a.variable = true;
    a.lo = 0, a.hi = 10;
    a.pool = type == Type::kString ? &kBrands : nullptr;
    s.atoms.push_back(a);
    return step;
  }

  std::string Emit(const Scope& s) {
    std::string to = s.hcp() && Chance(80) ? "hcp.id" : Str(OneOf(kHcpIds));
    std::string step = "emit nudge { hcp: " + to + ", level: " + Int(s, 1) + ", reason: " + String(s, 1);
    if (Chance(40)) step += ", at: now + " + Duration();
    return step + " }";
  }

  /// The events a customer's wait, exit or goal may listen for.
  std::string ListenEvent(const Scope& s) {
    if (!s.hcp()) return "formulary_win";
    static const char* kListened[] = {"email_opened", "email_opened", "visit", "rx_written", "nudge"};
    return kListened[Pick(5)];
  }

  /// A condition over `binding` (an `event`) first, then maybe the rest.
  std::string ListenCondition(const Scope& s, const std::string& binding, const std::string& event) {
    Scope own;
    own.Add(binding, event);
    Scope all = s;
    all.Add(binding, event);
    std::string c = BoolLeaf(own);
    if (Chance(40)) c += (Chance(70) ? " && " : " || ") + Bool(all, 1);
    return c;
  }

  void Step(Scope& s, int depth, int indent) {
    uint64_t kind = Pick(depth > 0 ? 15 : 9);
    if (kind < 8) {
      Line(indent, SimpleStep(s));
      return;
    }
    switch (kind) {
      case 8: {  // wait until
        if (s.hcp() && Chance(40)) {
          Line(indent, "wait until " + std::string(Chance(50) ? "09:00" : "18:30") + " local");
        } else if (s.hcp() && Chance(20)) {
          Line(indent, "wait until hcp.last_visit + " + Duration());  // unset: an error, no wait
        } else if (!s.trigger.empty() && Chance(60)) {
          Line(indent, "wait until " + s.trigger + ".at + " + Duration());
        } else {
          Line(indent, "wait until " + std::string(Chance(50) ? "07:15" : "21:00"));
        }
        return;
      }
      case 9: case 10: {  // if / else if / else
        Line(indent, "if " + Bool(s, 2) + " {");
        Steps(s, depth - 1, indent + 1);
        if (Chance(40)) {
          Line(indent, "} else if " + Bool(s, 2) + " {");
          Steps(s, depth - 1, indent + 1);
        }
        if (Chance(60)) {
          Line(indent, "} else {");
          Steps(s, depth - 1, indent + 1);
        }
        Line(indent, "}");
        return;
      }
      case 11: {  // choose
        Line(indent, "choose {");
        for (int n = 1 + static_cast<int>(Pick(3)); n > 0; --n) Arm(s, depth, indent + 1, "when " + Bool(s, 2));
        if (Chance(60)) Arm(s, depth, indent + 1, "otherwise");
        Line(indent, "}");
        return;
      }
      case 12: {  // choose best by, `option` naming the arm
        int arms = 2 + static_cast<int>(Pick(2));
        Pool labels(kChannels.begin(), kChannels.begin() + arms);
        Scope scored = s;
        scored.atoms.push_back({"option", Type::kString, false, false, &labels});
        Type type = Chance(50) ? Type::kInt : Type::kDouble;
        std::string score = Expr(scored, type, 1);
        for (int i = arms - 2; i >= 0; --i)
          score = "(option == \"" + labels[i] + "\" ? " + Expr(scored, type, 2) + " : " + score + ")";
        if (type == Type::kDouble && s.hcp() && Chance(40)) score = "engagement(hcp, option) + " + score;
        Line(indent, "choose best by " + score + " {");
        for (const std::string& l : labels) Arm(s, depth, indent + 1, l);
        Line(indent, "}");
        return;
      }
      case 13: {  // split
        static const std::vector<std::vector<int>> kShares = {{50, 50}, {30, 70}, {10, 20, 70}, {34, 33, 33}};
        const auto& shares = kShares[Pick(kShares.size())];
        Line(indent, "split {");
        for (size_t i = 0; i < shares.size(); ++i)
          Arm(s, depth, indent + 1, std::to_string(shares[i]) + "% arm" + std::to_string(i));
        Line(indent, "}");
        return;
      }
      default: {  // wait up to D for EVENT
        std::string event = ListenEvent(s);
        std::string binding = "w" + std::to_string(++bindings_);
        std::string line = "wait up to " + Duration() + " for " + event + " as " + binding;
        if (Chance(85)) line += " where " + ListenCondition(s, binding, event);
        Line(indent, line);
        Scope then = s;
        then.Add(binding, event);
        if (Chance(75)) {
          Line(indent + 1, "then {");
          Steps(then, depth - 1, indent + 2);
          Line(indent + 1, "}");
        }
        if (Chance(60)) {
          Line(indent + 1, "timeout {");
          bool ended = Steps(s, depth - 1, indent + 2);
          if (!ended && Chance(40)) {
            Line(indent + 2, "end");
            ended = true;
          }
          Line(indent + 1, "}");
          // Only a timeout that ends lets the binding be read after the wait.
          if (ended) s.Add(binding, event);
        }
        return;
      }
    }
  }

  // -- Journeys.
  void Metadata(int indent) {
    if (Chance(70)) Line(indent, "priority " + std::to_string(Pick(101)));
    if (Chance(30)) Line(indent, "version " + std::to_string(1 + Pick(3)));
    switch (Pick(4)) {
      case 0: Line(indent, "reentry never"); break;
      case 1: Line(indent, "reentry after " + Duration()); break;
      case 2: Line(indent, "reentry always"); break;
      default: break;
    }
  }

  void ExitsAndGoals(const Scope& s) {
    for (int n = static_cast<int>(Pick(3)); n > 0; --n) {
      std::string event = ListenEvent(s);
      std::string binding = "x" + std::to_string(++bindings_);
      std::string line = std::string(Chance(50) ? "exit" : "goal") + " when " + event + " as " + binding;
      if (Chance(85)) line += " where " + ListenCondition(s, binding, event);
      Line(1, line);
    }
  }

  /// Often with a conjunct `binding.F == "lit"` on the string field the
  /// JIT's trigger dispatch indexes the event type on; rarely so deep that
  /// the journey never starts.
  std::string TriggerCondition(const Scope& s, const std::string& binding, const std::string& event) {
    static const std::map<std::string, std::pair<std::string, const Pool*>> kIndexed = {
        {"rx_written", {"brand", &kBrands}},     {"email_opened", {"template", &kTemplates}},
        {"visit", {"outcome", &kOutcomes}},      {"formulary_win", {"brand", &kBrands}},
        {"nudge", {"reason", &kReasons}}};
    std::string cond = Chance(50) ? BoolLeaf(s) : Bool(s, 2);
    if (Chance(40)) return cond;
    const auto& [field, pool] = kIndexed.at(event);
    std::string f = binding + "." + field, lit = Str(OneOf(*pool));
    std::string eq = Chance(75) ? f + " == " + lit : lit + " == " + f;
    switch (Pick(3)) {
      case 0: return eq;
      case 1: return eq + " && (" + cond + ")";
      default: return "(" + cond + ") && " + eq;
    }
  }

  std::string StartedJourney(int i) {
    out_.clear();
    vars_ = bindings_ = 0;
    Line(0, "import \"schemas\"");
    Line(0, "journey f" + std::to_string(i) + " for hcp {");
    Metadata(1);
    Scope s;
    s.customer = "hcp";
    s.Add("hcp", "hcp");
    s.atoms.push_back({"now", Type::kTime});
    ExitsAndGoals(s);
    Steps(s, 2, 1, 2 + static_cast<int>(Pick(3)));
    Line(0, "}");
    return out_;
  }

  std::string TriggeredJourney(int i) {
    out_.clear();
    vars_ = bindings_ = 0;
    Line(0, "import \"schemas\"");
    for (int f = 0; f < starts_; ++f) Line(0, "import \"f" + std::to_string(f) + "\"");
    Line(0, "journey j" + std::to_string(i) + " {");
    Metadata(1);
    // The kind: an hcp event; an account event fanned out to its hcps; an
    // account event for the account; the emitted `nudge`.
    uint64_t kind = Pick(20);
    std::string event;
    if (kind < 11) {
      static const char* kHcpEvents[] = {"rx_written", "rx_written", "email_opened", "visit"};
      event = kHcpEvents[Pick(4)];
    } else if (kind < 17) {
      event = kind < 15 ? "formulary_win" : "nudge";
    } else {
      event = "formulary_win";
    }
    bool fan_out = kind >= 11 && kind < 15;
    std::string binding = Chance(80) ? "e" : event;
    Scope trigger;
    trigger.Add(binding, event);
    trigger.atoms.push_back({"now", Type::kTime});
    // A trigger of an hcp event may read the hcp's profile (the JIT's
    // dispatch leaves that test to the engine).
    if (kind < 11 && Chance(35)) trigger.Add("hcp", "hcp");
    std::string on = "on " + event + (binding == event ? "" : " as " + binding);
    if (Chance(85)) on += " where " + TriggerCondition(trigger, binding, event);
    Line(1, on);

    Scope s = trigger;
    s.trigger = binding;
    s.customer = event == "formulary_win" && !fan_out ? "account" : "hcp";
    bool has_customer = false;
    for (const Atom& a : s.atoms) has_customer |= a.text.rfind(s.customer + ".", 0) == 0;
    if (!has_customer) s.Add(s.customer, s.customer);
    if (fan_out) {
      std::string tie = "hcp.account == " + binding + ".account";
      if (Chance(30)) tie = binding + ".account == hcp.account";
      std::string rest = Bool(s, 1);
      Line(1, "audience hcp where " + (Chance(70) ? tie + " && " + rest : rest + " && " + tie));
    }
    s.can_emit = event != "nudge";
    s.can_start = s.hcp();
    ExitsAndGoals(s);
    Steps(s, 2, 1, 2 + static_cast<int>(Pick(5)));
    Line(0, "}");
    return out_;
  }

  std::string Policy() {
    std::string p = "policy contact {\n";
    if (Chance(70))
      p += Chance(70) ? "  quiet_hours 21:00-07:00 local\n" : "  quiet_hours 20:00-08:00 local for [email, sms]\n";
    if (Chance(20)) p += "  quiet_hours 12:00-13:00 for [sms]\n";
    if (Chance(60)) p += "  cap email " + std::to_string(1 + Pick(3)) + " per 7d\n";
    if (Chance(50)) p += "  cap any " + std::to_string(2 + Pick(3)) + " per 1d\n";
    if (Chance(30)) p += "  cap [email, sms] 3 per 3d\n";
    if (Chance(80)) p += "  require consent\n";
    if (Chance(40)) p += Chance(50) ? "  arbitrate by priority within 2h\n" : "  arbitrate by priority\n";
    if (Chance(40)) p += "  dedupe for email within 3d\n";
    if (Chance(20)) p += "  dedupe within 1d\n";
    return p + "}\n";
  }

  // -- Data, as NDJSON lines.
  static std::string Quoted(const std::string& s) { return "\"" + s + "\""; }
  /// `,"key":value`, the value already JSON.
  static std::string Member(const std::string& key, const std::string& json) { return ",\"" + key + "\":" + json; }

  std::string StrList(const Pool& pool, int max) {
    std::string out = "[";
    int n = 0;
    for (const std::string& v : pool)
      if (n < max && Chance(45)) out += std::string(n++ ? ", " : "") + Quoted(v);
    return out + "]";
  }

  std::string Profiles() {
    std::string out;
    for (int i = 0; i < kAccounts; ++i)
      out += "{\"type\":\"account\"" + Member("id", Quoted("acc-" + std::to_string(i))) +
             Member("name", Quoted(OneOf(kNames))) + Member("kam", Quoted("kam-" + std::to_string(i % 2))) +
             Member("tier", std::to_string(Pick(4))) + "}\n";
    for (int i = 0; i < kHcps; ++i) {
      char id[16], score[32];
      std::snprintf(id, sizeof id, "hcp-%02d", i);
      std::snprintf(score, sizeof score, "%.2f", Chance(15) ? 0.0 : Between(-100, 200) / 100.0);  // 0/0: NaN
      std::string account = Chance(8) ? "acc-ghost" : "acc-" + std::to_string(Pick(kAccounts));
      std::string line = "{\"type\":\"hcp\"" + Member("id", Quoted(id)) + Member("name", Quoted(OneOf(kNames))) +
                         Member("account", Quoted(account)) + Member("specialty", Quoted(OneOf(kSpecialties))) +
                         Member("decile", std::to_string(Between(1, 10))) +
                         Member("visits", std::to_string(Chance(30) ? 0 : Between(1, 4))) + Member("score", score) +
                         Member("timezone", Quoted(Chance(5) ? "Mars/Olympus" : OneOf(kZones))) +
                         Member("consent", StrList(kConsent, 2)) +
                         Member("preferred_channel", Quoted(OneOf(kChannels))) +
                         Member("rep", Quoted("rep-" + std::to_string(Pick(2)))) + Member("tags", StrList(kTags, 2));
      switch (Pick(3)) {  // set, null or left out
        case 0: line += Member("npi", Quoted(OneOf(kNpis))); break;
        case 1: line += Member("npi", "null"); break;
        default: break;
      }
      if (Chance(50)) line += Member("rating", std::to_string(Between(0, 5)));
      if (Chance(50))
        line += Member("last_visit", Quoted(Rfc3339(kStartSeconds - static_cast<int64_t>(Pick(60 * 86400)))));
      std::string stats;
      for (const std::string& k : kStats)
        if (Chance(60)) stats += std::string(stats.empty() ? "" : ",") + Quoted(k) + ":" + std::to_string(Pick(4));
      out += line + Member("stats", "{" + stats + "}") + "}\n";
    }
    static const char* kStaffIds[kStaff] = {"kam-0", "kam-1", "rep-0", "rep-1", "st-4", "st-5"};
    for (const char* id : kStaffIds)
      out += "{\"type\":\"staff\"" + Member("id", Quoted(id)) + Member("role", Quoted(OneOf(kRoles))) +
             Member("brands", StrList(kBrands, 3)) + Member("load", std::to_string(Pick(10))) +
             Member("available", Chance(70) ? "true" : "false") + "}\n";
    return out;
  }

  std::string HcpRef() {
    if (Chance(3)) return Quoted("hcp-99");  // no such profile
    char id[16];
    std::snprintf(id, sizeof id, "hcp-%02d", static_cast<int>(Pick(kHcps)));
    return Quoted(id);
  }

  std::string Events() {
    std::string out;
    int64_t t = kStartSeconds + static_cast<int64_t>(Pick(86400));
    for (int i = 0; i < kEvents; ++i) {
      // Often at the same instant as the one before; sometimes hours later.
      if (!Chance(15)) t += static_cast<int64_t>(Pick(Chance(70) ? 3 * 3600 : 30 * 3600));
      std::string line;
      uint64_t kind = Pick(100);
      if (kind < 40) {
        char amount[32];
        if (Chance(20)) std::snprintf(amount, sizeof amount, "%d", Between(0, 120));  // a double written as an int
        else std::snprintf(amount, sizeof amount, "%.2f", Between(0, 12000) / 100.0);
        line = "{\"type\":\"rx_written\"" + Member("hcp", HcpRef()) + Member("brand", Quoted(OneOf(kBrands))) +
               Member("amount", amount) + Member("units", std::to_string(Between(0, 8))) +
               Member("region", Quoted(OneOf(kRegions))) + Member("batch", std::to_string(Pick(6)));
        if (Chance(40)) line += Member("coupon", Quoted(OneOf(kCoupons)));
        else if (Chance(30)) line += Member("coupon", "null");
        if (Chance(50)) line += Member("refills", std::to_string(Between(0, 5)));
        static const char* kExtras[] = {"\"x\"", "3", "2.5", "true", "\"GLIDIM\"", "null", "0", "-1.5"};
        if (Chance(60)) line += Member("extra", kExtras[Pick(8)]);
      } else if (kind < 68) {
        line = "{\"type\":\"email_opened\"" + Member("hcp", HcpRef()) + Member("template", Quoted(OneOf(kTemplates))) +
               Member("brand", Quoted(OneOf(kBrands)));
      } else if (kind < 85) {
        line = "{\"type\":\"visit\"" + Member("hcp", HcpRef()) + Member("outcome", Quoted(OneOf(kOutcomes))) +
               Member("minutes", std::to_string(Between(0, 60)));
        if (Chance(50)) line += Member("rating", DoubleLit(0, 5));
      } else if (kind < 93) {
        std::string account = Chance(10) ? "acc-ghost" : "acc-" + std::to_string(Pick(kAccounts));
        line = "{\"type\":\"formulary_win\"" + Member("account", Quoted(account)) +
               Member("brand", Quoted(OneOf(kBrands))) + Member("plan", Quoted(OneOf(kPlans))) +
               Member("tier", std::to_string(Pick(4)));
      } else {
        line = "{\"type\":\"nudge\"" + Member("hcp", HcpRef()) + Member("level", std::to_string(Pick(4))) +
               Member("reason", Quoted(OneOf(kReasons)));
      }
      out += line + Member("at", Quoted(Rfc3339(t))) + "}\n";
    }
    return out;
  }

  std::mt19937_64 rng_;
  std::string out_;        // the journey being written
  bool in_message_ = false;  // inside a message's `{...}`
  int vars_ = 0;           // `let` names used in this journey
  int bindings_ = 0;       // wait, exit and goal bindings used in this journey
  int starts_ = 0;         // journeys f0.. that others may start
};

/// A case's profiles or events, decoded (a line that does not decode is a
/// bug of the generator, and fails the test).
std::vector<Record> Decode(const SchemaTable& schemas, const std::string& ndjson, Accept accept) {
  std::istringstream in(ndjson);
  DecodeOptions options;
  options.accept = accept;
  DecodedFile f = DecodeFile(schemas, in, options);
  for (const auto& e : f.errors) ADD_FAILURE() << "a generated line does not decode: " << e.ToString();
  return std::move(f.records);
}

}  // namespace
}  // namespace tutti::runtime
