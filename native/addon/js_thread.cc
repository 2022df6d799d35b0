#include "addon/js_thread.h"

namespace unet::js {

std::shared_ptr<JsThread> JsThread::Open(Napi::Env env) {
  auto channel = std::make_shared<JsThread>();
  // No JS function: Call() does the work. One sending thread (the compute thread), which never releases it.
  channel->function_ = Function::New(env, "torch-unet", 0, 1);
  channel->function_.Unref(env);
  // Registered after the thread-safe function's own hook, so it runs first (hooks run in reverse order).
  env.AddCleanupHook([channel] { channel->Close(); });
  return channel;
}

void JsThread::JobQueued(Napi::Env env) {
  if (pending_++ == 0) function_.Ref(env);
}

void JsThread::JobDone(Napi::Env env) {
  if (--pending_ == 0) function_.Unref(env);
}

bool JsThread::RunIfOpen(const std::function<void()>& work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_) return false;
    ++running_;
  }
  work();
  std::lock_guard<std::mutex> lock(mutex_);
  --running_;
  idle_.notify_all();
  return true;
}

bool JsThread::Send(Delivery* delivery) {
  std::lock_guard<std::mutex> lock(mutex_);
  return !closing_ && function_.NonBlockingCall(delivery) == napi_ok;
}

bool JsThread::Closing() {
  std::lock_guard<std::mutex> lock(mutex_);
  return closing_;
}

void JsThread::Close() {
  std::unique_lock<std::mutex> lock(mutex_);
  closing_ = true;
  idle_.wait(lock, [this] { return running_ == 0; });
}

namespace {

// A worker thread being terminated still runs its event loop for a while, but no JS: every call that would fail,
// and node-addon-api turns such a failure into a fatal error. Setting a property is one of those calls.
bool canRunJs(napi_env env) {
  napi_value object;
  if (napi_create_object(env, &object) != napi_ok) return false;
  return napi_set_named_property(env, object, "probe", object) == napi_ok;
}

}  // namespace

void JsThread::Call(Napi::Env env, Napi::Function, std::nullptr_t*, Delivery* delivery) {
  // Without an environment, or one that can no longer run JS (teardown), the delivery's JS references cannot be
  // released: it is left alone.
  if (env == nullptr || !canRunJs(env)) return;
  std::unique_ptr<Delivery> owned(delivery);
  Napi::HandleScope scope(env);
  try {
    owned->Deliver(env);
  } catch (...) {  // a delivery settles its own errors; nothing may escape into Node
  }
}

}  // namespace unet::js
