/* Counts the OpenCL calls that move data between host and device, and the
 * device buffers made and released, in a program run with LD_PRELOAD naming
 * this library; writes the counts at exit to the file $CL_COUNTS (else to
 * stderr), one "name calls bytes" line each.
 *
 * Halide's OpenCL runtime looks each OpenCL function up in the whole process
 * first (dlsym with a null handle) and opens libOpenCL.so only when that
 * fails. This library opens the loader into the process's global scope when
 * it loads, so every lookup succeeds there, and the lookups of the functions
 * below find these definitions, which forward to the loader's. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

enum { Writes, Reads, DeviceCopies, Maps, Created, Released, Counters };
static const char *const names[Counters] = {"uploads", "downloads", "device-copies",
                                            "maps",    "created",   "released"};
static long calls[Counters];
static long long bytes[Counters];
static void *loader;

__attribute__((constructor)) static void openLoader(void) {
  loader = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_GLOBAL);
}

static void *real(const char *name) {
  void *fn = loader ? dlsym(loader, name) : NULL;
  if (!fn) {
    fprintf(stderr, "count_cl_copies: no %s in libOpenCL.so.1\n", name);
    abort();
  }
  return fn;
}

static void count(int counter, size_t size) {
  __atomic_add_fetch(&calls[counter], 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&bytes[counter], (long long)size, __ATOMIC_RELAXED);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("CL_COUNTS");
  FILE *out = path ? fopen(path, "w") : stderr;
  if (!out)
    return;
  for (int c = 0; c < Counters; ++c)
    fprintf(out, "%s %ld %lld\n", names[c], calls[c], bytes[c]);
  if (out != stderr)
    fclose(out);
}

cl_int clEnqueueWriteBuffer(cl_command_queue q, cl_mem b, cl_bool blocking, size_t offset,
                            size_t size, const void *ptr, cl_uint n, const cl_event *wait,
                            cl_event *event) {
  count(Writes, size);
  return ((cl_int(*)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, const void *, cl_uint,
                     const cl_event *, cl_event *))real("clEnqueueWriteBuffer"))(
      q, b, blocking, offset, size, ptr, n, wait, event);
}

cl_int clEnqueueReadBuffer(cl_command_queue q, cl_mem b, cl_bool blocking, size_t offset,
                           size_t size, void *ptr, cl_uint n, const cl_event *wait,
                           cl_event *event) {
  count(Reads, size);
  return ((cl_int(*)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, void *, cl_uint,
                     const cl_event *, cl_event *))real("clEnqueueReadBuffer"))(
      q, b, blocking, offset, size, ptr, n, wait, event);
}

cl_int clEnqueueCopyBuffer(cl_command_queue q, cl_mem src, cl_mem dst, size_t srcOffset,
                           size_t dstOffset, size_t size, cl_uint n, const cl_event *wait,
                           cl_event *event) {
  count(DeviceCopies, size);
  return ((cl_int(*)(cl_command_queue, cl_mem, cl_mem, size_t, size_t, size_t, cl_uint,
                     const cl_event *, cl_event *))real("clEnqueueCopyBuffer"))(
      q, src, dst, srcOffset, dstOffset, size, n, wait, event);
}

void *clEnqueueMapBuffer(cl_command_queue q, cl_mem b, cl_bool blocking, cl_map_flags flags,
                         size_t offset, size_t size, cl_uint n, const cl_event *wait,
                         cl_event *event, cl_int *err) {
  count(Maps, size);
  return ((void *(*)(cl_command_queue, cl_mem, cl_bool, cl_map_flags, size_t, size_t, cl_uint,
                     const cl_event *, cl_event *, cl_int *))real("clEnqueueMapBuffer"))(
      q, b, blocking, flags, offset, size, n, wait, event, err);
}

cl_mem clCreateBuffer(cl_context context, cl_mem_flags flags, size_t size, void *host,
                      cl_int *err) {
  count(Created, size);
  return ((cl_mem(*)(cl_context, cl_mem_flags, size_t, void *, cl_int *))real("clCreateBuffer"))(
      context, flags, size, host, err);
}

cl_int clReleaseMemObject(cl_mem b) {
  count(Released, 0);
  return ((cl_int(*)(cl_mem))real("clReleaseMemObject"))(b);
}
