#include "core/runtime/backend.h"

#include <link.h>
#include <sched.h>
#include <torch/version.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "core/runtime/compute_thread.h"

namespace unet {

namespace {

// The BLAS that the dynamic linker actually loaded (Debian switches it through alternatives).
std::string loadedBlasLibrary() {
  std::string found;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) {
        std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (name.find("blas") == std::string::npos && name.find("mkl_") == std::string::npos) return 0;
        char resolved[PATH_MAX];
        *static_cast<std::string*>(data) = realpath(name.c_str(), resolved) ? resolved : name;
        return 1;
      },
      &found);
  return found;
}

std::string describeBlas() {
  const std::string library = loadedBlasLibrary();
  if (library.empty()) return at::hasMKL() ? "MKL (linked into libtorch)" : "unknown";
  std::string kind = "reference BLAS";
  if (library.find("openblas") != std::string::npos) kind = "OpenBLAS";
  if (library.find("mkl") != std::string::npos) kind = "MKL";
  if (library.find("blis") != std::string::npos) kind = "BLIS";
  if (library.find("atlas") != std::string::npos) kind = "ATLAS";
  return kind + " (" + library + ")";
}

}  // namespace

BackendInfo backendInfo() {
  BackendInfo info;
  info.torchVersion = TORCH_VERSION;
  info.cuda = torch::cuda::is_available();
  info.cudaDevices = info.cuda ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
  info.threads = ComputeThread::instance().threads();
  info.blas = describeBlas();
  return info;
}

int64_t availableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? hardware : 1;
}

torch::Device parseDevice(const std::string& name) {
  const bool cuda = torch::cuda::is_available();
  if (name == "auto") return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!cuda) {
      throw std::invalid_argument("device: '" + name +
                                  "' was asked for, but this libtorch sees no CUDA device (a CPU build, or no "
                                  "driver); use 'cpu' or 'auto'");
    }
    int64_t index = 0;
    if (name.size() > 5) {
      const std::string digits = name.substr(5);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4) {
        throw std::invalid_argument("device: expected 'cuda:N' with N a device index, got '" + name + "'");
      }
      index = std::stoll(digits);
    }
    const auto count = static_cast<int64_t>(torch::cuda::device_count());
    if (index >= count) {
      throw std::invalid_argument("device: '" + name + "' does not exist; this machine has " + std::to_string(count) +
                                  " CUDA device(s)");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw std::invalid_argument("device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got '" + name + "'");
}

}  // namespace unet
