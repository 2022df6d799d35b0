#include "core/runtime/backend.h"

#include <link.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <sched.h>
#include <torch/version.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "core/runtime/compute_thread.h"
#include "core/runtime/precision.h"

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

// CPUID leaf 7 and the state the OS saves (XCR0): AVX-512 needs opmask, ZMM_Hi256 and Hi16_ZMM (bits 5-7), AMX
// tile config and data (bits 17-18).
struct CpuBf16 {
  bool avx512 = false, amx = false;
};

CpuBf16 cpuBf16() {
  CpuBf16 found;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return found;
  unsigned xcr0Low = 0, xcr0High = 0;
  __asm__("xgetbv" : "=a"(xcr0Low), "=d"(xcr0High) : "c"(0));
  const bool avx512State = (xcr0Low & 0xe6) == 0xe6;
  const bool amxState = (xcr0Low & 0x60000) == 0x60000;
  if (__get_cpuid_max(0, nullptr) < 7) return found;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool amxBf16 = (edx >> 22) & 1, amxTile = (edx >> 24) & 1, avx512f = (ebx >> 16) & 1;
  __cpuid_count(7, 1, eax, ebx, ecx, edx);
  const bool avx512Bf16 = (eax >> 5) & 1;
  found.avx512 = avx512f && avx512Bf16 && avx512State;
  found.amx = amxBf16 && amxTile && amxState;
#endif
  return found;
}

// oneDNN's ISA caps (ONEDNN_MAX_CPU_ISA) below the bf16 dot-product instructions, and below AMX.
bool capsBf16(const std::string& isa) {
  for (const char* below : {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_MIC", "AVX512_MIC_4OPS",
                            "AVX512_CORE", "AVX512_CORE_VNNI"}) {
    if (isa == below) return true;
  }
  return false;
}

bool capsAmx(const std::string& isa) {
  return capsBf16(isa) || isa == "AVX512_CORE_BF16" || isa == "AVX512_CORE_FP16" || isa == "AVX10_1_512";
}

std::string isaLimitFromEnvironment() {
  const char* value = std::getenv("ONEDNN_MAX_CPU_ISA");
  if (!value) value = std::getenv("DNNL_MAX_CPU_ISA");
  std::string isa = value ? value : "";
  for (auto& c : isa) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return isa;
}

}  // namespace

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
    const auto bf16 = cpuBf16();
    f.bf16Hardware = bf16.avx512 || bf16.amx;
    f.amxHardware = bf16.amx;
    f.isaLimit = isaLimitFromEnvironment();
    f.bf16 = f.bf16Hardware && !capsBf16(f.isaLimit);
    f.amx = f.amxHardware && !capsAmx(f.isaLimit);
    return f;
  }();
  return features;
}

BackendInfo backendInfo() {
  BackendInfo info;
  info.torchVersion = TORCH_VERSION;
  info.cuda = torch::cuda::is_available();
  info.cudaDevices = info.cuda ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
  info.threads = ComputeThread::instance().threads();
  info.nice = ComputeThread::instance().nice();
  info.blas = describeBlas();
  info.cpuBf16 = cpuFeatures().bf16;
  info.cpuAmx = cpuFeatures().amx;
  info.autoPrecision = precisionName(autoPrecision(torch::kCPU));
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
