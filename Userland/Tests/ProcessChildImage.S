// The child program's executable, carried inside the process tests' own image so that they
// can start it with process_start without any file system. PROCESS_CHILD_IMAGE is its path,
// which the build passes in (Userland/CMakeLists.txt).

    .section .rodata, "a"
    .balign 16
    .global process_child_image
process_child_image:
    .incbin PROCESS_CHILD_IMAGE
    .global process_child_image_end
process_child_image_end:
    .section .note.GNU-stack, "", @progbits
