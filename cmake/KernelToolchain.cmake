# Toolchain for the freestanding x86_64 kernel: clang for C++ and assembly, ld.lld to link.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

find_program(RAEEN_CLANGXX NAMES clang++ clang++-14 REQUIRED)
find_program(RAEEN_CLANG NAMES clang clang-14 REQUIRED)
find_program(RAEEN_LLD NAMES ld.lld ld.lld-14 REQUIRED)

set(CMAKE_CXX_COMPILER ${RAEEN_CLANGXX})
set(CMAKE_ASM_COMPILER ${RAEEN_CLANG})
set(CMAKE_LINKER ${RAEEN_LLD})
set(CMAKE_CXX_COMPILER_TARGET x86_64-unknown-none-elf)
set(CMAKE_ASM_COMPILER_TARGET x86_64-unknown-none-elf)

# The compiler cannot link a test program without a C library; only compile checks.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# The kernel links with ld.lld directly and its own linker script.
set(CMAKE_CXX_LINK_EXECUTABLE "<CMAKE_LINKER> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")
