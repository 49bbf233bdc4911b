#pragma once
// GET /v1/actions on a Kafka cluster (docs/cluster.md, "Delivery"): each
// node delivers a share of the actions topic and holds what it read in its
// own delivery outbox, numbered in the order it read them. Each node
// answers GET /v1/cluster/actions with a page of its outbox after its own
// cursor; the node asked merges the pages in the order the actions were
// made (their time, then node and number) and hands out one cursor that
// holds every node's place. A part is read back from another node's
// answer, so checked for shape and bounded by its bytes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/daemon/reply.h"

namespace tutti::runtime {

/// A place in each node's outbox: what was shown up to, by node name, with
/// the node's incarnation (a node started again numbers its outbox afresh,
/// so an older place is no place in it).
struct ActionsCursor {
  struct Place {
    std::string incarnation;
    uint64_t seq = 0;
  };
  std::map<std::string, Place> nodes;
};

/// "c" then, for each node, its name in hex, ".", the incarnation, ".",
/// the number, joined by "-"; "" (or "0", one daemon's start) is the
/// start. Nullopt for anything else, or for more than 1,000 nodes.
std::optional<ActionsCursor> ParseActionsCursor(std::string_view text);
std::string FormatActionsCursor(const ActionsCursor& cursor);

struct ActionsPart {
  std::string node, incarnation;
  /// The actions after the node's place the filter let through (each
  /// with its `seq` and `delivery`), in the outbox's order.
  std::vector<Json> actions;
  uint64_t next = 0;     // the last number looked at
  uint64_t trimmed = 0;  // actions after the node's place no longer held
};

/// A node's answer: its page, each line the action's own JSON (with `seq`
/// and `delivery`) as the outbox gives it.
std::string EncodeActionsPart(const std::string& node, const std::string& incarnation,
                              const std::vector<std::string>& lines, uint64_t next, uint64_t trimmed);
/// Nullopt when `text` is not a part (every action an object with a
/// whole `seq` and a text `at`).
std::optional<ActionsPart> DecodeActionsPart(std::string_view text);

/// The page of at most `limit` actions the parts make after `after`, in
/// the order they were made (the earliest of the nodes' next ones, by time
/// then node: each node's in its own order), each naming its `node`;
/// `next` holds every node's place after it, `trimmed` how many were no
/// longer held.
struct ActionsPage {
  std::vector<Json> actions;
  std::string next;
  uint64_t trimmed = 0;
};
ActionsPage MergeActionsParts(std::vector<ActionsPart> parts, const ActionsCursor& after, size_t limit);

}  // namespace tutti::runtime
