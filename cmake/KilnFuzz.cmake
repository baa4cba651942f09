# The libFuzzer build of the fuzz targets (test/fuzz).
#
# libFuzzer comes with clang, and this tree is built with the system's C++
# compiler (g++), so the fuzzers are a second build of the same sources:
# KILN_FUZZ_ONLY=ON, clang, -fsanitize=fuzzer-no-link,address,undefined, in
# ${KILN_BINARY_DIR}/fuzz. It builds only the front end, the dialect, the
# training passes, the runtime library and the two fuzz targets.
#
# KILN_FUZZ: ON (default where clang can link a libFuzzer program) adds that
# build as the target kiln-fuzzers, part of `all`, and the tests
# fuzz_model_short and fuzz_data_short.

if(KILN_FUZZ_ONLY)
  # Inside the fuzz build itself.
  set(flags "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all")
  string(APPEND flags " -fno-omit-frame-pointer -gline-tables-only")
  string(APPEND CMAKE_C_FLAGS " ${flags}")
  string(APPEND CMAKE_CXX_FLAGS " ${flags}")
  string(APPEND CMAKE_EXE_LINKER_FLAGS " -fsanitize=address,undefined")
  return()
endif()

find_program(KILN_FUZZ_CLANGXX NAMES clang++ clang++-14)
find_program(KILN_FUZZ_CLANG NAMES clang clang-14)
set(can_fuzz OFF)
if(KILN_FUZZ_CLANGXX AND KILN_FUZZ_CLANG)
  set(probe ${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/kiln_fuzz_probe.cpp)
  file(WRITE ${probe}
    "#include <cstddef>\n#include <cstdint>\n"
    "extern \"C\" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) { return 0; }\n")
  execute_process(
    COMMAND ${KILN_FUZZ_CLANGXX} -fsanitize=fuzzer,address,undefined ${probe}
            -o ${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/kiln_fuzz_probe
    RESULT_VARIABLE probe_result OUTPUT_QUIET ERROR_QUIET)
  if(probe_result EQUAL 0)
    set(can_fuzz ON)
  endif()
endif()
option(KILN_FUZZ "Build the fuzz targets with clang's libFuzzer and run them briefly in the tests"
  ${can_fuzz})
if(NOT KILN_FUZZ)
  return()
endif()
if(NOT can_fuzz)
  message(FATAL_ERROR "KILN_FUZZ needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev)")
endif()

include(ExternalProject)
ExternalProject_Add(kiln-fuzzers
  SOURCE_DIR ${CMAKE_CURRENT_SOURCE_DIR}
  BINARY_DIR ${CMAKE_CURRENT_BINARY_DIR}/fuzz
  CMAKE_ARGS
    -DKILN_FUZZ_ONLY=ON
    -DCMAKE_BUILD_TYPE=Debug
    -DCMAKE_C_COMPILER=${KILN_FUZZ_CLANG}
    -DCMAKE_CXX_COMPILER=${KILN_FUZZ_CLANGXX}
    -DCMAKE_C_FLAGS=-O1
    -DCMAKE_CXX_FLAGS=-O1
  BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target kiln-fuzz-model kiln-fuzz-data
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON
  LOG_CONFIGURE ON
  LOG_BUILD ON
  LOG_OUTPUT_ON_FAILURE ON)
