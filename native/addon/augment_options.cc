#include "addon/option_reader.h"
#include "addon/options.h"

namespace unet::js {

std::vector<std::pair<const char*, double*>> augmentFields(AugmentOptions& a) {
  return {
      {"horizontalFlip", &a.horizontalFlip},
      {"verticalFlip", &a.verticalFlip},
      {"rotate90", &a.rotate90},
      {"affine", &a.affine},
      {"rotationDegrees", &a.rotationDegrees},
      {"scaleMin", &a.scaleMin},
      {"scaleMax", &a.scaleMax},
      {"translateFraction", &a.translateFraction},
      {"elastic", &a.elastic},
      {"elasticSigmaPixels", &a.elasticSigmaPixels},
      {"brightness", &a.brightness},
      {"brightnessRange", &a.brightnessRange},
      {"contrast", &a.contrast},
      {"contrastMin", &a.contrastMin},
      {"contrastMax", &a.contrastMax},
      {"gamma", &a.gamma},
      {"gammaMin", &a.gammaMin},
      {"gammaMax", &a.gammaMax},
      {"noise", &a.noise},
      {"noiseStd", &a.noiseStd},
  };
}
AugmentOptions augmentOptionsFromJs(const Napi::Value& value, const std::string& path) {
  if (value.IsUndefined() || (value.IsBoolean() && !value.As<Napi::Boolean>().Value())) return {};
  if (value.IsBoolean()) return AugmentOptions::defaults();
  OptionReader reader(value, path);
  AugmentOptions a;
  for (const auto& [key, field] : augmentFields(a)) reader.read(key, *field);
  reader.read("elasticGridPoints", a.elasticGridPoints);
  reader.finish();
  a.validate(path);
  return a;
}

}  // namespace unet::js
