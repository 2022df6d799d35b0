#include "core/training/progress.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace unet {

std::string encodeProgress(const TrainingProgress& progress) {
  std::ostringstream out;
  out.precision(17);
  out << "epochsDone " << progress.epochsDone << "\n"
      << "schedule " << progress.plateau.lr << " " << progress.plateau.best << " " << progress.plateau.badEpochs << "\n"
      << "bestMonitored " << progress.bestMonitored << "\n"
      << "bestValDice " << progress.bestValDice << " " << progress.epochsWithoutImprovement << "\n";
  // Only distributed runs write it, so single-process checkpoints stay readable by earlier versions.
  if (progress.worldSize != 1) out << "worldSize " << progress.worldSize << "\n";
  for (const auto& r : progress.history) {
    out << "epoch " << r.epoch << " " << r.loss << " " << r.lr << " " << r.imagesPerSecond << " " << r.valLoss << " "
        << r.valDice << " " << r.valIoU << " " << r.seconds << "\n";
  }
  return out.str();
}

void decodeProgress(const std::string& text, TrainingProgress& progress) {
  std::istringstream in(text);
  std::string line;
  TrainingProgress decoded;
  auto numbers = [](std::istringstream& words) {
    std::vector<double> values;
    std::string word;
    while (words >> word) values.push_back(std::strtod(word.c_str(), nullptr));  // strtod reads "nan" and "inf"
    return values;
  };
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    const auto v = numbers(words);
    auto need = [&](size_t count) {
      if (v.size() != count) throw std::invalid_argument("checkpoint: training progress is corrupt near '" + key + "'");
    };
    if (key == "epochsDone") {
      need(1);
      decoded.epochsDone = static_cast<int64_t>(v[0]);
    } else if (key == "schedule") {
      need(3);
      decoded.plateau = {v[0], v[1], static_cast<int64_t>(v[2])};
    } else if (key == "bestMonitored") {
      need(1);
      decoded.bestMonitored = v[0];
    } else if (key == "bestValDice") {
      need(2);
      decoded.bestValDice = v[0];
      decoded.epochsWithoutImprovement = static_cast<int64_t>(v[1]);
    } else if (key == "worldSize") {
      need(1);
      decoded.worldSize = static_cast<int64_t>(v[0]);
    } else if (key == "epoch") {
      need(8);
      decoded.history.push_back({static_cast<int64_t>(v[0]), v[1], v[2], v[3], v[4], v[5], v[6], v[7]});
    } else if (!key.empty()) {
      throw std::invalid_argument("checkpoint: unknown training progress entry '" + key + "'");
    }
  }
  decoded.optimizer = std::move(progress.optimizer);
  progress = std::move(decoded);
}

}  // namespace unet
