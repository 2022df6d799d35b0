#include "addon/tensor_bridge.h"

#include "addon/js_values.h"
#include "core/options/shape_text.h"

#include <cmath>
#include <limits>

namespace unet::js {

namespace {

constexpr int64_t kMaxRank = 8;

[[noreturn]] void typeError(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}
[[noreturn]] void rangeError(Napi::Env env, const std::string& message) {
  throw Napi::RangeError::New(env, message);
}

torch::ScalarType scalarTypeOf(Napi::Env env, napi_typedarray_type type, const std::string& name) {
  switch (type) {
    case napi_float32_array: return torch::kFloat32;
    case napi_float64_array: return torch::kFloat64;
    case napi_uint8_array: return torch::kUInt8;
    case napi_int32_array: return torch::kInt32;
    case napi_bigint64_array: return torch::kInt64;
    default:
      typeError(env, name + ".data: expected a Float32Array, Float64Array, Uint8Array, Int32Array or BigInt64Array");
  }
}

std::vector<int64_t> readShape(Napi::Env env, const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) typeError(env, name + ".shape: expected an array of non-negative integers");
  const auto array = value.As<Napi::Array>();
  if (array.Length() > kMaxRank) rangeError(env, name + ".shape: expected at most 8 dimensions");
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const auto item = array.Get(i);
    const double size = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(size >= 0) || size != std::floor(size) || size > kMaxSafeInteger) {
      typeError(env, name + ".shape[" + std::to_string(i) + "]: expected a non-negative integer");
    }
    shape.push_back(static_cast<int64_t>(size));
  }
  return shape;
}

// Product of the sizes, or -1 when it overflows (such a shape cannot match any real array).
int64_t elementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (const int64_t size : shape) {
    if (size != 0 && count > std::numeric_limits<int64_t>::max() / size) return -1;
    count *= size;
  }
  return count;
}

const char* dtypeName(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kUInt8: return "uint8";
    case torch::kInt32: return "int32";
    case torch::kInt64: return "int64";
    default: return "float32";
  }
}

napi_typedarray_type typedArrayTypeOf(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64: return napi_float64_array;
    case torch::kUInt8: return napi_uint8_array;
    case torch::kInt32: return napi_int32_array;
    case torch::kInt64: return napi_bigint64_array;
    default: return napi_float32_array;
  }
}

}  // namespace

BorrowedTensor tensorFromJs(const Napi::Value& value, const std::string& name) {
  const Napi::Env env = value.Env();
  if (!value.IsObject() || value.IsTypedArray() || value.IsArray()) {
    typeError(env, name + ": expected a tensor { data: TypedArray, shape: number[] }");
  }
  const auto object = value.As<Napi::Object>();
  const auto dataValue = object.Get("data");
  if (!dataValue.IsTypedArray()) typeError(env, name + ".data: expected a typed array");
  const auto data = dataValue.As<Napi::TypedArray>();
  const auto scalarType = scalarTypeOf(env, data.TypedArrayType(), name);
  auto shape = readShape(env, object.Get("shape"), name);
  const int64_t count = elementCount(shape);
  if (count < 0 || static_cast<size_t>(count) != data.ElementLength()) {
    rangeError(env, name + ": data has " + std::to_string(data.ElementLength()) + " elements but shape " +
                        shapeText(shape) + " needs " + (count < 0 ? "more than 2^63" : std::to_string(count)));
  }
  BorrowedTensor borrowed;
  borrowed.owner = Napi::Persistent(dataValue.As<Napi::Object>());
  if (count == 0) {
    borrowed.tensor = torch::empty(shape, torch::TensorOptions().dtype(scalarType));
  } else {
    auto* base = static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
    borrowed.tensor = torch::from_blob(base, shape, torch::TensorOptions().dtype(scalarType));
  }
  return borrowed;
}

torch::Tensor toJsLayout(const torch::Tensor& result) {
  auto tensor = result.detach().to(torch::kCPU);
  const auto type = tensor.scalar_type();
  if (type == torch::kBool) {
    tensor = tensor.to(torch::kUInt8);
  } else if (type != torch::kFloat32 && type != torch::kFloat64 && type != torch::kUInt8 && type != torch::kInt32 &&
             type != torch::kInt64) {
    tensor = tensor.to(torch::kFloat32);
  }
  return tensor.contiguous();
}

Napi::Object tensorToJs(Napi::Env env, torch::Tensor tensor) {
  tensor = toJsLayout(tensor);  // a no-op for results made ready on the compute thread
  const auto byteLength = static_cast<size_t>(tensor.numel()) * tensor.element_size();
  Napi::ArrayBuffer buffer;
  if (byteLength == 0) {
    buffer = Napi::ArrayBuffer::New(env, 0);
  } else {
    // The ArrayBuffer owns a reference to the tensor; its storage is freed when JS collects the buffer.
    auto* owner = new torch::Tensor(tensor);
    buffer = Napi::ArrayBuffer::New(
        env, owner->data_ptr(), byteLength, [](Napi::Env, void*, torch::Tensor* hint) { delete hint; }, owner);
  }
  const auto elements = static_cast<size_t>(tensor.numel());
  napi_value data;
  NAPI_THROW_IF_FAILED(env,
                       napi_create_typedarray(env, typedArrayTypeOf(tensor.scalar_type()), elements, buffer, 0, &data),
                       Napi::Object());
  auto shape = Napi::Array::New(env, static_cast<size_t>(tensor.dim()));
  for (int64_t i = 0; i < tensor.dim(); ++i)
    shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, tensor.size(i)));
  auto result = Napi::Object::New(env);
  result.Set("data", Napi::Value(env, data));
  result.Set("shape", shape);
  result.Set("dtype", Napi::String::New(env, dtypeName(tensor.scalar_type())));
  return result;
}

Napi::Value tensorOrNumberToJs(Napi::Env env, const torch::Tensor& tensor) {
  if (tensor.dim() == 0) return Napi::Number::New(env, tensor.item<double>());
  return tensorToJs(env, tensor);
}

}  // namespace unet::js
