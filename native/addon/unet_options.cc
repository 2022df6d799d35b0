#include "addon/option_reader.h"
#include "addon/options.h"

namespace unet::js {

UNetOptions unetOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  UNetOptions u;
  reader.read("inChannels", u.inChannels);
  reader.read("classes", u.classes);
  reader.read("depth", u.depth);
  reader.read("baseFilters", u.baseFilters);
  reader.read("growth", u.growth);
  std::string norm = normName(u.norm), activation = activationName(u.activation),
              upsampling = upsamplingName(u.upsampling);
  reader.read("norm", norm);
  reader.read("activation", activation);
  reader.read("upsampling", upsampling);
  u.norm = parseNorm(norm, reader.path("norm"));
  u.activation = parseActivation(activation, reader.path("activation"));
  u.upsampling = parseUpsampling(upsampling, reader.path("upsampling"));
  reader.read("dropout", u.dropout);
  reader.finish();
  u.validate();
  return u;
}

Napi::Object unetOptionsToJs(Napi::Env env, const UNetOptions& u) {
  auto o = Napi::Object::New(env);
  o.Set("inChannels", Napi::Number::New(env, static_cast<double>(u.inChannels)));
  o.Set("classes", Napi::Number::New(env, static_cast<double>(u.classes)));
  o.Set("depth", Napi::Number::New(env, static_cast<double>(u.depth)));
  o.Set("baseFilters", Napi::Number::New(env, static_cast<double>(u.baseFilters)));
  o.Set("growth", Napi::Number::New(env, u.growth));
  o.Set("norm", Napi::String::New(env, normName(u.norm)));
  o.Set("activation", Napi::String::New(env, activationName(u.activation)));
  o.Set("upsampling", Napi::String::New(env, upsamplingName(u.upsampling)));
  o.Set("dropout", Napi::Number::New(env, u.dropout));
  return o;
}

}  // namespace unet::js
