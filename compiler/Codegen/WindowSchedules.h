//===- WindowSchedules.h - Schedule templates of convolutions --*- C++ -*-===//
//
// Private to compiler/Codegen: the Window anchor's CPU templates
// (WindowSchedules.cpp), which scheduleKernel (Schedules.cpp) chooses from.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_WINDOWSCHEDULES_H
#define KILN_CODEGEN_WINDOWSCHEDULES_H

#include "Codegen/Schedules.h"

namespace kiln {

/// Channels per register block of a convolution per image: the most, up to
/// `limit` (0: none), that divide the channels and fit 16 registers of
/// accumulators with the row's `vectors`.
int channelBlock(int64_t channels, int vectors, int limit);
/// A convolution or its input gradient per image, the rows in vectors.
void schedulePerImage(KernelFuncs &k, Halide::Func out, const std::vector<int64_t> &shape, int vec,
                      const ScheduleChoice &choice);
/// The same over flattened positions (KernelFuncs::Window::FlatImage).
void scheduleFlatImage(KernelFuncs &k, Halide::Func out, const std::vector<int64_t> &shape, int vec,
                       const ScheduleChoice &choice);
/// A 3 x 3 convolution or input gradient by Winograd's F(2 x 2, 3 x 3)
/// (KernelFuncs::Window::Winograd).
void scheduleWinograd(KernelFuncs &k, Halide::Func out, const std::vector<int64_t> &shape, int vec,
                      const ScheduleChoice &choice);
/// The same with output channels in the lanes
/// (KernelFuncs::Window::WinogradByChannels).
void scheduleWinogradByChannels(KernelFuncs &k, Halide::Func out, const std::vector<int64_t> &shape,
                                int vec, const ScheduleChoice &choice);
/// A 3 x 3 convolution's filter gradient by F(2 x 2, 3 x 3)
/// (KernelFuncs::Window::WinogradFilter).
void scheduleWinogradFilterGrad(KernelFuncs &k, int vec, const ScheduleChoice &choice);
/// A convolution's filter gradient.
void scheduleFilterGrad(KernelFuncs &k, int vec, const ScheduleChoice &choice);
/// Pooling, its gradient, or a convolution several outputs read.
void scheduleWindow(KernelFuncs &k, int vec, bool parallel);

} // namespace kiln

#endif // KILN_CODEGEN_WINDOWSCHEDULES_H
