#include "core/runtime/precision.h"

#include <stdexcept>

#include "core/options/range.h"
#include "core/runtime/backend.h"

namespace unet {

namespace {

constexpr range::Named<Precision> kPrecisions[] = {
    {Precision::Fp32, "fp32"}, {Precision::Bf16, "bf16"}, {Precision::Fp16, "fp16"}, {Precision::Auto, "auto"}};

}  // namespace

Precision parsePrecision(const std::string& name, const std::string& path) {
  return range::parse(kPrecisions, name, path);
}

const char* precisionName(Precision precision) {
  return range::nameOf(kPrecisions, precision);
}

std::vector<const char*> precisionNames() {
  std::vector<const char*> names;
  for (const auto& entry : kPrecisions) names.push_back(entry.name);
  return names;
}

Precision autoPrecision(torch::Device device) {
  return device.is_cpu() && cpuFeatures().bf16 ? Precision::Bf16 : Precision::Fp32;
}

Precision resolvePrecision(Precision requested, torch::Device device, const std::string& path, bool training) {
  if (requested == Precision::Auto) return autoPrecision(device);
  if (requested == Precision::Fp16) {
    if (device.is_cpu()) throw std::invalid_argument(path + ": 'fp16' runs on CUDA only; on the CPU use 'bf16'");
    if (training) {
      throw std::invalid_argument(path +
                                  ": 'fp16' training needs loss scaling, which torch-unet does not do; use 'bf16'");
    }
  }
  if (requested == Precision::Bf16 && device.is_cpu() && !cpuFeatures().bf16) {
    const auto features = cpuFeatures();
    std::string why = features.bf16Hardware
                          ? "this CPU has it, but ONEDNN_MAX_CPU_ISA=" + features.isaLimit + " keeps oneDNN from it"
                          : "this CPU has neither";
    throw std::invalid_argument(path + ": 'bf16' needs a CPU with native bf16 (AVX512-BF16 or AMX-BF16) and " + why +
                                "; oneDNN would emulate it, slower than fp32. Use 'fp32' or 'auto'");
  }
  return requested;
}

torch::ScalarType dtypeOf(Precision precision) {
  switch (precision) {
    case Precision::Bf16: return torch::kBFloat16;
    case Precision::Fp16: return torch::kFloat16;
    case Precision::Fp32: return torch::kFloat32;
    case Precision::Auto: break;
  }
  throw std::logic_error("dtypeOf: resolve 'auto' first");
}

}  // namespace unet
