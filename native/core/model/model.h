// The one object every operation on a model goes through. It owns the module, its device, the training progress
// and predict's inference net, which it builds on first use and drops whenever the weights change: an operation
// that changes the weights can only do so here, so predict never serves stale weights.
// Not thread-safe: every operation runs on the compute thread. options(), device() and parameterCount() never
// change after creation and may be read from any thread.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/inference/inference_net.h"
#include "core/inference/predict.h"
#include "core/losses/loss_spec.h"
#include "core/model/unet.h"
#include "core/runtime/precision.h"
#include "core/training/evaluate.h"
#include "core/training/fit.h"
#include "core/training/progress.h"
#include "core/training/step.h"

namespace unet {

// Loss and gradient of every parameter for one training-mode pass.
struct Gradients {
  double loss = 0;
  std::vector<std::pair<std::string, torch::Tensor>> byParameter;
};

class Model {
 public:
  // seed: of the weight initialisation; none draws from libtorch's global generator.
  static std::shared_ptr<Model> create(const UNetOptions& options, torch::Device device, std::optional<uint64_t> seed);
  // A model from a checkpoint written by save() or fit: configuration, weights, optimiser and progress.
  static std::shared_ptr<Model> load(const std::string& path, torch::Device device);

  const UNetOptions& options() const { return options_; }
  torch::Device device() const { return device_; }
  int64_t parameterCount() const { return parameterCount_; }
  const std::vector<EpochRecord>& history() const { return progress_.history; }

  // Logits in eval mode, through the module itself: in fp32 bit for bit PyTorch's forward; in bf16 (fp16) PyTorch's
  // forward under autocast, logits returned as fp32.
  torch::Tensor forward(const torch::Tensor& images, Precision precision = kDefaultPrecision);
  // Through the inference net: folded batch norm, prepacked convolutions; tiling and TTA as asked.
  torch::Tensor predict(const torch::Tensor& images, const PredictOptions& options);
  // The model is left exactly as it was: batch-norm statistics are restored, gradients cleared.
  Gradients gradients(const torch::Tensor& images, const torch::Tensor& targets, const std::optional<LossSpec>& loss);
  Evaluation evaluate(const torch::Tensor& images, const torch::Tensor& masks, const EvaluateOptions& options);
  std::map<std::string, torch::Tensor> stateDict();
  void save(const std::string& path);
  void exportWeights(const std::string& path);

  // The operations that change the weights.
  double trainStep(const torch::Tensor& images, const torch::Tensor& masks, const TrainStepOptions& options);
  FitResult fit(const FitData& data, const FitOptions& options, const FitCallbacks& callbacks);
  void loadStateDict(const std::map<std::string, torch::Tensor>& stateDict);
  void importWeights(const std::string& path);

 private:
  Model(UNet module, torch::Device device);
  void weightsChanged() { inference_.clear(); }

  UNet module_;
  UNetOptions options_;
  torch::Device device_;
  int64_t parameterCount_;
  TrainingProgress progress_;
  std::map<Precision, std::unique_ptr<InferenceNet>> inference_;  // made on a precision's first predict
};

}  // namespace unet
