#include "addon/option_fields.h"

namespace unet::js {

const Fields<OverlapMetricOptions> kOverlapMetricFields = {
    {"includeBackground", &OverlapMetricOptions::includeBackground},
    {"ignoreEmpty", &OverlapMetricOptions::ignoreEmpty},
};

namespace {

void readReduction(OptionReader& reader, MetricReduction& reduction) {
  std::string name = metricReductionName(reduction);
  reader.read("reduction", name);
  reduction = parseMetricReduction(name, reader.path("reduction"));
}

// spacing: a number or one per axis for every image, or an array of those, one per image.
void readSpacing(OptionReader& reader, Spacing& spacing) {
  const auto value = reader.take("spacing");
  const bool perImage =
      value.IsArray() && value.As<Napi::Array>().Length() > 0 && value.As<Napi::Array>().Get(0u).IsArray();
  if (perImage) {
    reader.read("spacing", spacing.perImage);
  } else {
    reader.read("spacing", spacing.everyImage);
  }
}

void readSurfaceMetricOptions(OptionReader& reader, SurfaceMetricOptions& options) {
  reader.read("includeBackground", options.includeBackground);
  std::string metric = distanceMetricName(options.distanceMetric);
  reader.read("distanceMetric", metric);
  options.distanceMetric = parseDistanceMetric(metric, reader.path("distanceMetric"));
  readSpacing(reader, options.spacing);
  readReduction(reader, options.reduction);
}

}  // namespace

OverlapMetricOptions overlapMetricOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  OverlapMetricOptions m;
  readFields(reader, m, kOverlapMetricFields);
  readReduction(reader, m.reduction);
  reader.finish();
  return m;
}

HausdorffOptions hausdorffOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  HausdorffOptions h;
  readSurfaceMetricOptions(reader, h.surface);
  reader.read("percentile", h.percentile);
  reader.read("directed", h.directed);
  reader.finish();
  h.validate(reader.path());
  return h;
}

SurfaceDistanceOptions surfaceDistanceOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  SurfaceDistanceOptions s;
  readSurfaceMetricOptions(reader, s.surface);
  reader.read("symmetric", s.symmetric);
  reader.finish();
  return s;
}

SurfaceDiceOptions surfaceDiceOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  SurfaceDiceOptions s;
  readSurfaceMetricOptions(reader, s.surface);
  reader.read("classThresholds", s.classThresholds);
  reader.finish();
  s.validate(reader.path());
  return s;
}

}  // namespace unet::js
