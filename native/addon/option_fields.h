// The plain fields of each options struct, by their names in JS: one table serves reading the user's options
// (OptionReader) and showing the defaults (defaults.cc), so a field is named once. Enums, nested objects and
// fields with rules of their own are handled beside the tables.
#pragma once

#include <napi.h>

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "addon/option_reader.h"
#include "addon/options.h"

namespace unet::js {

template <typename Options>
struct Field {
  const char* name;
  std::variant<bool Options::*, double Options::*, int64_t Options::*, uint64_t Options::*,
               std::vector<double> Options::*, std::optional<double> Options::*>
      member;
};

template <typename Options>
using Fields = std::vector<Field<Options>>;

template <typename Options>
void readFields(OptionReader& reader, Options& options, const Fields<Options>& fields) {
  for (const auto& field : fields)
    std::visit([&](auto member) { reader.read(field.name, options.*member); }, field.member);
}

inline void setField(Napi::Object& object, const char* name, bool value) {
  object.Set(name, value);
}
inline void setField(Napi::Object& object, const char* name, double value) {
  object.Set(name, value);
}
inline void setField(Napi::Object& object, const char* name, int64_t value) {
  object.Set(name, static_cast<double>(value));
}
inline void setField(Napi::Object& object, const char* name, uint64_t value) {
  object.Set(name, static_cast<double>(value));
}
inline void setField(Napi::Object&, const char*, const std::vector<double>&) {}  // lists default to none
inline void setField(Napi::Object&, const char*, const std::optional<double>&) {}

template <typename Options>
void fieldsToJs(Napi::Object& object, const Options& options, const Fields<Options>& fields) {
  for (const auto& field : fields)
    std::visit([&](auto member) { setField(object, field.name, options.*member); }, field.member);
}

// The tables, one for each options struct (defined beside the converter that reads it).
extern const Fields<UNetOptions> kUNetFields;
extern const Fields<OptimizerOptions> kOptimizerFields;
extern const Fields<ScheduleOptions> kScheduleFields;
extern const Fields<FitOptions> kFitFields;
extern const Fields<AugmentOptions> kAugmentFields;
extern const Fields<PredictOptions> kPredictFields;
extern const Fields<PredictOptions> kTileFields;
extern const Fields<DiceOptions> kDiceFields;
extern const Fields<DiceCeOptions> kDiceCeFields;  // beside its DiceOptions
extern const Fields<BceOptions> kBceFields;
extern const Fields<CrossEntropyOptions> kCrossEntropyFields;
extern const Fields<FocalOptions> kFocalFields;
extern const Fields<TverskyOptions> kTverskyFields;
extern const Fields<OverlapMetricOptions> kOverlapMetricFields;
extern const Fields<KeepLargestComponentOptions> kKeepLargestComponentFields;
extern const Fields<RemoveSmallObjectsOptions> kRemoveSmallObjectsFields;
extern const Fields<ProcessGroupOptions> kProcessGroupFields;

}  // namespace unet::js
