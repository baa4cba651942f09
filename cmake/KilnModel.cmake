# kiln_add_model(<name> <model.kiln> [KILNC_FLAGS <flag>...])
#
# Compiles a model file with kilnc as part of the build and defines a static
# library target <name> that an app links: it carries the generated header
# <name>.h (class <Name> : kiln::CompiledModel) and the Kiln runtime. <name> is
# the name the file declares with `model <name>`, or the one given to kilnc
# with `KILNC_FLAGS --model-name <name>`. Other KILNC_FLAGS (for example
# --no-fuse-updates) are passed to kilnc as they are.
#
# The same function serves Kiln's own build and projects that use an installed
# Kiln through find_package(Kiln) (see docs/cmake.md): both define the targets
# Kiln::kilnc and Kiln::Runtime (in-tree, aliases of kilnc and KilnRuntime).
# The model is recompiled when the model file or kilnc changes.
function(kiln_add_model name model_file)
  cmake_parse_arguments(ARG "" "" "KILNC_FLAGS" ${ARGN})
  if(NOT TARGET Kiln::kilnc OR NOT TARGET Kiln::Runtime)
    message(FATAL_ERROR "kiln_add_model(${name}): targets Kiln::kilnc and Kiln::Runtime "
      "are not defined; call find_package(Kiln) first")
  endif()
  get_filename_component(model_file "${model_file}" ABSOLUTE)
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
    INTERFACE_LINK_LIBRARIES "Kiln::Runtime;Threads::Threads;${CMAKE_DL_LIBS}")
  add_dependencies(${name} ${name}_kilnc)
endfunction()
