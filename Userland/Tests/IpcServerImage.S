// The IPC benchmark server's executable, carried inside the benchmark's own image so that
// it can start the server with process_start. IPC_SERVER_IMAGE is its path, which the build
// passes in (Userland/CMakeLists.txt).

    .section .rodata, "a"
    .balign 16
    .global ipc_server_image
ipc_server_image:
    .incbin IPC_SERVER_IMAGE
    .global ipc_server_image_end
ipc_server_image_end:
    .section .note.GNU-stack, "", @progbits
