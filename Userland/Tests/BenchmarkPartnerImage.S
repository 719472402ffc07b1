// The process benchmarks' partner executable, carried inside the benchmark's own image so
// that it can start it with process_start. BENCHMARK_PARTNER_IMAGE is its path, which the
// build passes in (Userland/CMakeLists.txt).

    .section .rodata, "a"
    .balign 16
    .global benchmark_partner_image
benchmark_partner_image:
    .incbin BENCHMARK_PARTNER_IMAGE
    .global benchmark_partner_image_end
benchmark_partner_image_end:
    .section .note.GNU-stack, "", @progbits
