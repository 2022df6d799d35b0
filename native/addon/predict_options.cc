#include "addon/option_reader.h"
#include "addon/options.h"
#include "core/options/range.h"

namespace unet::js {

PredictOptions predictOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  PredictOptions p;
  std::string output = predictOutputName(p.output);
  reader.read("output", output);
  p.output = parsePredictOutput(output, reader.path("output"));
  reader.read("threshold", p.threshold);
  if (reader.has("tile")) {
    OptionReader tile(reader.take("tile"), reader.path("tile"));
    if (!tile.has("size")) throwTypeError(value.Env(), tile.path("size"), "an integer", tile.take("size"));
    tile.read("size", p.tileSize);
    tile.read("overlap", p.tileOverlap);
    std::string blend = tileBlendName(p.blend);
    tile.read("blend", blend);
    p.blend = parseTileBlend(blend, tile.path("blend"));
    tile.read("sigmaScale", p.sigmaScale);
    tile.finish();
  }
  std::string tta;
  reader.read("tta", tta);
  if (!tta.empty()) range::oneOf(reader.path("tta"), tta, {"flips"});
  p.ttaFlips = tta == "flips";
  reader.read("maxPixels", p.maxPixels);
  reader.finish();
  p.validate();
  return p;
}

}  // namespace unet::js
