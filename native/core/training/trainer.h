// The training loop: batching, augmentation, forward, loss, backward, optimiser step and validation, all in
// libtorch. Pure libtorch: no N-API here; progress and cancellation go through FitCallbacks.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/losses/loss_spec.h"
#include "core/model/unet.h"
#include "core/training/augment.h"
#include "core/training/optimizer.h"
#include "core/training/schedule.h"

namespace unet {

struct FitOptions {
  int64_t epochs = 10;
  int64_t batchSize = 8;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  LossSpec loss;
  double gradClip = 0.0;              // max global gradient norm; 0 = off
  int64_t earlyStoppingPatience = 0;  // epochs without a better validation Dice before stopping; 0 = off
  bool shuffle = true;
  uint64_t seed = 0;
  AugmentOptions augment;
  std::string checkpointPath;                 // "" = off: else the best epoch's model is saved here
  std::string checkpointMonitor = "valDice";  // "valDice" | "valIoU" | "valLoss" | "loss"
  std::string resumeFrom;                     // "" = start afresh
  bool mixedPrecision = false;                // bf16 autocast of the forward pass on CUDA; no effect on CPU
};

// One entry an epoch. Validation fields are NaN without validation data.
struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  double loss = 0, lr = 0, imagesPerSecond = 0, valLoss = 0, valDice = 0, valIoU = 0, seconds = 0;
};

struct FitData {
  torch::Tensor images, masks;        // N x C x H x W float; N x 1 x H x W (or N x H x W) masks
  torch::Tensor valImages, valMasks;  // undefined when there is no validation set
  double validationSplit = 0.0;       // used when valImages is undefined: a seeded random fraction
};

struct FitCallbacks {
  std::function<void(int64_t step, int64_t epoch, double loss)> onBatchEnd;
  std::function<void(const EpochRecord&)> onEpochEnd;
  std::function<bool()> stopRequested;  // checked between batches
};

// What a model keeps between calls: the optimiser (for trainStep and resuming) and its training progress.
struct TrainingState {
  std::unique_ptr<Optimizer> optimizer;
  int64_t epochsDone = 0;
  std::vector<EpochRecord> history;
  LearningRateSchedule::State schedule;
  double bestMonitored = std::numeric_limits<double>::quiet_NaN();  // the checkpoint's monitor, best so far
  double bestValDice = std::numeric_limits<double>::quiet_NaN();    // early stopping's, best so far
  int64_t epochsWithoutImprovement = 0;
};

// The model, its optimiser and its progress, as saveCheckpoint takes them.
struct CheckpointData;
CheckpointData makeCheckpoint(UNet& model, const TrainingState& state);

// The model's parameters by name, as the optimiser takes them.
std::vector<std::pair<std::string, torch::Tensor>> namedParameters(UNet& model);

// TrainingState (without the optimiser) as text for checkpoints, and back.
std::string encodeTrainingState(const TrainingState& state);
void decodeTrainingState(const std::string& text, TrainingState& state);  // throws std::invalid_argument

struct FitResult {
  std::vector<EpochRecord> history;
  bool stoppedEarly = false;  // early stopping
  bool aborted = false;       // stopRequested
};

// Throws std::invalid_argument for bad data (naming "images", "masks", ...) and std::runtime_error when the
// loss becomes NaN or Inf (naming the epoch and step). The model is left in eval mode with the last good weights.
FitResult fit(UNet& model, TrainingState& state, const FitData& data, const FitOptions& options,
              const FitCallbacks& callbacks);

// Loss and mean per-image Dice and IoU in eval mode. Masks as prepareMasks returns them. Dice and IoU leave the
// background out for several classes (it would dominate them) and keep it for one; images whose truth is empty
// for every scored class do not count (MONAI's ignore_empty).
struct Evaluation {
  double loss, dice, iou;
};
Evaluation evaluate(UNet& model, const torch::Tensor& images, const torch::Tensor& masks, const LossSpec& loss,
                    int64_t batchSize);

// One optimiser step on one batch with the model's persistent optimiser (created on first use).
double trainStep(UNet& model, TrainingState& state, const torch::Tensor& images, const torch::Tensor& masks,
                 const LossSpec& loss, const OptimizerOptions& optimizer, double gradClip);

// Masks as the losses take them: float 0/1 N1HW for one class, int64 class indices N1HW for more; checks values.
torch::Tensor prepareMasks(const torch::Tensor& masks, int64_t classes, const torch::Tensor& images,
                           const std::string& name);

}  // namespace unet
