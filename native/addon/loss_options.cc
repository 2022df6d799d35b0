#include "addon/option_reader.h"
#include "addon/options.h"
#include "core/options/range.h"

namespace unet::js {

namespace {

Reduction readReduction(OptionReader& reader, Reduction fallback) {
  std::string name = reductionName(fallback);
  reader.read("reduction", name);
  return parseReduction(name, reader.path("reduction"));
}

DiceOptions readDice(OptionReader& reader) {
  DiceOptions d;
  reader.read("includeBackground", d.includeBackground);
  reader.read("toOnehotY", d.toOnehotY);
  reader.read("sigmoid", d.sigmoid);
  reader.read("softmax", d.softmax);
  reader.read("squaredPred", d.squaredPred);
  reader.read("jaccard", d.jaccard);
  d.reduction = readReduction(reader, d.reduction);
  reader.read("smoothNr", d.smoothNr);
  reader.read("smoothDr", d.smoothDr);
  reader.read("batch", d.batch);
  reader.read("weight", d.weight);
  return d;
}

LossSpec readLoss(const std::string& kind, OptionReader& reader, const std::string& kindName) {
  range::oneOf(kindName, kind, {"dice", "diceCe", "bce", "crossEntropy", "focal", "tversky"});
  if (kind == "dice") return readDice(reader);
  if (kind == "diceCe") {
    DiceCeOptions d;
    d.dice = readDice(reader);
    reader.read("lambdaDice", d.lambdaDice);
    reader.read("lambdaCe", d.lambdaCe);
    reader.read("ceWeight", d.ceWeight);
    reader.read("labelSmoothing", d.labelSmoothing);
    return d;
  }
  if (kind == "bce") {
    BceOptions b;
    reader.read("posWeight", b.posWeight);
    b.reduction = readReduction(reader, b.reduction);
    return b;
  }
  if (kind == "crossEntropy") {
    CrossEntropyOptions c;
    reader.read("weight", c.weight);
    reader.read("ignoreIndex", c.ignoreIndex);
    reader.read("labelSmoothing", c.labelSmoothing);
    c.reduction = readReduction(reader, c.reduction);
    return c;
  }
  if (kind == "focal") {
    FocalOptions f;
    reader.read("includeBackground", f.includeBackground);
    reader.read("toOnehotY", f.toOnehotY);
    reader.read("gamma", f.gamma);
    reader.read("alpha", f.alpha);
    reader.read("weight", f.weight);
    reader.read("useSoftmax", f.useSoftmax);
    f.reduction = readReduction(reader, f.reduction);
    return f;
  }
  TverskyOptions t;
  reader.read("includeBackground", t.includeBackground);
  reader.read("toOnehotY", t.toOnehotY);
  reader.read("sigmoid", t.sigmoid);
  reader.read("softmax", t.softmax);
  reader.read("alpha", t.alpha);
  reader.read("beta", t.beta);
  t.reduction = readReduction(reader, t.reduction);
  reader.read("smoothNr", t.smoothNr);
  reader.read("smoothDr", t.smoothDr);
  reader.read("batch", t.batch);
  return t;
}

}  // namespace

LossSpec lossSpecFromJs(const std::string& kind, const Napi::Value& options, const std::string& kindName,
                        const std::string& path) {
  OptionReader reader(options, path);
  auto spec = readLoss(kind, reader, kindName);
  reader.finish();
  validateLoss(spec, path);
  return spec;
}

std::optional<LossSpec> lossFromJs(const Napi::Value& value, const std::string& path) {
  if (value.IsUndefined()) return std::nullopt;
  OptionReader reader(value, path);
  const auto name = reader.take("name");
  if (!name.IsString()) {
    throwTypeError(value.Env(), reader.path("name"),
                   range::choices({"dice", "diceCe", "bce", "crossEntropy", "focal", "tversky"}), name);
  }
  auto spec = readLoss(name.As<Napi::String>().Utf8Value(), reader, reader.path("name"));
  reader.finish();
  validateLoss(spec, path);
  return spec;
}

}  // namespace unet::js
