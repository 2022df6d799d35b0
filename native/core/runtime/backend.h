// What libtorch runs on here: version, devices, the compute thread's intra-op threads and BLAS.
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
};

BackendInfo backendInfo();

// Cores this process may run on (its affinity mask, so containers and taskset are respected).
int64_t availableCores();

// "auto" (CUDA when present, else CPU) | "cpu" | "cuda" | "cuda:N"; throws naming "device" when unavailable.
constexpr const char* kDefaultDevice = "auto";
torch::Device parseDevice(const std::string& name);

}  // namespace unet
