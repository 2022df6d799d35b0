#include "addon/option_fields.h"

namespace unet::js {

const Fields<OverlapMetricOptions> kOverlapMetricFields = {
    {"includeBackground", &OverlapMetricOptions::includeBackground},
    {"ignoreEmpty", &OverlapMetricOptions::ignoreEmpty},
};

OverlapMetricOptions overlapMetricOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  OverlapMetricOptions m;
  readFields(reader, m, kOverlapMetricFields);
  std::string reduction = metricReductionName(m.reduction);
  reader.read("reduction", reduction);
  m.reduction = parseMetricReduction(reduction, reader.path("reduction"));
  reader.finish();
  return m;
}

}  // namespace unet::js
