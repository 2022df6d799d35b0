// The way back from the compute thread to one JS environment: a thread-safe function that runs deliveries on its
// JS thread (settling a job's Promise, fit's progress events), in the order they were sent. While jobs are
// pending it keeps the event loop alive. When the environment is torn down (a worker thread ends), a cleanup hook
// closes it and waits for the job running for it to finish; nothing reaches the environment after that.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace unet::js {

class JsThread {
 public:
  // Runs on the JS thread and is deleted there; never runs once the environment is gone.
  struct Delivery {
    virtual ~Delivery() = default;
    virtual void Deliver(Napi::Env env) = 0;
  };

  static std::shared_ptr<JsThread> Open(Napi::Env env);

  // JS thread: a job was queued, or its result delivered.
  void JobQueued(Napi::Env env);
  void JobDone(Napi::Env env);

  // Compute thread: runs `work` unless the environment is closing, and tells whether it ran. Teardown waits for it.
  bool RunIfOpen(const std::function<void()>& work);
  // Compute thread: hands `delivery` to the JS thread; false once the environment is closing (the caller keeps it).
  bool Send(Delivery* delivery);
  bool Closing();

 private:
  static void Call(Napi::Env env, Napi::Function, std::nullptr_t*, Delivery* delivery);
  using Function = Napi::TypedThreadSafeFunction<std::nullptr_t, Delivery, Call>;

  void Close();

  Function function_;
  size_t pending_ = 0;  // JS thread only
  std::mutex mutex_;
  std::condition_variable idle_;
  bool closing_ = false;
  int running_ = 0;
};

}  // namespace unet::js
