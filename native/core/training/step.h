// One optimisation step, as fit runs it for every batch and trainStep for a batch that JS supplies: forward
// (channels-last on the CPU), loss, backward, gradient clipping, optimiser step.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/distributed/data_parallel.h"
#include "core/losses/loss_spec.h"
#include "core/model/unet.h"
#include "core/runtime/precision.h"
#include "core/training/optimizer.h"
#include "core/training/progress.h"

namespace unet {

// The model's parameters by name, as the optimiser takes them.
std::vector<std::pair<std::string, torch::Tensor>> namedParameters(UNet& model);

// Weights in the layout the CPU's convolution gradients are fastest in (values unchanged); no-op elsewhere.
void useChannelsLast(UNet& model);
torch::Tensor channelsLastOnCpu(const torch::Tensor& images);

// One step on a batch whose masks prepareMasks has checked; returns the loss. A NaN or Inf loss throws
// std::runtime_error naming `where`, before the weights change.
// With `parallel`, a step of DistributedDataParallel: rank 0's buffers first, gradients averaged over ranks, and
// the NaN stop decided by all ranks together (every rank throws when any rank's loss is not finite).
double optimise(UNet& model, Optimizer& optimizer, const torch::Tensor& images, const torch::Tensor& masks,
                const LossSpec& loss, double gradClip, const std::string& where, Precision precision,
                DataParallel* parallel = nullptr);

struct TrainStepOptions {
  OptimizerOptions optimizer;
  std::optional<LossSpec> loss;             // none: defaultLoss(classes)
  double gradClip = 0.0;                    // max global gradient norm; 0 = off
  Precision precision = kDefaultPrecision;  // bf16: autocast's mixed precision (fp32 weights and optimiser)

  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option
};

// One step with the model's persistent optimiser (made on first use, or anew for another optimiser).
double trainStep(UNet& model, TrainingProgress& progress, const torch::Tensor& images, const torch::Tensor& masks,
                 const TrainStepOptions& options);

}  // namespace unet
