// The number format a model computes in. fp32 everywhere by default; bf16 (and fp16 on CUDA) as mixed precision:
// the convolutions in the narrow format, weights, optimiser state, losses and logits in fp32.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace unet {

enum class Precision { Fp32, Bf16, Fp16, Auto };

constexpr Precision kDefaultPrecision = Precision::Fp32;

// "fp32" | "bf16" | "fp16" | "auto"; a bad name throws std::invalid_argument naming `path`.
Precision parsePrecision(const std::string& name, const std::string& path = "precision");
const char* precisionName(Precision precision);
std::vector<const char*> precisionNames();

// What 'auto' picks on a device: bf16 on a CPU with native bf16 (AVX512-BF16 or AMX-BF16), else fp32. On CUDA it
// picks fp32: whether a GPU runs bf16 natively is for its user to say.
Precision autoPrecision(torch::Device device);

// The precision that runs: 'auto' resolved, and a precision the device cannot run natively refused with
// std::invalid_argument naming `path` and the missing CPU feature (oneDNN would emulate bf16, slower than fp32).
// `training`: fp16 is refused for training (it needs loss scaling, which torch-unet does not do).
Precision resolvePrecision(Precision requested, torch::Device device, const std::string& path, bool training = false);

torch::ScalarType dtypeOf(Precision precision);  // kFloat32, kBFloat16, kFloat16; 'auto' must be resolved first

}  // namespace unet
