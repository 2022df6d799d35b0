#include "core/training/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "core/io/checkpoint.h"
#include "core/metrics/metrics.h"

namespace unet {

namespace {

using Clock = std::chrono::steady_clock;
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void checkImages(const torch::Tensor& images, const UNet& model, const std::string& name) {
  model->checkInput(images);  // rank, channels, size; its messages say "x"
  requireFinite(images, name);
}

// On the CPU, oneDNN runs the convolutions and their gradients about a fifth faster on channels-last weights and
// activations (a 256x256 step of the reference U-Net in PyTorch 1.13: 2.6 s -> 2.0 s). Only the layout changes.
void useChannelsLast(UNet& model) {
  torch::NoGradGuard noGrad;
  for (auto& parameter : model->parameters()) {
    if (parameter.dim() == 4 && parameter.device().is_cpu() &&
        !parameter.is_contiguous(torch::MemoryFormat::ChannelsLast)) {
      parameter.set_data(parameter.contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
}

torch::Tensor channelsLastOnCpu(const torch::Tensor& images) {
  return images.is_cpu() && images.dim() == 4 ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images;
}

void checkOptions(const FitOptions& options) {
  if (options.epochs < 1 || options.epochs > 1000000) throw std::invalid_argument("epochs: expected an integer >= 1");
  if (options.batchSize < 1) throw std::invalid_argument("batchSize: expected an integer >= 1");
  if (!(options.gradClip >= 0)) throw std::invalid_argument("gradClip: expected a number >= 0");
  if (options.earlyStoppingPatience < 0)
    throw std::invalid_argument("earlyStopping.patience: expected an integer >= 0");
  const auto& monitor = options.checkpointMonitor;
  if (monitor != "valDice" && monitor != "valIoU" && monitor != "valLoss" && monitor != "loss") {
    throw std::invalid_argument("checkpoint.monitor: expected 'valDice', 'valIoU', 'valLoss' or 'loss'");
  }
  requireScalarLoss(options.loss);
  options.optimizer.validate();
  options.schedule.validate();
  options.augment.validate();
}

struct Split {
  torch::Tensor images, masks, valImages, valMasks;
};

// A seeded random fraction for validation when no validation set is given: the same seed, the same split.
Split splitData(const torch::Tensor& images, const torch::Tensor& masks, double fraction, uint64_t seed) {
  const int64_t count = images.size(0);
  if (fraction <= 0) return {images, masks, {}, {}};
  const int64_t validation = std::llround(static_cast<double>(count) * fraction);
  if (validation < 1 || validation >= count) {
    throw std::invalid_argument("validationSplit: " + std::to_string(fraction) + " of " + std::to_string(count) +
                                " images leaves no image for training or for validation");
  }
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto order = torch::randperm(count, generator, torch::kLong).to(images.device());
  const auto train = order.slice(0, 0, count - validation), held = order.slice(0, count - validation);
  return {images.index_select(0, train), masks.index_select(0, train), images.index_select(0, held),
          masks.index_select(0, held)};
}

// Binarised (one class) or one-hot (more) predictions, as the overlap metrics take them.
torch::Tensor discretize(const torch::Tensor& logits) {
  if (logits.size(1) == 1) return binarize(logits, 0.5);
  return oneHot(argmaxIndices(logits), logits.size(1));
}

torch::Tensor asOneHotTarget(const torch::Tensor& masks, int64_t classes) {
  return classes == 1 ? masks : oneHot(masks, classes);
}

}  // namespace

Evaluation evaluate(UNet& model, const torch::Tensor& images, const torch::Tensor& masks, const LossSpec& loss,
                    int64_t batchSize) {
  torch::NoGradGuard noGrad;
  model->eval();
  const int64_t classes = model->options().classes;
  // Background is left out of the scores for several classes (it would dominate them), kept for one.
  OverlapMetricOptions metric;
  metric.includeBackground = classes == 1;
  metric.reduction = MetricReduction::None;
  double lossSum = 0;
  std::vector<torch::Tensor> dice, iou;
  for (int64_t start = 0; start < images.size(0); start += batchSize) {
    const auto x = images.slice(0, start, start + batchSize), y = masks.slice(0, start, start + batchSize);
    const auto logits = model->forward(x);
    lossSum += computeLoss(loss, logits, y).item<double>() * static_cast<double>(x.size(0));
    const auto predicted = discretize(logits), truth = asOneHotTarget(y, classes);
    dice.push_back(diceMetric(predicted, truth, metric));
    iou.push_back(iouMetric(predicted, truth, metric));
  }
  // MONAI's mean: over the classes present in each image, then over the images that have any; NaN (not
  // MONAI's 0) when no image has any, so an undefined score is not mistaken for a bad one.
  const auto meanOf = [](const std::vector<torch::Tensor>& parts) {
    const auto scores = torch::cat(parts);
    if (torch::isnan(scores).all().item<bool>()) return std::nan("");
    return reduceMetric(scores, MetricReduction::Mean).item<double>();
  };
  return {lossSum / static_cast<double>(images.size(0)), meanOf(dice), meanOf(iou)};
}

namespace {

double monitored(const EpochRecord& record, const std::string& monitor) {
  if (monitor == "valDice") return record.valDice;
  if (monitor == "valIoU") return record.valIoU;
  if (monitor == "valLoss") return record.valLoss;
  return record.loss;
}

bool improves(double value, double best, const std::string& monitor) {
  if (std::isnan(value)) return false;
  if (std::isnan(best)) return true;
  const bool lowerIsBetter = monitor == "valLoss" || monitor == "loss";
  return lowerIsBetter ? value < best : value > best;
}

}  // namespace

NamedTensors namedParameters(UNet& model) {
  NamedTensors parameters;
  for (const auto& item : model->named_parameters()) parameters.emplace_back(item.key(), item.value());
  return parameters;
}

CheckpointData makeCheckpoint(UNet& model, const TrainingState& state) {
  CheckpointData data;
  data.options = model->options();
  data.modelState = namedState(*model);
  if (state.optimizer) {
    data.optimizer = state.optimizer->options().name;
    data.optimizerState = state.optimizer->state();
  }
  data.trainingState = encodeTrainingState(state);
  return data;
}

namespace {

// bf16 autocast on CUDA while it lives (thread-local, so it covers only this job's forward pass and loss).
class CudaAutocast {
 public:
  explicit CudaAutocast(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
  }
  ~CudaAutocast() {
    if (!enabled_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
    at::autocast::set_enabled(false);
#endif
    at::autocast::clear_cache();
  }
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;

 private:
  bool enabled_;
};

// Runs one optimisation step; returns the loss. NaN or Inf stops before the weights change.
double optimise(UNet& model, Optimizer& optimizer, const torch::Tensor& images, const torch::Tensor& masks,
                const LossSpec& lossSpec, double gradClip, const std::string& where, bool mixedPrecision = false) {
  torch::Tensor loss;
  {
    CudaAutocast autocast(mixedPrecision && images.is_cuda());
    // The loss in float32 whatever the logits' dtype: bf16 sums over whole images lose too much.
    loss = computeLoss(lossSpec, model->forward(channelsLastOnCpu(images)).to(torch::kFloat32), masks);
  }
  if (loss.dim() != 0) throw std::invalid_argument("loss.reduction: expected 'mean' or 'sum' for training");
  const double value = loss.item<double>();
  if (!std::isfinite(value)) {
    throw std::runtime_error("the loss became " + std::string(std::isnan(value) ? "NaN" : "infinite") + " at " + where +
                             "; the weights are those of the step before. Lower lr, set gradClip, or check "
                             "the images and masks");
  }
  optimizer.zeroGrad();
  loss.backward();
  if (gradClip > 0) clipGradientNorm(namedParameters(model), gradClip);
  optimizer.step();
  return value;
}

}  // namespace

torch::Tensor prepareMasks(const torch::Tensor& masks, int64_t classes, const torch::Tensor& images,
                           const std::string& name) {
  auto prepared = masks.dim() == 3 ? masks.unsqueeze(1) : masks;
  if (prepared.dim() != 4 || prepared.size(1) != 1 || prepared.size(0) != images.size(0) ||
      prepared.size(2) != images.size(2) || prepared.size(3) != images.size(3)) {
    throw std::invalid_argument(name + ": expected " + std::to_string(images.size(0)) + " masks of " +
                                std::to_string(images.size(2)) + "x" + std::to_string(images.size(3)) +
                                " (N x 1 x H x W or N x H x W, matching the images)");
  }
  requireFinite(prepared, name);
  const auto low = prepared.min().item<double>(), high = prepared.max().item<double>();
  const bool integral = torch::equal(prepared, prepared.round());
  if (!integral || low < 0 || high > static_cast<double>(std::max<int64_t>(classes - 1, 1))) {
    throw std::invalid_argument(name + ": values must be class indices in [0, " +
                                std::to_string(std::max<int64_t>(classes, 2)) + ")" +
                                (classes == 1 ? " (0 or 1 for one class)" : "") + "; found " +
                                std::to_string(integral ? (low < 0 ? low : high) : prepared.max().item<double>()));
  }
  return classes == 1 ? prepared.to(images.device(), torch::kFloat32) : prepared.to(images.device(), torch::kLong);
}

FitResult fit(UNet& model, TrainingState& state, const FitData& data, const FitOptions& options,
              const FitCallbacks& callbacks) {
  checkOptions(options);
  const auto device = model->parameters().front().device();
  const int64_t classes = model->options().classes;
  if (data.images.size(0) == 0) throw std::invalid_argument("images: the dataset is empty");
  const auto images = data.images.to(device, torch::kFloat32);
  checkImages(images, model, "images");
  auto split =
      splitData(images, prepareMasks(data.masks, classes, images, "masks"), data.validationSplit, options.seed);
  if (data.valImages.defined()) {
    split.valImages = data.valImages.to(device, torch::kFloat32);
    checkImages(split.valImages, model, "validation.images");
    split.valMasks = prepareMasks(data.valMasks, classes, split.valImages, "validation.masks");
  }
  const bool hasValidation = split.valImages.defined();

  if (!options.resumeFrom.empty()) {
    auto checkpoint = loadCheckpoint(options.resumeFrom);
    loadNamedState(*model, checkpoint.modelState);
    useChannelsLast(model);
    decodeTrainingState(checkpoint.trainingState, state);
    state.optimizer = std::make_unique<Optimizer>(namedParameters(model), options.optimizer);
    if (checkpoint.optimizer == options.optimizer.name) state.optimizer->loadState(checkpoint.optimizerState);
  } else {
    state = TrainingState();
    useChannelsLast(model);
    state.optimizer = std::make_unique<Optimizer>(namedParameters(model), options.optimizer);
  }
  Optimizer& optimizer = *state.optimizer;
  LearningRateSchedule schedule(options.schedule, options.optimizer.lr, options.epochs);
  if (!options.resumeFrom.empty()) schedule.restore(state.schedule);

  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  FitResult result;
  const int64_t trainCount = split.images.size(0);
  int64_t step = 0;
  for (int64_t epoch = state.epochsDone; epoch < options.epochs && !result.stoppedEarly; ++epoch) {
    if (callbacks.stopRequested && callbacks.stopRequested()) {  // before this epoch changes any state
      result.aborted = true;
      break;
    }
    // Seeding by epoch makes a resumed run draw what an uninterrupted one would have.
    generator.set_current_seed(options.seed * 1000003u + static_cast<uint64_t>(epoch));
    torch::manual_seed(options.seed * 7919u + static_cast<uint64_t>(epoch));  // dropout
    const auto started = Clock::now();
    optimizer.setLearningRate(schedule.forEpoch(epoch));
    model->train();
    const auto order = options.shuffle ? torch::randperm(trainCount, generator, torch::kLong)
                                       : torch::arange(trainCount, torch::kLong);
    double lossSum = 0;
    int64_t seen = 0;
    for (int64_t start = 0; start < trainCount; start += options.batchSize) {
      if (callbacks.stopRequested && callbacks.stopRequested()) {
        result.aborted = true;
        break;
      }
      const auto batch = order.slice(0, start, start + options.batchSize).to(device);
      auto x = split.images.index_select(0, batch), y = split.masks.index_select(0, batch);
      if (options.augment.any()) std::tie(x, y) = augment(x, y, options.augment, generator);
      const std::string where = "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(step + 1);
      const double loss =
          optimise(model, optimizer, x, y, options.loss, options.gradClip, where, options.mixedPrecision);
      lossSum += loss * static_cast<double>(x.size(0));
      seen += x.size(0);
      ++step;
      if (callbacks.onBatchEnd) callbacks.onBatchEnd(step, epoch + 1, loss);
    }
    if (result.aborted) break;
    const double trainSeconds = secondsSince(started);

    EpochRecord record;
    record.epoch = epoch + 1;
    record.loss = lossSum / static_cast<double>(seen);
    record.lr = optimizer.learningRate();
    record.imagesPerSecond = static_cast<double>(seen) / trainSeconds;
    record.valLoss = record.valDice = record.valIoU = std::nan("");
    if (hasValidation) {
      const auto scores = evaluate(model, split.valImages, split.valMasks, options.loss, options.batchSize);
      record.valLoss = scores.loss;
      record.valDice = scores.dice;
      record.valIoU = scores.iou;
    }
    record.seconds = secondsSince(started);
    schedule.afterEpoch(hasValidation ? record.valLoss : record.loss);
    state.schedule = schedule.state();
    state.epochsDone = epoch + 1;
    state.history.push_back(record);
    result.history.push_back(record);

    if (!options.checkpointPath.empty() &&
        improves(monitored(record, options.checkpointMonitor), state.bestMonitored, options.checkpointMonitor)) {
      state.bestMonitored = monitored(record, options.checkpointMonitor);
      saveCheckpoint(options.checkpointPath, makeCheckpoint(model, state));
    }
    if (options.earlyStoppingPatience > 0 && hasValidation) {
      if (improves(record.valDice, state.bestValDice, "valDice")) {
        state.bestValDice = record.valDice;
        state.epochsWithoutImprovement = 0;
      } else if (++state.epochsWithoutImprovement >= options.earlyStoppingPatience) {
        result.stoppedEarly = true;
      }
    }
    if (callbacks.onEpochEnd) callbacks.onEpochEnd(record);
  }
  model->eval();
  result.history = state.history;
  return result;
}

double trainStep(UNet& model, TrainingState& state, const torch::Tensor& images, const torch::Tensor& masks,
                 const LossSpec& loss, const OptimizerOptions& optimizer, double gradClip) {
  optimizer.validate();
  requireScalarLoss(loss);
  const auto device = model->parameters().front().device();
  const auto x = images.to(device, torch::kFloat32);
  checkImages(x, model, "images");
  const auto y = prepareMasks(masks, model->options().classes, x, "masks");
  useChannelsLast(model);
  if (!state.optimizer || state.optimizer->options().name != optimizer.name) {
    state.optimizer = std::make_unique<Optimizer>(namedParameters(model), optimizer);
  }
  state.optimizer->setLearningRate(optimizer.lr);
  model->train();
  try {
    const double value = optimise(model, *state.optimizer, x, y, loss, gradClip, "this step");
    model->eval();
    return value;
  } catch (...) {
    model->eval();
    throw;
  }
}

std::string encodeTrainingState(const TrainingState& state) {
  std::ostringstream out;
  out.precision(17);
  out << "epochsDone " << state.epochsDone << "\n"
      << "schedule " << state.schedule.lr << " " << state.schedule.best << " " << state.schedule.badEpochs << "\n"
      << "bestMonitored " << state.bestMonitored << "\n"
      << "bestValDice " << state.bestValDice << " " << state.epochsWithoutImprovement << "\n";
  for (const auto& r : state.history) {
    out << "epoch " << r.epoch << " " << r.loss << " " << r.lr << " " << r.imagesPerSecond << " " << r.valLoss << " "
        << r.valDice << " " << r.valIoU << " " << r.seconds << "\n";
  }
  return out.str();
}

void decodeTrainingState(const std::string& text, TrainingState& state) {
  std::istringstream in(text);
  std::string line;
  TrainingState decoded;
  auto numbers = [](std::istringstream& words) {
    std::vector<double> values;
    std::string word;
    while (words >> word) values.push_back(std::strtod(word.c_str(), nullptr));  // strtod reads "nan" and "inf"
    return values;
  };
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    const auto v = numbers(words);
    auto need = [&](size_t count) {
      if (v.size() != count) throw std::invalid_argument("checkpoint: training state is corrupt near '" + key + "'");
    };
    if (key == "epochsDone") {
      need(1);
      decoded.epochsDone = static_cast<int64_t>(v[0]);
    } else if (key == "schedule") {
      need(3);
      decoded.schedule = {v[0], v[1], static_cast<int64_t>(v[2])};
    } else if (key == "bestMonitored") {
      need(1);
      decoded.bestMonitored = v[0];
    } else if (key == "bestValDice") {
      need(2);
      decoded.bestValDice = v[0];
      decoded.epochsWithoutImprovement = static_cast<int64_t>(v[1]);
    } else if (key == "epoch") {
      need(8);
      decoded.history.push_back({static_cast<int64_t>(v[0]), v[1], v[2], v[3], v[4], v[5], v[6], v[7]});
    } else if (!key.empty()) {
      throw std::invalid_argument("checkpoint: unknown training state entry '" + key + "'");
    }
  }
  decoded.optimizer = std::move(state.optimizer);
  state = std::move(decoded);
}

}  // namespace unet
