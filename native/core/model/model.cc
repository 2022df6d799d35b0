#include "core/model/model.h"

#include "core/inference/standardise.h"
#include "core/io/checkpoint.h"
#include "core/runtime/autocast.h"
#include "core/training/masks.h"
#include "core/training/step.h"

namespace unet {

namespace {

// Buffers (batch-norm running statistics) as they were, put back when a training-mode pass ends.
class BufferSnapshot {
 public:
  explicit BufferSnapshot(torch::nn::Module& module) : module_(module) {
    torch::NoGradGuard noGrad;
    for (const auto& buffer : module.named_buffers()) saved_.emplace_back(buffer.key(), buffer.value().clone());
  }
  ~BufferSnapshot() {
    torch::NoGradGuard noGrad;
    auto buffers = module_.named_buffers();
    for (const auto& [name, value] : saved_) buffers[name].copy_(value);
  }
  BufferSnapshot(const BufferSnapshot&) = delete;
  BufferSnapshot& operator=(const BufferSnapshot&) = delete;

 private:
  torch::nn::Module& module_;
  std::vector<std::pair<std::string, torch::Tensor>> saved_;
};

}  // namespace

Model::Model(UNet module, torch::Device device)
    : module_(std::move(module)), options_(module_->options()), device_(device) {
  module_->to(device_);
  module_->eval();
  parameterCount_ = unet::parameterCount(*module_);
}

std::shared_ptr<Model> Model::create(const UNetOptions& options, torch::Device device, std::optional<uint64_t> seed) {
  options.validate();
  if (seed) torch::manual_seed(*seed);
  return std::shared_ptr<Model>(new Model(UNet(options), device));
}

std::shared_ptr<Model> Model::load(const std::string& path, torch::Device device) {
  auto checkpoint = loadCheckpoint(path);
  UNet module(checkpoint.options);
  unet::loadStateDict(*module, checkpoint.stateDict);
  std::shared_ptr<Model> model(new Model(module, device));
  decodeProgress(checkpoint.progress, model->progress_);
  if (!checkpoint.optimizer.empty()) {
    OptimizerOptions optimizer;
    optimizer.name = checkpoint.optimizer;
    model->progress_.optimizer = std::make_unique<Optimizer>(namedParameters(model->module_), optimizer);
    model->progress_.optimizer->loadSlots(checkpoint.optimizerSlots);
  }
  return model;
}

torch::Tensor Model::forward(const torch::Tensor& images, Precision precision) {
  c10::InferenceMode inference;
  checkImages(*module_, images, "x");
  precision = resolvePrecision(precision, device_, "options.precision");
  module_->eval();
  Autocast autocast(device_, precision);
  return module_->forward(images.to(device_, torch::kFloat32)).to(torch::kFloat32);
}

torch::Tensor Model::predict(const torch::Tensor& images, const PredictOptions& options) {
  checkImages(*module_, images, "images");
  if (!options.standardise && !images.is_floating_point()) {
    throw std::invalid_argument("images: expected float images; uint8 pixels need options.standardise");
  }
  const int64_t minimum = module_->sizeMultiple();
  if (options.tileSize != 0 && options.tileSize < minimum) {
    throw std::invalid_argument("options.tile.size: expected at least 2^depth = " + std::to_string(minimum) + ", got " +
                                std::to_string(options.tileSize));
  }
  const auto precision = resolvePrecision(options.precision, device_, "options.precision");
  auto& net = inference_[precision];
  if (!net) net = std::make_unique<InferenceNet>(module_, precision);
  const auto input = options.standardise ? standardiseImages(images) : images;
  return unet::predict(*net, input.to(device_, torch::kFloat32), options);
}

Gradients Model::gradients(const torch::Tensor& images, const torch::Tensor& targets,
                           const std::optional<LossSpec>& loss) {
  checkImages(*module_, images, "images");
  BufferSnapshot buffers(*module_);
  Gradients result;
  module_->train();
  module_->zero_grad();
  try {
    const auto logits = module_->forward(images.to(device_, torch::kFloat32));
    const auto value = computeLoss(loss.value_or(defaultLoss(options_.classes)), logits, targets.to(device_));
    if (value.dim() != 0) throw std::invalid_argument("loss.reduction: expected 'mean' or 'sum' for gradients");
    value.backward();
    result.loss = value.item<double>();
    for (const auto& parameter : module_->named_parameters()) {
      if (parameter.value().grad().defined())
        result.byParameter.emplace_back(parameter.key(), parameter.value().grad().clone());
    }
  } catch (...) {
    module_->zero_grad();
    module_->eval();
    throw;
  }
  module_->zero_grad();
  module_->eval();
  return result;
}

Evaluation Model::evaluate(const torch::Tensor& images, const torch::Tensor& masks, const EvaluateOptions& options) {
  options.validate();
  const auto x = images.to(device_, torch::kFloat32);
  checkImages(*module_, x, "images");
  const auto precision = resolvePrecision(options.precision, device_, "options.precision");
  return unet::evaluate(module_, x, prepareMasks(masks, options_.classes, x, "masks"),
                        options.loss.value_or(defaultLoss(options_.classes)), options.batchSize, precision);
}

std::map<std::string, torch::Tensor> Model::stateDict() {
  return stateDictOf(*module_);
}

void Model::save(const std::string& path) {
  saveCheckpoint(path, makeCheckpoint(module_, progress_));
}

void Model::exportWeights(const std::string& path) {
  exportStateDict(path, stateDictOf(*module_));
}

double Model::trainStep(const torch::Tensor& images, const torch::Tensor& masks, const TrainStepOptions& options) {
  weightsChanged();
  return unet::trainStep(module_, progress_, images, masks, options);
}

FitResult Model::fit(const FitData& data, const FitOptions& options, const FitCallbacks& callbacks) {
  weightsChanged();  // also when fit fails midway: the weights may have moved
  return unet::fit(module_, progress_, data, options, callbacks);
}

void Model::loadStateDict(const std::map<std::string, torch::Tensor>& stateDict) {
  unet::loadStateDict(*module_, stateDict);
  weightsChanged();
}

void Model::importWeights(const std::string& path) {
  unet::loadStateDict(*module_, importStateDict(path));
  weightsChanged();
}

}  // namespace unet
