// Registration only: what the addon exports, and the state each environment keeps.
#include <napi.h>

#include "addon/addon_data.h"
#include "addon/augment_binding.h"
#include "addon/backend_binding.h"
#include "addon/ensemble_binding.h"
#include "addon/js_thread.h"
#include "addon/losses_binding.h"
#include "addon/metrics_binding.h"
#include "addon/model_wrap.h"
#include "addon/options.h"
#include "addon/postprocess_binding.h"
#include "addon/process_group_wrap.h"

namespace unet::js {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->modelConstructor = Napi::Persistent(ModelWrap::DefineClass(env));
  data->processGroupConstructor = Napi::Persistent(ProcessGroupWrap::DefineClass(env));
  data->jsThread = JsThread::Open(env);
  env.SetInstanceData(data);

  exports.Set("createModel", Napi::Function::New(env, CreateModel, "createModel"));
  exports.Set("loadModel", Napi::Function::New(env, LoadModel, "loadModel"));
  exports.Set("augment", Napi::Function::New(env, Augment, "augment"));
  exports.Set("computeLoss", Napi::Function::New(env, ComputeLoss, "computeLoss"));
  exports.Set("computeMetric", Napi::Function::New(env, ComputeMetric, "computeMetric"));
  exports.Set("combinePredictions", Napi::Function::New(env, CombinePredictions, "combinePredictions"));
  exports.Set("postprocess", Napi::Function::New(env, Postprocess, "postprocess"));
  exports.Set("backendInfo", Napi::Function::New(env, BackendInfo, "backendInfo"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("setComputeNice", Napi::Function::New(env, SetComputeNice, "setComputeNice"));
  exports.Set("defaults", Napi::Function::New(env, Defaults, "defaults"));
  exports.Set("checkFitOptions", Napi::Function::New(env, CheckFitOptions, "checkFitOptions"));
  exports.Set("initProcessGroup", Napi::Function::New(env, InitProcessGroup, "initProcessGroup"));
  exports.Set("distributedSupport", Napi::Function::New(env, DistributedSupport, "distributedSupport"));
  exports.Set("distributedIndices", Napi::Function::New(env, DistributedIndices, "distributedIndices"));
  return exports;
}

}  // namespace unet::js

static Napi::Object InitTorchUnet(Napi::Env env, Napi::Object exports) {
  return unet::js::Init(env, exports);
}

NODE_API_MODULE(torch_unet, InitTorchUnet)
