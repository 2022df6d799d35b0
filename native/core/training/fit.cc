#include "core/training/fit.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "core/distributed/data_parallel.h"
#include "core/distributed/sampler.h"
#include "core/io/checkpoint.h"
#include "core/options/range.h"
#include "core/training/evaluate.h"
#include "core/training/masks.h"
#include "core/training/step.h"

namespace unet {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

void FitOptions::validate(const std::string& path) const {
  range::integer(path + ".epochs", epochs, 1, 1000000);
  range::integer(path + ".batchSize", batchSize, 1, 1000000);
  optimizer.validate(path);
  schedule.validate(path + ".schedule");
  if (loss) requireScalarLoss(*loss);
  range::atLeast(path + ".gradClip", gradClip, 0);
  if (earlyStoppingPatience) range::integer(path + ".earlyStopping.patience", *earlyStoppingPatience, 1, 1000000);
  range::oneOf(path + ".checkpoint.monitor", checkpointMonitor, {"valDice", "valIoU", "valLoss", "loss"});
  augment.validate(path + ".augment");
}

namespace {

double monitored(const EpochRecord& record, const std::string& monitor) {
  if (monitor == "valDice") return record.valDice;
  if (monitor == "valIoU") return record.valIoU;
  if (monitor == "valLoss") return record.valLoss;
  return record.loss;
}

// Validation with the data shared out between the ranks (rank r scores images r, r + W, ...), combined into the
// scores one process gives on all of it: loss sums added, per-image scores gathered (padded with NaN, which the
// mean skips, as Gloo's allgather needs shares of one size).
Evaluation evaluateShared(DataParallel& parallel, UNet& model, const torch::Tensor& images, const torch::Tensor& masks,
                          const LossSpec& loss, int64_t batchSize, Precision precision) {
  parallel.broadcastBuffers();  // DDP's forward does so in eval mode too: every rank scores rank 0's model
  auto& group = parallel.group();
  const int64_t world = group.worldSize(), count = images.size(0);
  const auto share = torch::arange(group.rank(), count, world, torch::kLong).to(images.device());
  auto parts =
      evaluateParts(model, images.index_select(0, share), masks.index_select(0, share), loss, batchSize, precision);
  const auto sums = parallel.sum({parts.lossSum, static_cast<double>(parts.images)});
  const int64_t largest = (count + world - 1) / world;
  const auto gather = [&](const torch::Tensor& scores) {
    auto padded = torch::full({largest, scores.size(1)}, std::nan(""), scores.options());
    padded.narrow(0, 0, scores.size(0)).copy_(scores);
    return group.allgather(padded).reshape({-1, scores.size(1)});
  };
  EvaluationParts all;
  all.lossSum = sums[0];
  all.images = static_cast<int64_t>(sums[1]);
  all.dice = gather(parts.dice);
  all.iou = gather(parts.iou);
  return summarize(all);
}

bool improves(double value, double best, const std::string& monitor) {
  if (std::isnan(value)) return false;
  if (std::isnan(best)) return true;
  const bool lowerIsBetter = monitor == "valLoss" || monitor == "loss";
  return lowerIsBetter ? value < best : value > best;
}

}  // namespace

FitResult fit(UNet& model, TrainingProgress& progress, const FitData& data, const FitOptions& options,
              const FitCallbacks& callbacks) {
  options.validate();
  const auto device = model->parameters().front().device();
  const int64_t classes = model->options().classes;
  if (data.images.size(0) == 0) throw std::invalid_argument("images: the dataset is empty");
  const auto images = data.images.to(device, torch::kFloat32);
  checkImages(*model, images, "images");
  const auto masks = prepareMasks(data.masks, classes, images, "masks");
  torch::Tensor valImages, valMasks;
  if (data.valImages.defined()) {
    valImages = data.valImages.to(device, torch::kFloat32);
    checkImages(*model, valImages, "validation.images");
    valMasks = prepareMasks(data.valMasks, classes, valImages, "validation.masks");
  }
  const bool hasValidation = valImages.defined();
  const LossSpec loss = options.loss.value_or(defaultLoss(classes));
  const auto precision = resolvePrecision(options.precision, device, "options.precision", true);
  const auto& group = options.processGroup;
  const int64_t worldSize = group ? group->worldSize() : 1, rank = group ? group->rank() : 0;
  if (options.syncBatchNorm && !group) throw std::invalid_argument("options.syncBatchNorm: needs options.processGroup");

  if (!options.resumeFrom.empty()) {
    auto checkpoint = loadCheckpoint(options.resumeFrom);
    loadStateDict(*model, checkpoint.stateDict);
    useChannelsLast(model);
    decodeProgress(checkpoint.progress, progress);
    if (progress.worldSize != worldSize) {
      throw std::invalid_argument("resumeFrom: the run was trained on " + std::to_string(progress.worldSize) +
                                  " process(es); resume it on as many (here: " + std::to_string(worldSize) + ")");
    }
    progress.optimizer = std::make_unique<Optimizer>(namedParameters(model), options.optimizer);
    if (checkpoint.optimizer == options.optimizer.name) progress.optimizer->loadSlots(checkpoint.optimizerSlots);
  } else {
    progress = TrainingProgress();
    progress.worldSize = worldSize;
    useChannelsLast(model);
    progress.optimizer = std::make_unique<Optimizer>(namedParameters(model), options.optimizer);
  }
  Optimizer& optimizer = *progress.optimizer;
  // DDP's constructor: every rank starts from rank 0's weights and buffers.
  std::unique_ptr<DataParallel> parallel;
  if (group) {
    parallel = std::make_unique<DataParallel>(model, group, options.syncBatchNorm);
    parallel->broadcastState();
  }
  // A decision every rank takes together when distributed (stop, whose request may reach one rank only).
  const auto anyRank = [&](bool mine) { return parallel ? parallel->sum({mine ? 1.0 : 0.0})[0] > 0 : mine; };
  LearningRateSchedule schedule(options.schedule, options.optimizer.lr, options.epochs);
  if (!options.resumeFrom.empty()) schedule.restore(progress.plateau);

  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  FitResult result;
  const int64_t trainCount = images.size(0);
  int64_t step = 0;
  bool stoppedEarly = false;
  for (int64_t epoch = progress.epochsDone; epoch < options.epochs && !stoppedEarly; ++epoch) {
    if (anyRank(callbacks.stopRequested && callbacks.stopRequested())) {  // before this epoch changes any state
      result.aborted = true;
      break;
    }
    // Seeding by epoch makes a resumed run draw what an uninterrupted one would have.
    // Distributed, each rank augments its own images with draws of its own.
    generator.set_current_seed(options.seed * 1000003u + static_cast<uint64_t>(epoch) +
                               static_cast<uint64_t>(rank) * 7777777u);
    torch::manual_seed(options.seed * 7919u + static_cast<uint64_t>(epoch));  // dropout
    const auto started = Clock::now();
    optimizer.setLearningRate(schedule.forEpoch(epoch));
    model->train();
    // Distributed: this rank's share, as torch's DistributedSampler(shuffle, seed) with set_epoch(epoch) draws it.
    const auto order = parallel
                           ? distributedIndices(trainCount, epoch, {rank, worldSize, options.shuffle, options.seed})
                       : options.shuffle ? torch::randperm(trainCount, generator, torch::kLong)
                                         : torch::arange(trainCount, torch::kLong);
    const int64_t count = order.size(0);
    double lossSum = 0;
    int64_t seen = 0;
    for (int64_t start = 0; start < count; start += options.batchSize) {
      if (anyRank(callbacks.stopRequested && callbacks.stopRequested())) {
        result.aborted = true;
        break;
      }
      const auto batch = order.slice(0, start, start + options.batchSize).to(device);
      auto x = images.index_select(0, batch), y = masks.index_select(0, batch);
      if (options.augment.any()) std::tie(x, y) = augment(x, y, options.augment, generator);
      const std::string where = "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(step + 1);
      const double batchLoss =
          optimise(model, optimizer, x, y, loss, options.gradClip, where, precision, parallel.get());
      lossSum += batchLoss * static_cast<double>(x.size(0));
      seen += x.size(0);
      ++step;
      if (callbacks.onBatchEnd) callbacks.onBatchEnd(step, epoch + 1, batchLoss);
    }
    if (result.aborted) break;
    if (parallel) {  // every rank logs the figures of the whole epoch
      const auto sums = parallel->sum({lossSum, static_cast<double>(seen)});
      lossSum = sums[0];
      seen = static_cast<int64_t>(sums[1]);
    }
    const double trainSeconds = secondsSince(started);

    EpochRecord record;
    record.epoch = epoch + 1;
    record.loss = lossSum / static_cast<double>(seen);
    record.lr = optimizer.learningRate();
    record.imagesPerSecond = static_cast<double>(seen) / trainSeconds;
    record.valLoss = record.valDice = record.valIoU = std::nan("");
    if (hasValidation) {
      const auto scores =
          parallel ? evaluateShared(*parallel, model, valImages, valMasks, loss, options.batchSize, precision)
                   : evaluate(model, valImages, valMasks, loss, options.batchSize, precision);
      record.valLoss = scores.loss;
      record.valDice = scores.dice;
      record.valIoU = scores.iou;
    }
    record.seconds = secondsSince(started);
    schedule.afterEpoch(hasValidation ? record.valLoss : record.loss);
    progress.plateau = schedule.plateau();
    progress.epochsDone = epoch + 1;
    progress.history.push_back(record);
    result.history.push_back(record);

    if (!options.checkpointPath.empty() &&
        improves(monitored(record, options.checkpointMonitor), progress.bestMonitored, options.checkpointMonitor)) {
      progress.bestMonitored = monitored(record, options.checkpointMonitor);
      if (rank == 0) saveCheckpoint(options.checkpointPath, makeCheckpoint(model, progress));
    }
    if (options.earlyStoppingPatience && hasValidation) {
      if (improves(record.valDice, progress.bestValDice, "valDice")) {
        progress.bestValDice = record.valDice;
        progress.epochsWithoutImprovement = 0;
      } else if (++progress.epochsWithoutImprovement >= *options.earlyStoppingPatience) {
        stoppedEarly = true;
      }
    }
    if (callbacks.onEpochEnd) callbacks.onEpochEnd(record);
  }
  model->eval();
  result.history = progress.history;
  return result;
}

}  // namespace unet
