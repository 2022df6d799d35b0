#include "addon/options.h"

namespace unet::js {

void readPrecision(OptionReader& reader, Precision& precision) {
  std::string name = precisionName(precision);
  reader.read("precision", name);
  precision = parsePrecision(name, reader.path("precision"));
}

Precision forwardOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  Precision precision = kDefaultPrecision;
  readPrecision(reader, precision);
  reader.finish();
  return precision;
}

}  // namespace unet::js
