#pragma once

// A PS/2 mouse's movement packets (the standard 3-byte packet, and the IntelliMouse 4-byte
// one with a wheel), decoded as the bytes come. The bytes are the device's: a byte that
// cannot start a packet is dropped until one can, and a packet whose counters overflowed
// is discarded. Pure, so that host tests and a fuzz target (Tests/Fuzz/MousePacketFuzzer.cpp)
// cover it.

#include <stddef.h>
#include <stdint.h>

namespace Mouse {

enum Button : uint8_t {
    Left = 1u << 0,
    Right = 1u << 1,
    Middle = 1u << 2,
};

struct Motion {
    int16_t dx; // right is positive
    int16_t dy; // up is positive, as the mouse reports it
    int8_t wheel; // towards the user is positive (IntelliMouse); 0 without a wheel
    uint8_t buttons; // Button bits held
};

class PacketDecoder {
public:
    // `has_wheel`: the mouse answered the IntelliMouse sequence (ID 3), so packets are 4 bytes.
    explicit PacketDecoder(bool has_wheel)
        : m_length(has_wheel ? 4 : 3)
    {
    }

    // Takes one byte; true when it completed a packet, which is written to `motion`.
    bool feed(uint8_t byte, Motion& motion);

private:
    uint8_t m_bytes[4] {};
    size_t m_count { 0 };
    size_t m_length;
};

} // namespace Mouse
