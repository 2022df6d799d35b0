// The training loop: batching, augmentation, the optimisation steps and validation, all in libtorch. Progress and
// cancellation go through FitCallbacks.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/distributed/process_group.h"
#include "core/losses/loss_spec.h"
#include "core/model/unet.h"
#include "core/runtime/precision.h"
#include "core/training/augment.h"
#include "core/training/optimizer.h"
#include "core/training/progress.h"
#include "core/training/schedule.h"

namespace unet {

struct FitOptions {
  int64_t epochs = 10;
  int64_t batchSize = 8;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  std::optional<LossSpec> loss;                  // none: defaultLoss(classes)
  double gradClip = 0.0;                         // max global gradient norm; 0 = off
  std::optional<int64_t> earlyStoppingPatience;  // epochs without a better validation Dice before stopping
  bool shuffle = true;
  uint64_t seed = 0;
  AugmentOptions augment;
  std::string checkpointPath;                 // "" = off: else the best epoch's model is saved here
  std::string checkpointMonitor = "valDice";  // "valDice" | "valIoU" | "valLoss" | "loss"
  std::string resumeFrom;                     // "" = start afresh
  Precision precision = kDefaultPrecision;    // of training and validation: bf16 = autocast's mixed precision
  // Data-parallel training with the other ranks of this group (DistributedDataParallel's semantics, see
  // core/distributed/data_parallel.h); none = this process alone. batchSize is then per rank, as a
  // DataLoader's batch_size is under DDP.
  std::shared_ptr<ProcessGroup> processGroup;
  bool syncBatchNorm = false;  // with a processGroup: batch norm's statistics over every rank's batch

  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option
};

struct FitData {
  torch::Tensor images, masks;        // N x C x H x W float; N x 1 x H x W (or N x H x W) masks
  torch::Tensor valImages, valMasks;  // undefined when there is no validation set
};

struct FitCallbacks {
  std::function<void(int64_t step, int64_t epoch, double loss)> onBatchEnd;
  std::function<void(const EpochRecord&)> onEpochEnd;
  std::function<bool()> stopRequested;  // checked between batches
};

struct FitResult {
  std::vector<EpochRecord> history;  // every epoch trained, the resumed ones included
  bool aborted = false;              // stopRequested
};

// Throws std::invalid_argument for bad data (naming "images", "masks", ...) and std::runtime_error when the
// loss becomes NaN or Inf (naming the epoch and step). The model is left in eval mode with the last good weights.
FitResult fit(UNet& model, TrainingProgress& progress, const FitData& data, const FitOptions& options,
              const FitCallbacks& callbacks);

}  // namespace unet
