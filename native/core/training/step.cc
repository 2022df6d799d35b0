#include "core/training/step.h"

#include <cmath>
#include <memory>
#include <stdexcept>

#include "core/distributed/sync_batch_norm.h"
#include "core/options/range.h"
#include "core/runtime/autocast.h"
#include "core/training/masks.h"

namespace unet {

void TrainStepOptions::validate(const std::string& path) const {
  optimizer.validate(path);
  if (loss) requireScalarLoss(*loss);
  range::atLeast(path + ".gradClip", gradClip, 0);
}

std::vector<std::pair<std::string, torch::Tensor>> namedParameters(UNet& model) {
  std::vector<std::pair<std::string, torch::Tensor>> parameters;
  for (const auto& item : model->named_parameters()) parameters.emplace_back(item.key(), item.value());
  return parameters;
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

double optimise(UNet& model, Optimizer& optimizer, const torch::Tensor& images, const torch::Tensor& masks,
                const LossSpec& lossSpec, double gradClip, const std::string& where, Precision precision,
                DataParallel* parallel) {
  if (parallel) parallel->broadcastBuffers();
  torch::Tensor loss;
  {
    // The forward pass under autocast; backward runs each op's gradient in the type its forward ran in.
    Autocast autocast(images.device(), precision);
    SyncBatchNormScope sync(parallel && parallel->syncBatchNorm() ? &parallel->group() : nullptr);
    // The loss in float32 whatever the logits' dtype: bf16 sums over whole images lose too much.
    loss = computeLoss(lossSpec, model->forward(channelsLastOnCpu(images)).to(torch::kFloat32), masks);
  }
  if (loss.dim() != 0) throw std::invalid_argument("loss.reduction: expected 'mean' or 'sum' for training");
  const double value = loss.item<double>();
  const bool finite = std::isfinite(value);
  const bool allFinite = parallel ? parallel->sum({finite ? 0.0 : 1.0})[0] == 0 : finite;
  if (!allFinite) {
    const std::string what = finite ? "on another rank" : std::isnan(value) ? "NaN" : "infinite";
    throw std::runtime_error("the loss became " + what + " at " + where +
                             "; the weights are those of the step before. Lower lr, set gradClip, or check "
                             "the images and masks");
  }
  optimizer.zeroGrad();
  if (parallel) parallel->start();
  loss.backward();
  if (parallel) parallel->finish();
  if (gradClip > 0) clipGradientNorm(namedParameters(model), gradClip);
  optimizer.step();
  return value;
}

double trainStep(UNet& model, TrainingProgress& progress, const torch::Tensor& images, const torch::Tensor& masks,
                 const TrainStepOptions& options) {
  options.validate();
  const auto& optimizer = options.optimizer;
  const LossSpec loss = options.loss.value_or(defaultLoss(model->options().classes));
  requireScalarLoss(loss);
  const auto device = model->parameters().front().device();
  const auto precision = resolvePrecision(options.precision, device, "options.precision", true);
  const auto x = images.to(device, torch::kFloat32);
  checkImages(*model, x, "images");
  const auto y = prepareMasks(masks, model->options().classes, x, "masks");
  useChannelsLast(model);
  if (!progress.optimizer || progress.optimizer->options().name != optimizer.name) {
    progress.optimizer = std::make_unique<Optimizer>(namedParameters(model), optimizer);
  }
  progress.optimizer->setLearningRate(optimizer.lr);
  model->train();
  try {
    const double value = optimise(model, *progress.optimizer, x, y, loss, options.gradClip, "this step", precision);
    model->eval();
    return value;
  } catch (...) {
    model->eval();
    throw;
  }
}

}  // namespace unet
