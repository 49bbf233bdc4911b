#pragma once
// What GET /v1/actions asks for, on one daemon and on every node of a
// cluster alike (http_api.h reads it from the query).

#include <cstddef>
#include <string>

namespace tutti::runtime {

/// At most `limit` actions (1 to 100,000, default 1,000); only those in
/// state `delivery` (pending, delivered, failed, dead_letter, handed_over)
/// and of `customer` (at most kMaxCustomerBytes), when given.
struct ActionsQuery {
  static constexpr size_t kMaxCustomerBytes = 1024;
  size_t limit = 1000;
  std::string delivery;
  std::string customer;
};

}  // namespace tutti::runtime
