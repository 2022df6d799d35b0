#include "addon/option_fields.h"

namespace unet::js {

const Fields<UNetOptions> kUNetFields = {
    {"inChannels", &UNetOptions::inChannels},   {"classes", &UNetOptions::classes}, {"depth", &UNetOptions::depth},
    {"baseFilters", &UNetOptions::baseFilters}, {"growth", &UNetOptions::growth},   {"dropout", &UNetOptions::dropout},
};

UNetOptions unetOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  UNetOptions u;
  readFields(reader, u, kUNetFields);
  std::string norm = normName(u.norm), activation = activationName(u.activation),
              upsampling = upsamplingName(u.upsampling);
  reader.read("norm", norm);
  reader.read("activation", activation);
  reader.read("upsampling", upsampling);
  u.norm = parseNorm(norm, reader.path("norm"));
  u.activation = parseActivation(activation, reader.path("activation"));
  u.upsampling = parseUpsampling(upsampling, reader.path("upsampling"));
  reader.finish();
  u.validate();
  return u;
}

Napi::Object unetOptionsToJs(Napi::Env env, const UNetOptions& u) {
  auto o = Napi::Object::New(env);
  fieldsToJs(o, u, kUNetFields);
  o.Set("norm", normName(u.norm));
  o.Set("activation", activationName(u.activation));
  o.Set("upsampling", upsamplingName(u.upsampling));
  return o;
}

}  // namespace unet::js
