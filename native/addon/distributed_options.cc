#include "addon/option_fields.h"

namespace unet::js {

const Fields<ProcessGroupOptions> kProcessGroupFields = {
    {"rank", &ProcessGroupOptions::rank},
    {"worldSize", &ProcessGroupOptions::worldSize},
    {"masterPort", &ProcessGroupOptions::masterPort},
    {"timeout", &ProcessGroupOptions::timeoutSeconds},
    {"agentStore", &ProcessGroupOptions::agentStore},
    {"restartCount", &ProcessGroupOptions::restartCount},
};

ProcessGroupOptions processGroupOptionsFromJs(const Napi::Value& value) {
  OptionReader reader(value, "options");
  ProcessGroupOptions p;
  readFields(reader, p, kProcessGroupFields);
  reader.read("masterAddr", p.masterAddr);
  reader.read("interface", p.interface);
  std::string backend = distributedBackendName(p.backend);
  reader.read("backend", backend);
  p.backend = parseDistributedBackend(backend, reader.path("backend"));
  reader.finish();
  p.validate();
  return p;
}

}  // namespace unet::js
