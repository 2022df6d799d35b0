#include "addon/option_fields.h"

namespace unet::js {

const Fields<AugmentOptions> kAugmentFields = {
    {"horizontalFlip", &AugmentOptions::horizontalFlip},
    {"verticalFlip", &AugmentOptions::verticalFlip},
    {"rotate90", &AugmentOptions::rotate90},
    {"affine", &AugmentOptions::affine},
    {"rotationDegrees", &AugmentOptions::rotationDegrees},
    {"scaleMin", &AugmentOptions::scaleMin},
    {"scaleMax", &AugmentOptions::scaleMax},
    {"translateFraction", &AugmentOptions::translateFraction},
    {"elastic", &AugmentOptions::elastic},
    {"elasticSigmaPixels", &AugmentOptions::elasticSigmaPixels},
    {"elasticGridPoints", &AugmentOptions::elasticGridPoints},
    {"brightness", &AugmentOptions::brightness},
    {"brightnessRange", &AugmentOptions::brightnessRange},
    {"contrast", &AugmentOptions::contrast},
    {"contrastMin", &AugmentOptions::contrastMin},
    {"contrastMax", &AugmentOptions::contrastMax},
    {"gamma", &AugmentOptions::gamma},
    {"gammaMin", &AugmentOptions::gammaMin},
    {"gammaMax", &AugmentOptions::gammaMax},
    {"noise", &AugmentOptions::noise},
    {"noiseStd", &AugmentOptions::noiseStd},
};

AugmentOptions augmentOptionsFromJs(const Napi::Value& value, const std::string& path) {
  if (value.IsUndefined() || (value.IsBoolean() && !value.As<Napi::Boolean>().Value())) return {};
  if (value.IsBoolean()) return AugmentOptions::defaults();
  OptionReader reader(value, path);
  AugmentOptions a;
  readFields(reader, a, kAugmentFields);
  reader.finish();
  a.validate(path);
  return a;
}

}  // namespace unet::js
