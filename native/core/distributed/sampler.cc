#include "core/distributed/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <stdexcept>

#include "core/options/range.h"

namespace unet {

void SamplerOptions::validate(const std::string& path) const {
  range::integer(path + ".worldSize", worldSize, 1, 1 << 20);
  range::integer(path + ".rank", rank, 0, worldSize - 1);
}

torch::Tensor distributedIndices(int64_t count, int64_t epoch, const SamplerOptions& options) {
  options.validate();
  range::integer("count", count, 1, int64_t{1} << 40);
  range::integer("epoch", epoch, 0, int64_t{1} << 40);
  const int64_t world = options.worldSize;
  torch::Tensor order;
  if (options.shuffle) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed + static_cast<uint64_t>(epoch));
    order = torch::randperm(count, generator, torch::kLong);
  } else {
    order = torch::arange(count, torch::kLong);
  }
  // As DistributedSampler: with dropLast and a remainder, ceil((count - world) / world) each; else ceil(count / world).
  const int64_t perRank =
      options.dropLast && count % world != 0 ? (count - world + world - 1) / world : (count + world - 1) / world;
  if (perRank < 1)
    throw std::invalid_argument("options.dropLast: fewer items (" + std::to_string(count) + ") than ranks");
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
