// The JS-visible process group (NativeProcessGroup): its rank, world size and backend, a barrier and a sum. fit takes
// it as options.processGroup; the group lives while any JS object or running fit holds it.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "core/distributed/process_group.h"

namespace unet::js {

class ProcessGroupWrap : public Napi::ObjectWrap<ProcessGroupWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  static Napi::Object NewInstance(Napi::Env env, std::shared_ptr<ProcessGroup> group);
  // The group behind a JS value; a TypeError naming `path` for anything else.
  static std::shared_ptr<ProcessGroup> From(const Napi::Value& value, const std::string& path);

  explicit ProcessGroupWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Rank(const Napi::CallbackInfo& info);
  Napi::Value WorldSize(const Napi::CallbackInfo& info);
  Napi::Value Backend(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  Napi::Value Allreduce(const Napi::CallbackInfo& info);

  std::shared_ptr<ProcessGroup> group_;
};

// initProcessGroup(options): Promise<NativeProcessGroup>, once every rank has joined. The rendezvous runs on the
// compute thread, which it holds until the group is complete or the timeout has passed.
Napi::Value InitProcessGroup(const Napi::CallbackInfo& info);

// distributedSupport(): { gloo: string | null, nccl: string | null }: null where this build has the backend, else
// what is missing and how to get it.
Napi::Value DistributedSupport(const Napi::CallbackInfo& info);

// distributedIndices(count, epoch, { rank, worldSize, shuffle, seed, dropLast }): number[], DistributedSampler's
// share of one rank (synchronous: a permutation of `count` integers).
Napi::Value DistributedIndices(const Napi::CallbackInfo& info);

}  // namespace unet::js
