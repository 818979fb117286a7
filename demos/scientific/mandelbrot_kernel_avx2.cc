// The Mandelbrot renderers compiled for AVX2 (see mandelbrot_kernel_impl.h;
// CMake builds this file with -march=x86-64-v3). Only called after
// mandelbrot_kernel.cc has checked that the CPU runs it.
#define KRG_MANDELBROT_ISA avx2
#include "scientific/mandelbrot_kernel_impl.h"
