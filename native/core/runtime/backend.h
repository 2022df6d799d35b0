// What libtorch runs on here: version, devices, the compute thread's intra-op threads and nice value, BLAS, and
// the CPU's native
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
  int64_t nice = 0;  // the compute threads' nice value
  std::string blas;
  bool cpuBf16 = false;       // CpuFeatures::bf16
  bool cpuAmx = false;        // CpuFeatures::amx
  std::string autoPrecision;  // what precision 'auto' picks on the CPU: "bf16" or "fp32"
};

BackendInfo backendInfo();

// The CPU's native bf16, from CPUID and the state the OS saves (XCR0), read once.
struct CpuFeatures {
  bool bf16Hardware = false;  // bf16 dot products (AVX512-BF16 or AMX-BF16), enabled by the OS
  bool amxHardware = false;   // AMX tiles with bf16 (Sapphire Rapids and later), enabled by the OS
  std::string isaLimit;       // ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA) when set, upper-cased
  bool bf16 = false;          // bf16Hardware, and oneDNN allowed to use it by isaLimit
  bool amx = false;           // amxHardware, and oneDNN allowed to use it by isaLimit
};
const CpuFeatures& cpuFeatures();

// Cores this process may run on (its affinity mask, so containers and taskset are respected).
int64_t availableCores();

// "auto" (CUDA when present, else CPU) | "cpu" | "cuda" | "cuda:N"; throws naming "device" when unavailable.
constexpr const char* kDefaultDevice = "auto";
torch::Device parseDevice(const std::string& name);

}  // namespace unet
