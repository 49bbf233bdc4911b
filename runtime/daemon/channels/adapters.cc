// The channel adapters the daemon knows: add a new kind here.

#include "runtime/daemon/channels/adapter.h"
#include "runtime/daemon/channels/smtp.h"
#include "runtime/daemon/channels/webhook.h"

namespace tutti::runtime {

const std::vector<const ChannelAdapter*>& ChannelAdapters() {
  static const std::vector<const ChannelAdapter*> adapters = {&WebhookAdapter(), &SmtpAdapter()};
  return adapters;
}

}  // namespace tutti::runtime
