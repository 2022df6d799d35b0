// What a model keeps of its training between calls: the optimiser (for trainStep and resuming), the epochs done
// with their records, the plateau schedule and the best scores so far; and the line format checkpoints store it in.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/training/optimizer.h"
#include "core/training/schedule.h"

namespace unet {

// One entry per epoch. Validation fields are NaN without validation data.
struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  double loss = 0, lr = 0, imagesPerSecond = 0, valLoss = 0, valDice = 0, valIoU = 0, seconds = 0;
};

struct TrainingProgress {
  std::unique_ptr<Optimizer> optimizer;
  int64_t epochsDone = 0;
  std::vector<EpochRecord> history;
  LearningRateSchedule::Plateau plateau;
  double bestMonitored = std::numeric_limits<double>::quiet_NaN();  // the checkpoint's monitor, best so far
  double bestValDice = std::numeric_limits<double>::quiet_NaN();    // early stopping's, best so far
  int64_t epochsWithoutImprovement = 0;
  int64_t worldSize = 1;  // of the run: a distributed run resumes with as many ranks
};

// Everything but the optimiser, one "key values..." line an entry, and back.
std::string encodeProgress(const TrainingProgress& progress);
void decodeProgress(const std::string& text, TrainingProgress& progress);  // throws std::invalid_argument

}  // namespace unet
