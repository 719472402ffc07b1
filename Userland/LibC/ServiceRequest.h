#pragma once

// Reading requests on a service's channel (the device manager's, the RTC service's): every
// message is read whole, whatever it holds, since one left unread would stay at the head of
// the queue and keep the channel Readable for ever.

#include <Core/Span.h>
#include <stdint.h>

namespace LibC {

struct ServiceRequest {
    Core::ReadonlyBytes bytes;
    // The header is well formed and asks for an answer (not a reply, a transaction id):
    // whatever the message is, its caller waits for a reply with that id.
    bool wants_reply;
    uint64_t transaction_id;
};

// Reads the channel's next message into `buffer` (ABI::channel_maximum_message_bytes bytes)
// and closes the handles it carried, which services of plain requests have no use for.
// False when there is nothing to read.
bool read_service_request(uint32_t channel, uint8_t* buffer, ServiceRequest& request);

} // namespace LibC
