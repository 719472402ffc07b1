// The memory probe's executable (MemoryProbe.cpp), carried inside the memory tests' own
// image so that they can start it with process_start without any file system.
// MEMORY_PROBE_IMAGE is its path, which the build passes in (Userland/CMakeLists.txt).

    .section .rodata, "a"
    .balign 16
    .global memory_probe_image
memory_probe_image:
    .incbin MEMORY_PROBE_IMAGE
    .global memory_probe_image_end
memory_probe_image_end:
    .section .note.GNU-stack, "", @progbits
