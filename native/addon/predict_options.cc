#include "addon/option_fields.h"
#include "core/options/range.h"

namespace unet::js {

const Fields<PredictOptions> kPredictFields = {{"threshold", &PredictOptions::threshold},
                                               {"standardise", &PredictOptions::standardise}};

// tile { size, overlap, blend, sigmaScale }: flat in the core's struct.
const Fields<PredictOptions> kTileFields = {
    {"size", &PredictOptions::tileSize},
    {"overlap", &PredictOptions::tileOverlap},
    {"sigmaScale", &PredictOptions::sigmaScale},
};

PredictOptions predictOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  PredictOptions p;
  std::string output = predictOutputName(p.output);
  reader.read("output", output);
  p.output = parsePredictOutput(output, reader.path("output"));
  readFields(reader, p, kPredictFields);
  if (reader.has("tile")) {
    OptionReader tile(reader.take("tile"), reader.path("tile"));
    if (!tile.has("size")) throwTypeError(value.Env(), tile.path("size"), "an integer", tile.take("size"));
    readFields(tile, p, kTileFields);
    std::string blend = tileBlendName(p.blend);
    tile.read("blend", blend);
    p.blend = parseTileBlend(blend, tile.path("blend"));
    tile.finish();
  }
  std::string tta;
  reader.read("tta", tta);
  if (!tta.empty()) range::oneOf(reader.path("tta"), tta, {"flips"});
  p.ttaFlips = tta == "flips";
  reader.read("maxPixels", p.maxPixels);
  readPrecision(reader, p.precision);
  if (reader.has("postprocess"))
    p.postprocess = postprocessOptionsFromJs(reader.take("postprocess"), reader.path("postprocess"));
  reader.finish();
  p.validate();
  return p;
}

}  // namespace unet::js
