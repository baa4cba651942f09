# Imported target for Debian's Halide 14 (libhalide14-0-dev), declared by hand.
# Do not use find_package(Halide): its config calls find_dependency(LLVM 14) and replaces the
# LLVM 22 configuration that MLIR has loaded.
find_library(KILN_HALIDE_LIBRARY NAMES libHalide14.so.0 Halide14 Halide
  PATHS /usr/lib/x86_64-linux-gnu REQUIRED)
# The autoscheduler plugins of the same package (kilnc --autoschedule), loaded at run time.
get_filename_component(KILN_HALIDE_LIBRARY_DIR "${KILN_HALIDE_LIBRARY}" DIRECTORY)
set(KILN_HALIDE_PLUGIN_DIR "${KILN_HALIDE_LIBRARY_DIR}/halide14" CACHE PATH
    "Directory of Halide's libautoschedule_*.so plugins")
find_path(KILN_HALIDE_INCLUDE_DIR Halide.h PATHS /usr/include/halide14 NO_DEFAULT_PATH REQUIRED)
add_library(Kiln::Halide SHARED IMPORTED GLOBAL)
set_target_properties(Kiln::Halide PROPERTIES
  IMPORTED_LOCATION "${KILN_HALIDE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${KILN_HALIDE_INCLUDE_DIR}")
# Header-only view of the Halide runtime API (HalideBuffer.h, HalideRuntime.h) for code that
# links generated objects but not libHalide.
add_library(Kiln::HalideRuntimeHeaders INTERFACE IMPORTED GLOBAL)
set_target_properties(Kiln::HalideRuntimeHeaders PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${KILN_HALIDE_INCLUDE_DIR}")
