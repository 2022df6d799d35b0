// Learning-rate schedules by epoch, with PyTorch's rules: constant, ReduceLROnPlateau, cosine annealing
// (CosineAnnealingLR with T_max = epochs) and nnU-Net's poly ((1 - epoch / epochs)^0.9).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unet {

// The schedules by name, as options name them.
const std::vector<const char*>& scheduleNames();

struct ScheduleOptions {
  std::string name = "constant";  // "constant" | "plateau" | "cosine" | "poly"
  double factor = 0.1;            // plateau: the learning rate is multiplied by this
  int64_t patience = 10;          // plateau: epochs without improvement before that
  double minLr = 0.0;

  // Throws std::invalid_argument naming the option; `named`: the schedule was given by its name alone.
  void validate(const std::string& path = "schedule", bool named = false) const;
};

class LearningRateSchedule {
 public:
  LearningRateSchedule(ScheduleOptions options, double baseLr, int64_t epochs);

  // The learning rate for epoch `epoch` (0-based), before it runs.
  double forEpoch(int64_t epoch) const;
  // After an epoch: plateau watches `monitoredLoss` (lower is better); the others ignore it.
  void afterEpoch(double monitoredLoss);

  // The plateau rule's progress, for checkpoints.
  struct Plateau {
    double lr = 0, best = 0;
    int64_t badEpochs = 0;
  };
  Plateau plateau() const { return {plateauLr_, best_, badEpochs_}; }
  void restore(const Plateau& plateau);

 private:
  ScheduleOptions options_;
  double baseLr_;
  int64_t epochs_;
  double plateauLr_;
  double best_;
  int64_t badEpochs_ = 0;
};

}  // namespace unet
