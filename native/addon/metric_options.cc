#include "addon/option_reader.h"
#include "addon/options.h"

namespace unet::js {

OverlapMetricOptions overlapMetricOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  OverlapMetricOptions m;
  reader.read("includeBackground", m.includeBackground);
  reader.read("ignoreEmpty", m.ignoreEmpty);
  std::string reduction = metricReductionName(m.reduction);
  reader.read("reduction", reduction);
  m.reduction = parseMetricReduction(reduction, reader.path("reduction"));
  reader.finish();
  return m;
}

}  // namespace unet::js
