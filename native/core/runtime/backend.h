// What libtorch runs on here: version, devices, the compute thread's intra-op threads, BLAS, and the CPU's native
// bf16 instructions.
#pragma once

#include <torch/torch.h>

#include <string>

namespace unet {

struct BackendInfo {
  std::string torchVersion;
  bool cuda = false;
  int64_t cudaDevices = 0;
  int64_t threads = 0;
  std::string blas;
  bool cpuBf16 = false;  // bf16 dot products in hardware (AVX512-BF16 or AMX-BF16), enabled by the OS
  bool cpuAmx = false;   // AMX tiles with bf16 (Sapphire Rapids and later), enabled by the OS
};

BackendInfo backendInfo();

// Cores this process may run on (its affinity mask, so containers and taskset are respected).
int64_t availableCores();

// "auto" (CUDA when present, else CPU) | "cpu" | "cuda" | "cuda:N"; throws naming "device" when unavailable.
constexpr const char* kDefaultDevice = "auto";
torch::Device parseDevice(const std::string& name);

}  // namespace unet
