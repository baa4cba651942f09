# kiln_add_model(<name> <model.kiln> [TARGET <target>] [DATA_PARALLEL] [KILNC_FLAGS <flag>...])
#
# Compiles a model file with kilnc as part of the build and defines a static
# library target <name> that an app links: it carries the generated header
# <name>.h (class <Name> : kiln::CompiledModel) and the Kiln runtime. <name> is
# the name the file declares with `model <name>`, or the one given to kilnc
# with `KILNC_FLAGS --model-name <name>`; any other name is a configure-time
# error that says which name the file declares. Other KILNC_FLAGS (for
# example --no-fuse-updates) are passed to kilnc as they are. TARGET chooses
# the CPU features of the kernels (kilnc --target): host (the default) or a
# Halide target such as x86-64-linux-avx2 for a library that must run on
# other CPUs of this kind. DATA_PARALLEL compiles the model for data-parallel
# training over MPI (kilnc --data-parallel) and links Kiln::Distributed: the
# app gives its kiln::Trainer a kiln::ProcessGroup (kiln/Distributed.h), or
# calls kiln::runMainDataParallel; configuring fails when Kiln has no MPI.
#
# The same function serves Kiln's own build and projects that use an installed
# Kiln through find_package(Kiln) (see docs/cmake.md): both define the targets
# Kiln::kilnc and Kiln::Runtime (in-tree, aliases of kilnc and KilnRuntime).
# The model is recompiled when the model file or kilnc changes.

# The generated files are named after the model; a target named otherwise
# would compile, then fail for a missing <name>.h. Checks <name> against
# --model-name in `kilnc_flags`, else against the file's `model` line, and
# re-runs the check when the file changes.
function(_kiln_check_model_name name model_file kilnc_flags)
  if(NOT EXISTS "${model_file}")
    message(FATAL_ERROR "kiln_add_model(${name}): no model file ${model_file}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${model_file}")
  set(given "")
  list(FIND kilnc_flags "--model-name" at)
  if(at GREATER -1)
    math(EXPR at "${at} + 1")
    list(LENGTH kilnc_flags count)
    if(at LESS count)
      list(GET kilnc_flags ${at} given)
    endif()
  endif()
  foreach(flag IN LISTS kilnc_flags)
    if(flag MATCHES "^--model-name=(.*)$")
      set(given "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  if(NOT given STREQUAL "")
    if(NOT given STREQUAL name)
      message(FATAL_ERROR "kiln_add_model(${name}): KILNC_FLAGS --model-name ${given} names "
        "the generated files ${given}.h and lib${given}.a; name the target ${given}")
    endif()
    return()
  endif()
  file(STRINGS "${model_file}" declaration REGEX "^[ \t]*model[ \t]+[A-Za-z_][A-Za-z0-9_]*"
    LIMIT_COUNT 1)
  if(NOT declaration MATCHES "^[ \t]*model[ \t]+([A-Za-z_][A-Za-z0-9_]*)")
    return() # no model line: kilnc says what is wrong with the file
  endif()
  if(NOT CMAKE_MATCH_1 STREQUAL name)
    message(FATAL_ERROR "kiln_add_model(${name}): ${model_file} declares 'model "
      "${CMAKE_MATCH_1}', whose generated files are ${CMAKE_MATCH_1}.h and "
      "lib${CMAKE_MATCH_1}.a: name the target ${CMAKE_MATCH_1}, or pass "
      "KILNC_FLAGS --model-name ${name} to rename the model")
  endif()
endfunction()

function(kiln_add_model name model_file)
  cmake_parse_arguments(ARG "DATA_PARALLEL" "TARGET" "KILNC_FLAGS" ${ARGN})
  if(ARG_TARGET)
    list(APPEND ARG_KILNC_FLAGS "--target=${ARG_TARGET}")
  endif()
  set(runtime_libraries Kiln::Runtime)
  if(ARG_DATA_PARALLEL)
    if(NOT TARGET Kiln::Distributed)
      message(FATAL_ERROR "kiln_add_model(${name} DATA_PARALLEL): this Kiln was built without "
        "MPI (no Kiln::Distributed); install openmpi-bin and libopenmpi-dev and rebuild Kiln")
    endif()
    list(APPEND ARG_KILNC_FLAGS "--data-parallel")
    set(runtime_libraries Kiln::Distributed Kiln::Runtime)
  endif()
  if(NOT TARGET Kiln::kilnc OR NOT TARGET Kiln::Runtime)
    message(FATAL_ERROR "kiln_add_model(${name}): targets Kiln::kilnc and Kiln::Runtime "
      "are not defined; call find_package(Kiln) first")
  endif()
  get_filename_component(model_file "${model_file}" ABSOLUTE)
  _kiln_check_model_name("${name}" "${model_file}" "${ARG_KILNC_FLAGS}")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/kiln_${name}")
  file(MAKE_DIRECTORY "${out}")
  add_custom_command(
    OUTPUT "${out}/lib${name}.a" "${out}/${name}.h"
    COMMAND $<TARGET_FILE:Kiln::kilnc> "${model_file}" --emit=lib -o "${out}" ${ARG_KILNC_FLAGS}
    DEPENDS "${model_file}" Kiln::kilnc
    COMMENT "kilnc: compiling model ${name}"
    VERBATIM)
  add_custom_target(${name}_kilnc DEPENDS "${out}/lib${name}.a" "${out}/${name}.h")
  add_library(${name} STATIC IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION "${out}/lib${name}.a"
    INTERFACE_INCLUDE_DIRECTORIES "${out}"
    INTERFACE_LINK_LIBRARIES "${runtime_libraries};Threads::Threads;${CMAKE_DL_LIBS}")
  add_dependencies(${name} ${name}_kilnc)
endfunction()
