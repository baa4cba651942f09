#!/bin/sh
# Builds test case DIR/CASE.kiln for OpenCL and checks its gradients:
#   gradcheck_case.sh KILNC DIR CASE BATCH RUNTIME_LIBRARY [KILNC_FLAG...]
# DIR/gradcheck_app.o is Inputs/gradcheck_app.cpp, compiled against any
# case's header (every case is `model m`: the same class).
set -e
kilnc=$1 dir=$2 case=$3 batch=$4 runtime=$5
shift 5
"$kilnc" "$dir/$case.kiln" --target=opencl "$@" --emit=lib -o "$dir/$case"
c++ "$dir/gradcheck_app.o" "$dir/$case/libm.a" "$runtime" -lz -lpthread -ldl -o "$dir/$case/gradcheck"
"$dir/$case/gradcheck" "$batch" 1e-2
