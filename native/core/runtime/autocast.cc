#include "core/runtime/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace unet {

// libtorch 2.4 made autocast's switches take the device type; 1.13 to 2.3 have one function a device.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define UNET_AUTOCAST_BY_DEVICE 1
#endif

namespace {

bool enabled(bool cpu) {
#ifdef UNET_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(cpu ? at::kCPU : at::kCUDA);
#else
  return cpu ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

torch::ScalarType dtype(bool cpu) {
#ifdef UNET_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(cpu ? at::kCPU : at::kCUDA);
#else
  return cpu ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

void set(bool cpu, bool on, torch::ScalarType type) {
#ifdef UNET_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(cpu ? at::kCPU : at::kCUDA, type);
  at::autocast::set_autocast_enabled(cpu ? at::kCPU : at::kCUDA, on);
#else
  if (cpu) {
    at::autocast::set_autocast_cpu_dtype(type);
    at::autocast::set_cpu_enabled(on);
  } else {
    at::autocast::set_autocast_gpu_dtype(type);
    at::autocast::set_enabled(on);
  }
#endif
}

}  // namespace

Autocast::Autocast(torch::Device device, Precision precision) {
  if (precision == Precision::Fp32) return;
  active_ = true;
  cpu_ = device.is_cpu();
  wasEnabled_ = enabled(cpu_);
  previousDtype_ = dtype(cpu_);
  set(cpu_, true, dtypeOf(precision));
}

Autocast::~Autocast() {
  if (!active_) return;
  set(cpu_, wasEnabled_, previousDtype_);
  // The fp32 weights' casts are cached for the scope (one cast per step); a later step has new weights.
  if (!wasEnabled_) at::autocast::clear_cache();
}

bool cpuAutocastBf16() {
  return enabled(true) && dtype(true) == torch::kBFloat16;
}

}  // namespace unet
