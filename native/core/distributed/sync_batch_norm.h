// torch.nn.SyncBatchNorm for the CPU (python3-torch 1.13's is CUDA-only): in a training forward, batch norm's
// statistics over the batches of every rank, so that 2 ranks of 4 images train as 1 process of 8. Forward sums
// x, x^2 and the count over ranks; backward sums dy and dy * xhat, and leaves the gradients of weight and bias
// local, for DataParallel to average with the others.
#pragma once

#include <torch/torch.h>

#include "core/distributed/process_group.h"

namespace unet {

// While one lives, the batch norms of this thread's training forwards synchronise over `group` (none: off).
class SyncBatchNormScope {
 public:
  explicit SyncBatchNormScope(ProcessGroup* group);
  ~SyncBatchNormScope();
  SyncBatchNormScope(const SyncBatchNormScope&) = delete;
  SyncBatchNormScope& operator=(const SyncBatchNormScope&) = delete;

 private:
  ProcessGroup* previous_;
};

ProcessGroup* syncBatchNormGroup();  // this thread's, or nullptr

// Batch norm in training mode with statistics over every rank's batch; updates the running statistics as
// BatchNorm2d does (unbiased variance of the whole batch, momentum, num_batches_tracked).
torch::Tensor syncBatchNorm(const torch::Tensor& x, torch::nn::BatchNorm2dImpl& norm, ProcessGroup& group);

}  // namespace unet
