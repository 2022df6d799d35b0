#include "core/training/schedule.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/options/range.h"

namespace unet {

const std::vector<const char*>& scheduleNames() {
  static const std::vector<const char*> names = {"constant", "plateau", "cosine", "poly"};
  return names;
}

void ScheduleOptions::validate(const std::string& path, bool named) const {
  range::oneOf(named ? path : path + ".name", name, scheduleNames());
  range::number(path + ".factor", factor, 0, 1, true, true);
  range::integer(path + ".patience", patience, 0, 1000000);
  range::atLeast(path + ".minLr", minLr, 0);
}

LearningRateSchedule::LearningRateSchedule(ScheduleOptions options, double baseLr, int64_t epochs)
    : options_(std::move(options)),
      baseLr_(baseLr),
      epochs_(epochs),
      plateauLr_(baseLr),
      best_(std::numeric_limits<double>::infinity()) {
  options_.validate();
}

double LearningRateSchedule::forEpoch(int64_t epoch) const {
  const double progress = static_cast<double>(epoch) / static_cast<double>(epochs_);
  const double pi = std::acos(-1.0);
  if (options_.name == "plateau") return plateauLr_;
  if (options_.name == "cosine") return options_.minLr + (baseLr_ - options_.minLr) * (1 + std::cos(pi * progress)) / 2;
  if (options_.name == "poly") return std::max(options_.minLr, baseLr_ * std::pow(1 - progress, 0.9));
  return baseLr_;
}

void LearningRateSchedule::afterEpoch(double monitoredLoss) {
  if (options_.name != "plateau" || std::isnan(monitoredLoss)) return;
  // ReduceLROnPlateau(mode='min', threshold=1e-4, threshold_mode='rel', cooldown=0)
  if (monitoredLoss < best_ * (1 - 1e-4)) {
    best_ = monitoredLoss;
    badEpochs_ = 0;
    return;
  }
  if (++badEpochs_ > options_.patience) {
    plateauLr_ = std::max(plateauLr_ * options_.factor, options_.minLr);
    badEpochs_ = 0;
  }
}

void LearningRateSchedule::restore(const Plateau& plateau) {
  plateauLr_ = plateau.lr;
  best_ = plateau.best;
  badEpochs_ = plateau.badEpochs;
}

}  // namespace unet
