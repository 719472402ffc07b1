#include <Userland/Drivers/Ps2/MousePacket.h>

namespace Mouse {

bool PacketDecoder::feed(uint8_t byte, Motion& motion)
{
    constexpr uint8_t always_set = 1u << 3;
    constexpr uint8_t x_sign = 1u << 4;
    constexpr uint8_t y_sign = 1u << 5;
    constexpr uint8_t overflows = (1u << 6) | (1u << 7);
    // A first byte always has bit 3 set: anything else is a lost byte's aftermath.
    if (m_count == 0 && !(byte & always_set))
        return false;
    m_bytes[m_count++] = byte;
    if (m_count < m_length)
        return false;
    m_count = 0;
    uint8_t flags = m_bytes[0];
    if (flags & overflows)
        return false;
    // Nine-bit two's complement: the sign bits are in the first byte.
    motion.dx = static_cast<int16_t>(static_cast<int16_t>(m_bytes[1]) - ((flags & x_sign) ? 256 : 0));
    motion.dy = static_cast<int16_t>(static_cast<int16_t>(m_bytes[2]) - ((flags & y_sign) ? 256 : 0));
    motion.buttons = flags & (Left | Right | Middle);
    motion.wheel = 0;
    if (m_length == 4) {
        // The low four bits, two's complement.
        int8_t nibble = static_cast<int8_t>(m_bytes[3] & 0x0F);
        motion.wheel = static_cast<int8_t>(nibble >= 8 ? nibble - 16 : nibble);
    }
    return true;
}

} // namespace Mouse
