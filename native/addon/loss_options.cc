#include "addon/option_fields.h"
#include "core/options/range.h"

namespace unet::js {

const Fields<DiceOptions> kDiceFields = {
    {"includeBackground", &DiceOptions::includeBackground},
    {"toOnehotY", &DiceOptions::toOnehotY},
    {"sigmoid", &DiceOptions::sigmoid},
    {"softmax", &DiceOptions::softmax},
    {"squaredPred", &DiceOptions::squaredPred},
    {"jaccard", &DiceOptions::jaccard},
    {"smoothNr", &DiceOptions::smoothNr},
    {"smoothDr", &DiceOptions::smoothDr},
    {"batch", &DiceOptions::batch},
    {"weight", &DiceOptions::weight},
};

const Fields<DiceCeOptions> kDiceCeFields = {
    {"lambdaDice", &DiceCeOptions::lambdaDice},
    {"lambdaCe", &DiceCeOptions::lambdaCe},
    {"ceWeight", &DiceCeOptions::ceWeight},
    {"labelSmoothing", &DiceCeOptions::labelSmoothing},
};

const Fields<BceOptions> kBceFields = {{"posWeight", &BceOptions::posWeight}};

const Fields<CrossEntropyOptions> kCrossEntropyFields = {
    {"weight", &CrossEntropyOptions::weight},
    {"ignoreIndex", &CrossEntropyOptions::ignoreIndex},
    {"labelSmoothing", &CrossEntropyOptions::labelSmoothing},
};

const Fields<FocalOptions> kFocalFields = {
    {"includeBackground", &FocalOptions::includeBackground},
    {"toOnehotY", &FocalOptions::toOnehotY},
    {"gamma", &FocalOptions::gamma},
    {"alpha", &FocalOptions::alpha},
    {"weight", &FocalOptions::weight},
    {"useSoftmax", &FocalOptions::useSoftmax},
};

const Fields<TverskyOptions> kTverskyFields = {
    {"includeBackground", &TverskyOptions::includeBackground},
    {"toOnehotY", &TverskyOptions::toOnehotY},
    {"sigmoid", &TverskyOptions::sigmoid},
    {"softmax", &TverskyOptions::softmax},
    {"alpha", &TverskyOptions::alpha},
    {"beta", &TverskyOptions::beta},
    {"smoothNr", &TverskyOptions::smoothNr},
    {"smoothDr", &TverskyOptions::smoothDr},
    {"batch", &TverskyOptions::batch},
};

namespace {

// Every loss but diceCe has a reduction; diceCe's is its Dice term's.
template <typename Options>
Options readWithReduction(OptionReader& reader, const Fields<Options>& fields) {
  Options options;
  readFields(reader, options, fields);
  std::string reduction = reductionName(options.reduction);
  reader.read("reduction", reduction);
  options.reduction = parseReduction(reduction, reader.path("reduction"));
  return options;
}

LossSpec readLoss(const std::string& kind, OptionReader& reader, const std::string& kindName) {
  range::oneOf(kindName, kind, lossNames());
  if (kind == "dice") return readWithReduction(reader, kDiceFields);
  if (kind == "diceCe") {
    DiceCeOptions d;
    d.dice = readWithReduction(reader, kDiceFields);
    readFields(reader, d, kDiceCeFields);
    return d;
  }
  if (kind == "bce") return readWithReduction(reader, kBceFields);
  if (kind == "crossEntropy") return readWithReduction(reader, kCrossEntropyFields);
  if (kind == "focal") return readWithReduction(reader, kFocalFields);
  return readWithReduction(reader, kTverskyFields);
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
  if (!name.IsString()) throwTypeError(value.Env(), reader.path("name"), range::choices(lossNames()), name);
  auto spec = readLoss(name.As<Napi::String>().Utf8Value(), reader, reader.path("name"));
  reader.finish();
  validateLoss(spec, path);
  return spec;
}

}  // namespace unet::js
