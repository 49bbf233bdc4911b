#pragma once
// Splitting the customers over several engines (runtime/engine/shards.h).
// Each engine of N takes every input but starts, resumes and records only
// for the customers it owns: those whose (profile, key) hashes to it. That
// gives the decisions one engine would make only when no journey reaches
// past its own customer, which WhyOneShard checks on the program:
//
//   - a send goes to the journey's customer (a `to` naming anyone else
//     would read and write a history kept by another engine);
//   - an `emit` is keyed by the journey's customer, and no journey fans
//     that event out over an audience or routes it by a field to another
//     customer (emitted events stay in the engine that emitted them), in
//     this version or in one still running;
//   - engagement(), interactions() and days_since_last_contact() read the
//     journey's own customer, never a routing candidate, and never an
//     account (whose history gathers its prescribers', spread over the
//     engines);
//   - a journey for accounts sends on no channel that a cap, dedupe or
//     arbitration rule covers (they read that gathered history too).
//
// Profiles are kept whole in every engine: audiences, routing and quiet
// hours read them wherever the instance runs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/journey_ir.h"

namespace tutti::runtime {

/// The engine (of `shards`) that owns the customer of `profile` keyed
/// `key`: the same on every machine and in every run.
uint32_t ShardOf(std::string_view profile, std::string_view key, uint32_t shards);

/// The partition (of `partitions`) that Kafka's Java clients and
/// librdkafka's `murmur2_random` partitioner give a record keyed `key`:
/// murmur2 of the key's bytes, its sign bit cleared, modulo the count. In
/// cluster mode a customer lives in the partition of its key
/// (docs/cluster.md), so any standard producer that keys by customer id
/// writes where its customer's state is.
uint32_t KafkaPartitionOf(std::string_view key, uint32_t partitions);

/// Why some journey of `journeys` reaches customers other than the one
/// `event` is keyed by ("journey NAME fans it out over an audience", or
/// routes it by a field), or nullopt. Such an event goes to every engine
/// (and, in the cluster, to every partition, docs/cluster.md).
std::optional<std::string> ReachesOthers(const std::vector<const compiler::ir::Journey*>& journeys,
                                         const std::string& event);

/// Why `program` must run on one engine ("journey NAME, step ID: ..."), or
/// nullopt when its customers can be split over several. `running`: the
/// journeys of the versions engines already run (a reload), whose
/// instances and events emitted for later go on meeting the new ones.
std::optional<std::string> WhyOneShard(const compiler::ir::Program& program,
                                       const std::vector<const compiler::ir::Journey*>& running = {});

}  // namespace tutti::runtime
