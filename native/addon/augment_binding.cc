#include "addon/augment_binding.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "addon/js_errors.h"
#include "addon/js_values.h"
#include "addon/options_bridge.h"
#include "addon/tensor_bridge.h"
#include "addon/workers.h"
#include "core/training/augment.h"

namespace unet::js {

namespace {

class AugmentWorker : public PromiseWorker {
 public:
  AugmentWorker(Napi::Env env, BorrowedTensor images, BorrowedTensor masks, AugmentOptions options, uint64_t seed)
      : PromiseWorker(env, "augment"),
        images_(std::move(images)),
        masks_(std::move(masks)),
        options_(options),
        seed_(seed) {}

 protected:
  void Run() override {
    const auto& images = images_.tensor;
    const auto& masks = masks_.tensor;
    if (images.dim() != 4) throw std::invalid_argument("images: expected N x C x H x W");
    if (masks.dim() != 4 || masks.size(0) != images.size(0) || masks.size(2) != images.size(2) ||
        masks.size(3) != images.size(3)) {
      throw std::invalid_argument("masks: expected N x K x H x W matching the images");
    }
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed_);
    std::tie(augmentedImages_, augmentedMasks_) = augment(images.to(torch::kFloat32), masks, options_, generator);
  }

  Napi::Value Result(Napi::Env env) override {
    auto result = Napi::Object::New(env);
    result.Set("images", tensorToJs(env, augmentedImages_));
    result.Set("masks", tensorToJs(env, augmentedMasks_));
    return result;
  }

 private:
  BorrowedTensor images_, masks_;
  AugmentOptions options_;
  uint64_t seed_;
  torch::Tensor augmentedImages_, augmentedMasks_;
};

}  // namespace

Napi::Value Augment(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto images = tensorFromJs(info[0], "images");
    auto masks = tensorFromJs(info[1], "masks");
    const auto options = augmentOptionsFromJs(requireObject(info[2], "options"));
    const double seed = info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : -1;
    if (!(seed >= 0) || seed != std::floor(seed))
      throw Napi::TypeError::New(info.Env(), "seed: expected an integer >= 0");
    auto* worker =
        new AugmentWorker(info.Env(), std::move(images), std::move(masks), options, static_cast<uint64_t>(seed));
    auto promise = worker->Promise();
    worker->Queue();
    return promise;
  });
}

}  // namespace unet::js
