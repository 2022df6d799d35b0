#include "core/distributed/data_parallel.h"

#include <algorithm>
#include <stdexcept>

namespace unet {

DataParallel::DataParallel(UNet& model, std::shared_ptr<ProcessGroup> group, bool syncBatchNorm)
    : model_(model), group_(std::move(group)), parameters_(model->parameters()), syncBatchNorm_(syncBatchNorm) {
  // Buckets in reverse parameter order, the order backward produces the gradients in: the first one small, so that
  // its allreduce starts early, the others up to kBucketBytes.
  int64_t limit = kFirstBucketBytes, filled = 0;
  for (size_t index = parameters_.size(); index-- > 0;) {
    const int64_t bytes = parameters_[index].numel() * 4;
    if (buckets_.empty() || filled + bytes > limit) {
      if (!buckets_.empty()) limit = kBucketBytes;
      buckets_.emplace_back();
      filled = 0;
    }
    buckets_.back().offsets.push_back(filled / 4);
    buckets_.back().parameters.push_back(index);
    filled += bytes;
  }
  for (auto& bucket : buckets_) {
    const size_t last = bucket.parameters.back();
    bucket.flat = torch::zeros({bucket.offsets.back() + parameters_[last].numel()},
                               parameters_[last].options().dtype(torch::kFloat32));
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    for (size_t slot = 0; slot < buckets_[b].parameters.size(); ++slot) {
      const size_t index = buckets_[b].parameters[slot];
      const unsigned handle = parameters_[index].register_hook(
          [this, b, slot](const torch::Tensor& gradient) { gradientReady(b, slot, gradient); });
      hooks_.emplace_back(index, handle);
    }
  }
}

DataParallel::~DataParallel() {
  for (const auto& [index, handle] : hooks_) parameters_[index].remove_hook(handle);
}

namespace {

// Rank 0's values of `tensors` on every rank, coalesced as DDP's _broadcast_coalesced does: one flat buffer per
// dtype (float32 statistics, int64 num_batches_tracked), so one message each instead of one per tensor.
void broadcastCoalesced(ProcessGroup& group, std::vector<torch::Tensor> tensors) {
  torch::NoGradGuard noGrad;
  std::vector<torch::ScalarType> types;
  for (const auto& tensor : tensors) {
    if (std::find(types.begin(), types.end(), tensor.scalar_type()) == types.end())
      types.push_back(tensor.scalar_type());
  }
  for (const auto type : types) {
    std::vector<torch::Tensor> same, flat;
    for (const auto& tensor : tensors) {
      if (tensor.scalar_type() != type) continue;
      same.push_back(tensor);
      flat.push_back(tensor.reshape({-1}));  // logical order, whatever the memory format
    }
    auto buffer = torch::cat(flat);
    group.broadcast({buffer}, 0)->wait();
    int64_t offset = 0;
    for (auto& tensor : same) {
      tensor.copy_(buffer.narrow(0, offset, tensor.numel()).view(tensor.sizes()));
      offset += tensor.numel();
    }
  }
}

}  // namespace

void DataParallel::broadcastState() {
  std::vector<torch::Tensor> state;
  for (const auto& parameter : parameters_) state.push_back(parameter.data());
  for (const auto& buffer : model_->buffers()) state.push_back(buffer);
  broadcastCoalesced(*group_, state);
}

void DataParallel::broadcastBuffers() {
  broadcastCoalesced(*group_, model_->buffers());
}

void DataParallel::start() {
  for (auto& bucket : buckets_) {
    bucket.pending = static_cast<int64_t>(bucket.parameters.size());
    bucket.work.reset();
    bucket.flat.zero_();
  }
  armed_ = true;
}

void DataParallel::gradientReady(size_t b, size_t slot, const torch::Tensor& gradient) {
  if (!armed_) return;  // a backward outside a distributed step (gradients(), say)
  auto& bucket = buckets_[b];
  const auto& parameter = parameters_[bucket.parameters[slot]];
  torch::NoGradGuard noGrad;
  // In logical order (view, not the memory order of a channels-last gradient), read back the same way.
  bucket.flat.narrow(0, bucket.offsets[slot], parameter.numel()).view(parameter.sizes()).copy_(gradient);
  if (--bucket.pending == 0) launch(bucket);
}

void DataParallel::launch(Bucket& bucket) {
  bucket.flat.div_(static_cast<double>(group_->worldSize()));
  bucket.work = group_->allreduceSum({bucket.flat});
}

void DataParallel::finish() {
  armed_ = false;
  // A parameter that took no part in this backward counts as a zero gradient (DDP's find_unused_parameters).
  for (auto& bucket : buckets_) {
    if (!bucket.work) launch(bucket);
  }
  torch::NoGradGuard noGrad;
  for (auto& bucket : buckets_) {
    bucket.work->wait();
    bucket.work.reset();
    for (size_t slot = 0; slot < bucket.parameters.size(); ++slot) {
      auto& parameter = parameters_[bucket.parameters[slot]];
      const auto averaged = bucket.flat.narrow(0, bucket.offsets[slot], parameter.numel()).view(parameter.sizes());
      if (parameter.grad().defined()) {
        parameter.mutable_grad().copy_(averaged);
      } else {
        parameter.mutable_grad() = averaged.clone();
      }
    }
  }
}

std::vector<double> DataParallel::sum(const std::vector<double>& values) {
  auto tensor = torch::tensor(values, torch::kFloat64);
  group_->allreduceSum({tensor})->wait();
  return std::vector<double>(tensor.data_ptr<double>(), tensor.data_ptr<double>() + tensor.numel());
}

}  // namespace unet
