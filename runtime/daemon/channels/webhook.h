#pragma once
// The webhook adapter: each action of the channel is an HTTP or HTTPS POST
// of its JSON (with the content rendered for the recipient) to the route's
// URL, its idempotency key in an `Idempotency-Key` header; a 2xx answer
// delivers it. Config: {"webhooks": {"CHANNEL": {"url": ..., "ca_file": ...}}}.

#include <string>

#include "runtime/daemon/channels/adapter.h"
#include "runtime/daemon/channels/connection.h"

namespace tutti::runtime {

/// A webhook route's URL, and the CAs an https receiver is verified against.
struct WebhookTarget : NetworkTarget {
  std::string path = "/";  // with the query, as sent in the request line
  bool tls = false;        // an https URL
  /// Parses "http://host[:port][/path]" or "https://..." (port 443 unless
  /// given); false for anything else.
  bool SetUrl(const std::string& url);
};

const ChannelAdapter& WebhookAdapter();

}  // namespace tutti::runtime
