// Which images each process trains on: PyTorch's torch.utils.data.DistributedSampler, index for index.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace unet {

struct SamplerOptions {
  int64_t rank = 0, worldSize = 1;
  bool shuffle = true;
  uint64_t seed = 0;
  bool dropLast = false;

  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option
};

// This rank's indices into `count` items for `epoch`: a permutation drawn by libtorch's CPU generator seeded with
// seed + epoch (identity without shuffle), padded by repeating its start (or cut, with dropLast) to a multiple of
// worldSize, then every worldSize-th index from `rank`. Every rank gets the same number. Int64 tensor. Throws
// std::invalid_argument for options out of range, or for dropLast with fewer items than ranks.
torch::Tensor distributedIndices(int64_t count, int64_t epoch, const SamplerOptions& options);

}  // namespace unet
