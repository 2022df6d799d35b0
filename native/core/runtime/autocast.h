// libtorch's autocast (torch.autocast) for one scope of the current thread: the ops on its lower-precision list
// (convolutions, matrix products) run in bf16 or fp16, those on its fp32 list in fp32, and the rest in what they
// are given. Weights stay fp32; autocast casts them as each op needs.
#pragma once

#include <torch/torch.h>

#include "core/runtime/precision.h"

namespace unet {

class Autocast {
 public:
  // fp32: nothing changes. bf16 on the CPU; bf16 or fp16 on CUDA. The thread's earlier state comes back at the end.
  Autocast(torch::Device device, Precision precision);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  bool active_ = false;
  bool cpu_ = false;
  bool wasEnabled_ = false;
  torch::ScalarType previousDtype_ = torch::kBFloat16;
};

// Whether the current thread runs CPU autocast in bf16 (UNet's blocks pick bf16-friendly forms then).
bool cpuAutocastBf16();

}  // namespace unet
