// Fuzz target: the bytes a PS/2 mouse sends (Userland/Drivers/Ps2/MousePacket.h). Whatever
// they are, every motion decoded has nine-bit counters, only defined buttons and a four-bit
// wheel.

#include <Userland/Drivers/Ps2/MousePacket.h>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    Mouse::PacketDecoder decoder((data[0] & 1) != 0);
    for (size_t index = 1; index < size; ++index) {
        Mouse::Motion motion {};
        if (!decoder.feed(data[index], motion))
            continue;
        if (motion.dx < -256 || motion.dx > 255 || motion.dy < -256 || motion.dy > 255 || motion.buttons > 7
            || motion.wheel < -8 || motion.wheel > 7)
            __builtin_trap();
    }
    return 0;
}
