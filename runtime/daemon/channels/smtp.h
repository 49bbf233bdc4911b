#pragma once
// The SMTP adapter: each action of the channel is an e-mail (mime.h: the
// template rendered for the recipient, text and HTML) through the route's
// relay to the recipient profile's `email` field, its idempotency key as
// the Message-ID; over STARTTLS and with AUTH PLAIN when configured. The
// relay's 250 after DATA delivers it. Config: {"smtp": {"CHANNEL":
// {"relay": "host:port", "from": ..., ...}}}.

#include <string>

#include "runtime/daemon/channels/adapter.h"
#include "runtime/daemon/channels/connection.h"

namespace tutti::runtime {

/// An SMTP route: the relay, the sender, and how to log in.
struct SmtpTarget : NetworkTarget {
  std::string from;         // the sender address
  std::string unsubscribe;  // List-Unsubscribe's https URL or mailto (empty: mailto the sender)
  bool starttls = false;    // secure the connection with STARTTLS, or fail the attempt
  std::string username;     // AUTH PLAIN after STARTTLS; empty: no login
  std::string password_file, password;  // the file, and once read (ReadFiles) its first line
  /// Parses "host:port" as the relay; false for anything else.
  bool SetRelay(const std::string& relay);
};

const ChannelAdapter& SmtpAdapter();

}  // namespace tutti::runtime
