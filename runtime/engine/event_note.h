#pragma once
// What the engine tells about an event as it joins a customer's history,
// beyond the 24-byte Interaction it keeps: the whole record. The engine
// only hands these out (Engine::TakeEventNotes) when asked to
// (EngineOptions::note_events); the daemon's history journal keeps them,
// so that a history page shows an event with its fields.

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/eval/value.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

struct EventNote {
  Instant at = 0;
  std::string type;
  compiler::eval::Value record;  // the event as a record value, `at` included
  /// The customer whose history it joined: its profile and key, and its
  /// place among that history's entries at `at` (0 for the first), which
  /// the same inputs give again in a replay.
  std::string profile, customer;
  uint32_t ordinal = 0;
  /// The customer's account, whose history gathers its prescribers' (empty
  /// when it has none), and the event's place among its entries at `at`.
  std::string account;
  uint32_t account_ordinal = 0;
  /// The shard the engine that noted it runs as: an account's entries are
  /// spread over the shards, each with its own places.
  uint32_t shard = 0;
  /// Record::input of the event, or of the one whose processing emitted it.
  std::optional<uint64_t> input;
};

}  // namespace tutti::runtime
