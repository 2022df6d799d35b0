#include "core/distributed/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <stdexcept>

namespace unet {

torch::Tensor distributedIndices(int64_t count, int64_t epoch, const SamplerOptions& options) {
  const int64_t world = options.worldSize;
  if (count < 1 || world < 1 || options.rank < 0 || options.rank >= world) {
    throw std::invalid_argument("distributedIndices: expected count >= 1 and 0 <= rank < worldSize");
  }
  torch::Tensor order;
  if (options.shuffle) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed + static_cast<uint64_t>(epoch));
    order = torch::randperm(count, generator, torch::kLong);
  } else {
    order = torch::arange(count, torch::kLong);
  }
  // As DistributedSampler: with dropLast and a remainder, ceil((count - world) / world) each; else ceil(count / world).
  const int64_t perRank = options.dropLast && count % world != 0 ? (count - world + world - 1) / world
                                                                  : (count + world - 1) / world;
  if (perRank < 1) throw std::invalid_argument("distributedIndices: fewer items than processes with dropLast");
  const int64_t total = perRank * world;
  if (total > count) {
    // Padding repeats the permutation from its start, as many times as it takes.
    const int64_t repeats = (total + count - 1) / count;
    order = order.repeat({repeats}).slice(0, 0, total);
  } else {
    order = order.slice(0, 0, total);
  }
  return order.slice(0, options.rank, total, world).contiguous();
}

}  // namespace unet
