#include "addon/option_fields.h"

namespace unet::js {

const Fields<KeepLargestComponentOptions> kKeepLargestComponentFields = {
    {"independent", &KeepLargestComponentOptions::independent},
};

const Fields<RemoveSmallObjectsOptions> kRemoveSmallObjectsFields = {
    {"minSize", &RemoveSmallObjectsOptions::minSize},
    {"independent", &RemoveSmallObjectsOptions::independent},
};

namespace {

// A transform within postprocess: false | undefined (not applied), true (its defaults) or its options.
template <typename Options>
std::optional<Options> transformFromJs(const Napi::Value& value, const std::string& path,
                                       Options (*fromJs)(const Napi::Value&, const std::string&)) {
  if (value.IsUndefined() || (value.IsBoolean() && !value.As<Napi::Boolean>().Value())) return std::nullopt;
  if (value.IsBoolean()) return Options();
  if (!value.IsObject() || value.IsArray() || value.IsFunction() || value.IsTypedArray()) {
    throwTypeError(value.Env(), path, "a boolean or an options object", value);
  }
  return fromJs(value, path);
}

}  // namespace

KeepLargestComponentOptions keepLargestComponentOptionsFromJs(const Napi::Value& value, const std::string& path) {
  OptionReader reader(value, path);
  KeepLargestComponentOptions k;
  reader.read("connectivity", k.connectivity);
  readFields(reader, k, kKeepLargestComponentFields);
  reader.read("labels", k.labels);
  reader.finish();
  k.validate(path);
  return k;
}

FillHolesOptions fillHolesOptionsFromJs(const Napi::Value& value, const std::string& path) {
  OptionReader reader(value, path);
  FillHolesOptions f;
  reader.read("connectivity", f.connectivity);
  reader.read("labels", f.labels);
  reader.finish();
  f.validate(path);
  return f;
}

RemoveSmallObjectsOptions removeSmallObjectsOptionsFromJs(const Napi::Value& value, const std::string& path) {
  OptionReader reader(value, path);
  RemoveSmallObjectsOptions r;
  readFields(reader, r, kRemoveSmallObjectsFields);
  reader.read("connectivity", r.connectivity);
  reader.read("labels", r.labels);
  reader.finish();
  r.validate(path);
  return r;
}

PostprocessOptions postprocessOptionsFromJs(const Napi::Value& value, const std::string& path) {
  OptionReader reader(value, path);
  PostprocessOptions p;
  p.removeSmallObjects = transformFromJs(reader.take("removeSmallObjects"), reader.path("removeSmallObjects"),
                                         removeSmallObjectsOptionsFromJs);
  p.keepLargestComponent = transformFromJs(reader.take("keepLargestComponent"), reader.path("keepLargestComponent"),
                                           keepLargestComponentOptionsFromJs);
  p.fillHoles = transformFromJs(reader.take("fillHoles"), reader.path("fillHoles"), fillHolesOptionsFromJs);
  reader.finish();
  return p;
}

}  // namespace unet::js
