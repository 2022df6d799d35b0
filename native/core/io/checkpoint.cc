#include "core/io/checkpoint.h"

#include <c10/util/Exception.h>
#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <torch/serialize.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/options/shape_text.h"

namespace unet {

namespace {

// Format: torch::pickle_save of one dict (torch.save's zip layout, exists in 1.13 and 2.x): the whole file is one
// self-describing value Python's torch.load opens too, and we hold the bytes to write and fsync them ourselves.
constexpr const char* kFormatMarker = "torch-unet-checkpoint";
constexpr int64_t kFormatVersion = 1;

using TensorMap = std::map<std::string, torch::Tensor>;
using GenericDict = c10::Dict<c10::IValue, c10::IValue>;

// ---- files ----

std::string systemError(int error) {
  return std::strerror(error);
}

std::runtime_error writeError(const std::string& path, const std::string& what, int error) {
  return std::runtime_error(path + ": cannot save (" + what + ": " + systemError(error) + ")");
}

void writeAll(int descriptor, const std::vector<char>& bytes, const std::string& path, const std::string& tempPath) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t count = ::write(descriptor, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) throw writeError(path, "write " + tempPath, errno);
    written += static_cast<size_t>(count);
  }
}

// The rename is only durable once the directory entry itself is on disk; failing here loses nothing.
void syncParentDirectory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string directory = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int descriptor = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (descriptor < 0) return;
  ::fsync(descriptor);
  ::close(descriptor);
}

// Temp file, fsync, rename: readers see the old file or the new one, never half of one.
void writeFileAtomically(const std::string& path, const std::vector<char>& bytes) {
  const std::string tempPath = path + ".tmp-" + std::to_string(::getpid());
  const int descriptor = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) throw writeError(path, "open " + tempPath, errno);
  try {
    writeAll(descriptor, bytes, path, tempPath);
    if (::fsync(descriptor) != 0) throw writeError(path, "fsync " + tempPath, errno);
  } catch (...) {
    ::close(descriptor);
    ::unlink(tempPath.c_str());
    throw;
  }
  // close() can report a delayed write error, so it is checked before the rename makes the file visible.
  if (::close(descriptor) != 0) {
    const int error = errno;
    ::unlink(tempPath.c_str());
    throw writeError(path, "close " + tempPath, error);
  }
  if (::rename(tempPath.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tempPath.c_str());
    throw writeError(path, "rename", error);
  }
  syncParentDirectory(path);
}

std::vector<char> readFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) throw std::invalid_argument(path + ": no such file");
    throw std::invalid_argument(path + ": cannot read (" + systemError(errno) + ")");
  }
  if (S_ISDIR(info.st_mode)) throw std::invalid_argument(path + ": cannot read (it is a directory)");
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw std::invalid_argument(path + ": cannot read (" + systemError(errno) + ")");
  std::vector<char> bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  if (stream.bad()) throw std::invalid_argument(path + ": cannot read (I/O error)");
  return bytes;
}

// torch.save has written zip archives since PyTorch 1.6; anything else is refused before the unpickler,
// which is not built to survive arbitrary bytes.
void requireZipArchive(const std::string& path, const std::vector<char>& bytes, const std::string& kind) {
  if (bytes.empty()) throw std::invalid_argument(path + ": not a " + kind + " (the file is empty)");
  static const char kZipMagic[] = {'P', 'K', '\x03', '\x04'};
  if (bytes.size() < sizeof kZipMagic || std::memcmp(bytes.data(), kZipMagic, sizeof kZipMagic) != 0) {
    throw std::invalid_argument(path + ": not a " + kind + " (not a zip archive as torch.save writes)");
  }
}

// ---- reading torch.save's pickles ----
// torch::pickle_load cannot read torch.save(model.state_dict()): libtorch's unpickler turns every
// collections.OrderedDict into None (1.13 and 2.x alike), and 1.13 lacks the SETITEM opcode that torch.save
// emits for the state dict's _metadata and for one-entry dicts. So state dicts are read with this small
// interpreter of the pickle subset torch.save writes for dicts of tensors (protocols 2 to 4).

struct CorruptPickle : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct UnsupportedPickle : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::optional<at::ScalarType> storageScalarType(const std::string& global) {
  static const std::map<std::string, at::ScalarType> types = {{"torch.FloatStorage", at::kFloat},
                                                              {"torch.DoubleStorage", at::kDouble},
                                                              {"torch.HalfStorage", at::kHalf},
                                                              {"torch.BFloat16Storage", at::kBFloat16},
                                                              {"torch.LongStorage", at::kLong},
                                                              {"torch.IntStorage", at::kInt},
                                                              {"torch.ShortStorage", at::kShort},
                                                              {"torch.CharStorage", at::kChar},
                                                              {"torch.ByteStorage", at::kByte},
                                                              {"torch.BoolStorage", at::kBool},
                                                              {"torch.ComplexFloatStorage", at::kComplexFloat},
                                                              {"torch.ComplexDoubleStorage", at::kComplexDouble}};
  auto found = types.find(global);
  if (found == types.end()) return std::nullopt;
  return found->second;
}

class TorchSaveReader {
 public:
  TorchSaveReader(std::string pickle, caffe2::serialize::PyTorchStreamReader& archive)
      : pickle_(std::move(pickle)), archive_(archive) {}

  c10::IValue read() {
    for (auto opcode = nextOpcode(); opcode != '.'; opcode = nextOpcode()) step(opcode);
    if (stack_.size() != 1 || !marks_.empty()) throw CorruptPickle("data.pkl does not end with one value");
    return value(stack_.back());
  }

 private:
  // A pickle stack entry: a value, or a global (a class or function named by module.name) not yet called.
  struct Item {
    c10::IValue value;
    std::string global;
  };

  unsigned char nextOpcode() { return static_cast<unsigned char>(*take(1)); }

  const char* take(size_t count) {
    if (count > pickle_.size() - position_) throw CorruptPickle("data.pkl ends early");
    const char* start = pickle_.data() + position_;
    position_ += count;
    return start;
  }

  template <typename T>
  T littleEndian() {
    T number;
    std::memcpy(&number, take(sizeof number), sizeof number);  // little-endian hosts only, like libtorch
    return number;
  }

  std::string line() {
    const auto end = pickle_.find('\n', position_);
    if (end == std::string::npos) throw CorruptPickle("data.pkl ends early");
    std::string text = pickle_.substr(position_, end - position_);
    position_ = end + 1;
    return text;
  }

  int64_t long1() {
    const auto length = littleEndian<uint8_t>();
    if (length > 8) throw UnsupportedPickle("an integer wider than 64 bits");
    const char* bytes = take(length);
    uint64_t number = 0;
    for (size_t i = 0; i < length; ++i) number |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    if (length > 0 && length < 8 && (bytes[length - 1] & 0x80)) number |= ~uint64_t{0} << (8 * length);
    return static_cast<int64_t>(number);
  }

  double bigEndianDouble() {
    const char* bytes = take(8);
    uint64_t bits = 0;
    for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(bytes[i]);
    double number;
    std::memcpy(&number, &bits, sizeof number);
    return number;
  }

  // A global inside a tuple or dict (a storage type in a persistent id) becomes its name behind a NUL byte.
  static c10::IValue value(const Item& item) {
    return item.global.empty() ? item.value : c10::IValue(std::string(1, '\0') + item.global);
  }

  void push(c10::IValue value) { stack_.push_back({std::move(value), {}}); }

  Item pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) throw CorruptPickle("stack underflow");
    Item item = std::move(stack_.back());
    stack_.pop_back();
    return item;
  }

  std::vector<c10::IValue> popToMark() {
    if (marks_.empty() || marks_.back() > stack_.size()) throw CorruptPickle("no mark");
    std::vector<c10::IValue> values;
    for (auto item = stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()); item != stack_.end(); ++item) {
      values.push_back(value(*item));
    }
    stack_.resize(marks_.back());
    marks_.pop_back();
    return values;
  }

  void pushTuple(size_t count) {
    std::vector<c10::IValue> values(count);
    for (size_t i = count; i > 0; --i) values[i - 1] = value(pop());
    push(c10::ivalue::Tuple::create(std::move(values)));
  }

  void memoize(uint64_t id) {
    if (stack_.empty()) throw CorruptPickle("memoize on an empty stack");
    memo_[id] = stack_.back();
  }

  void recall(uint64_t id) {
    auto found = memo_.find(id);
    if (found == memo_.end()) throw CorruptPickle("unknown memo entry");
    stack_.push_back(found->second);
  }

  c10::impl::GenericDict dictOnTop() {
    if (stack_.empty() || !stack_.back().global.empty() || !stack_.back().value.isGenericDict()) {
      throw UnsupportedPickle("items set on something that is not a dict");
    }
    return stack_.back().value.toGenericDict();
  }

  void setItems(const std::vector<c10::IValue>& keysAndValues) {
    if (keysAndValues.size() % 2 != 0) throw CorruptPickle("a key without a value");
    auto dict = dictOnTop();
    for (size_t i = 0; i < keysAndValues.size(); i += 2) dict.insert_or_assign(keysAndValues[i], keysAndValues[i + 1]);
  }

  std::string popString() {
    auto item = value(pop());
    if (!item.isString()) throw CorruptPickle("expected a string");
    return item.toStringRef();
  }

  void step(unsigned char opcode) {
    switch (opcode) {
      case 0x80: take(1); break;  // PROTO
      case 0x95: take(8); break;  // FRAME
      case '(': marks_.push_back(stack_.size()); break;
      case '}': push(c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get())); break;
      case ')': pushTuple(0); break;
      case 'N': push(c10::IValue()); break;
      case 0x88: push(true); break;
      case 0x89: push(false); break;
      case 'K': push(int64_t{littleEndian<uint8_t>()}); break;
      case 'M': push(int64_t{littleEndian<uint16_t>()}); break;
      case 'J': push(int64_t{littleEndian<int32_t>()}); break;
      case 0x8a: push(long1()); break;
      case 'G': push(bigEndianDouble()); break;
      case 'X': {
        const auto length = littleEndian<uint32_t>();
        push(std::string(take(length), length));
        break;
      }
      case 0x8c: {
        const auto length = littleEndian<uint8_t>();
        push(std::string(take(length), length));
        break;
      }
      case 'q': memoize(littleEndian<uint8_t>()); break;
      case 'r': memoize(littleEndian<uint32_t>()); break;
      case 0x94: memoize(memo_.size()); break;
      case 'h': recall(littleEndian<uint8_t>()); break;
      case 'j': recall(littleEndian<uint32_t>()); break;
      case 't': push(c10::ivalue::Tuple::create(popToMark())); break;
      case 0x85: pushTuple(1); break;
      case 0x86: pushTuple(2); break;
      case 0x87: pushTuple(3); break;
      case 'c': {
        std::string module = line();
        stack_.push_back({c10::IValue(), module + "." + line()});
        break;
      }
      case 0x93: {
        std::string name = popString();
        stack_.push_back({c10::IValue(), popString() + "." + name});
        break;
      }
      case 's': {
        auto item = value(pop());
        auto key = value(pop());
        setItems({key, item});
        break;
      }
      case 'u': setItems(popToMark()); break;
      case 'Q': push(loadStorage(value(pop()))); break;
      case 'R': reduce(); break;
      case 'b': {
        pop();  // an OrderedDict's attributes (the state dict's _metadata): not needed to load tensors
        if (stack_.empty()) throw CorruptPickle("BUILD on an empty stack");
        break;
      }
      default: throw CorruptPickle("unsupported pickle opcode " + std::to_string(opcode));
    }
  }

  void reduce() {
    auto arguments = value(pop());
    const auto callable = pop();
    if (!arguments.isTuple()) throw CorruptPickle("REDUCE without an argument tuple");
    const auto& elements = arguments.toTupleRef().elements();
    if (callable.global == "collections.OrderedDict" && elements.empty()) {
      push(c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get()));
    } else if (callable.global == "torch._utils._rebuild_tensor_v2" && elements.size() >= 6) {
      push(rebuildTensor(elements));
    } else if ((callable.global == "torch._utils._rebuild_parameter" ||
                callable.global == "torch.jit._pickle.restore_type_tag") &&
               !elements.empty()) {
      push(elements[0]);  // a Parameter's tensor, or a value torch::pickle_save tagged with its type
    } else {
      throw UnsupportedPickle("it holds a " + (callable.global.empty() ? "call of a value" : callable.global));
    }
  }

  // ('storage', torch.<Type>Storage, key, location, numel): the bytes are the archive's record data/<key>.
  c10::IValue loadStorage(const c10::IValue& id) {
    if (!id.isTuple() || id.toTupleRef().elements().size() < 5) throw CorruptPickle("bad persistent id");
    const auto& fields = id.toTupleRef().elements();
    if (!fields[2].isString() || !fields[4].isInt()) throw CorruptPickle("bad persistent id");
    const std::string key = fields[2].toStringRef();
    if (auto cached = storages_.find(key); cached != storages_.end()) return cached->second;
    const auto type = storageTypeOf(fields[1]);
    const int64_t numel = fields[4].toInt();
    auto storage = at::empty({numel}, at::TensorOptions().dtype(type));
    if (numel > 0) {
      auto [data, size] = archive_.getRecord("data/" + key);
      if (size != static_cast<size_t>(storage.nbytes())) throw CorruptPickle("storage " + key + " has the wrong size");
      std::memcpy(storage.data_ptr(), data.get(), size);
    }
    storages_.emplace(key, storage);
    return storage;
  }

  at::ScalarType storageTypeOf(const c10::IValue& field) {
    if (!field.isString() || field.toStringRef().empty() || field.toStringRef()[0] != '\0') {
      throw CorruptPickle("bad storage type");
    }
    const std::string name = field.toStringRef().substr(1);
    auto type = storageScalarType(name);
    if (!type) throw UnsupportedPickle("it holds a " + name);
    return *type;
  }

  // (storage, offset, size, stride, requires_grad, hooks[, metadata]), bounds checked before the view is made.
  static c10::IValue rebuildTensor(const std::vector<c10::IValue>& elements) {
    if (!elements[0].isTensor() || !elements[1].isInt() || !elements[2].isTuple() || !elements[3].isTuple()) {
      throw CorruptPickle("bad tensor arguments");
    }
    const auto& storage = elements[0].toTensor();
    const auto sizes = integers(elements[2]), strides = integers(elements[3]);
    const int64_t offset = elements[1].toInt();
    if (sizes.size() != strides.size() || offset < 0) throw CorruptPickle("bad tensor geometry");
    int64_t last = offset;
    bool empty = false;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] < 0 || strides[i] < 0) throw CorruptPickle("bad tensor geometry");
      empty = empty || sizes[i] == 0;
      if (sizes[i] > 0) last += (sizes[i] - 1) * strides[i];
    }
    if (!empty && last >= storage.numel()) throw CorruptPickle("a tensor reaches past its storage");
    return at::empty({0}, storage.options()).set_(storage.storage(), offset, sizes, strides);
  }

  static std::vector<int64_t> integers(const c10::IValue& tuple) {
    std::vector<int64_t> numbers;
    for (const auto& element : tuple.toTupleRef().elements()) {
      if (!element.isInt()) throw CorruptPickle("a tensor size that is not an integer");
      numbers.push_back(element.toInt());
    }
    return numbers;
  }

  std::string pickle_;
  size_t position_ = 0;
  caffe2::serialize::PyTorchStreamReader& archive_;
  std::vector<Item> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Item> memo_;
  std::map<std::string, at::Tensor> storages_;
};

// Reads torch.save's zip layout, which torch::pickle_save writes too; `kind` names what the file should be.
c10::IValue readTorchSave(const std::string& path, const std::vector<char>& bytes, const std::string& kind) {
  requireZipArchive(path, bytes, kind);
  try {
    caffe2::serialize::PyTorchStreamReader archive(
        std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), static_cast<off_t>(bytes.size())));
    if (!archive.hasRecord("data.pkl")) throw UnsupportedPickle("no data.pkl: a TorchScript module, not torch.save");
    auto [data, size] = archive.getRecord("data.pkl");
    return TorchSaveReader(std::string(static_cast<const char*>(data.get()), size), archive).read();
  } catch (const UnsupportedPickle& error) {
    throw std::invalid_argument(path + ": not a " + kind + " (" + error.what() + ")");
  } catch (const CorruptPickle& error) {
    throw std::invalid_argument(path + ": truncated or corrupt (" + error.what() + ")");
  } catch (const c10::Error& error) {
    throw std::invalid_argument(path + ": truncated or corrupt (" + error.what_without_backtrace() + ")");
  }
}

// ---- tensors ----

// A tensor that is a view into a larger storage would drag the whole storage into the file.
torch::Tensor standaloneCpu(const torch::Tensor& tensor) {
  auto cpu = tensor.detach().to(torch::kCPU);
  const auto bytes = static_cast<size_t>(cpu.numel()) * cpu.element_size();
  const bool ownsStorage = cpu.is_contiguous() && cpu.storage_offset() == 0 && cpu.storage().nbytes() == bytes;
  return ownsStorage ? cpu : cpu.clone(at::MemoryFormat::Contiguous);
}

c10::Dict<std::string, at::Tensor> toTensorDict(const TensorMap& state, const char* what) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : state) {
    if (!tensor.defined()) throw std::invalid_argument(std::string(what) + ": '" + name + "' is not a tensor");
    dict.insert(name, standaloneCpu(tensor));
  }
  return dict;
}

// Returns nullopt when the value is not a dict of str -> tensor; the caller words the error.
std::optional<TensorMap> toTensorMap(const c10::IValue& value) {
  if (!value.isGenericDict()) return std::nullopt;
  TensorMap state;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) return std::nullopt;
    state.emplace(entry.key().toStringRef(), entry.value().toTensor());
  }
  return state;
}

void appendName(std::string& list, const std::string& item) {
  list += (list.empty() ? "" : ", ") + item;
}

// ---- checkpoint fields ----

c10::IValue optionsToDict(const UNetOptions& options) {
  GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("inChannels", options.inChannels);
  dict.insert("classes", options.classes);
  dict.insert("depth", options.depth);
  dict.insert("baseFilters", options.baseFilters);
  dict.insert("growth", options.growth);
  dict.insert("norm", normName(options.norm));
  dict.insert("activation", activationName(options.activation));
  dict.insert("upsampling", upsamplingName(options.upsampling));
  dict.insert("dropout", options.dropout);
  return dict;
}

// Reads the fields of one saved dict, with every failure worded as a corrupt file at `path`.
class FieldReader {
 public:
  FieldReader(std::string path, std::string scope, GenericDict dict)
      : path_(std::move(path)), scope_(std::move(scope)), dict_(std::move(dict)) {}

  c10::IValue value(const std::string& key) const {
    auto found = dict_.find(key);
    if (found == dict_.end()) throw corrupt(qualified(key) + " is missing");
    return found->value();
  }

  int64_t integer(const std::string& key) const {
    auto item = value(key);
    if (!item.isInt()) throw corrupt(qualified(key) + " is not an integer");
    return item.toInt();
  }

  double number(const std::string& key) const {
    auto item = value(key);
    if (!item.isDouble() && !item.isInt()) throw corrupt(qualified(key) + " is not a number");
    return item.isDouble() ? item.toDouble() : static_cast<double>(item.toInt());
  }

  std::string text(const std::string& key) const {
    auto item = value(key);
    if (!item.isString()) throw corrupt(qualified(key) + " is not a string");
    return item.toStringRef();
  }

  FieldReader dict(const std::string& key) const {
    auto item = value(key);
    if (!item.isGenericDict()) throw corrupt(qualified(key) + " is not a dict");
    return FieldReader(path_, qualified(key), item.toGenericDict());
  }

  TensorMap tensors(const std::string& key) const {
    auto state = toTensorMap(value(key));
    if (!state) throw corrupt(qualified(key) + " is not a dict of str -> tensor");
    return *state;
  }

  std::invalid_argument corrupt(const std::string& detail) const {
    return std::invalid_argument(path_ + ": truncated or corrupt (" + detail + ")");
  }

 private:
  std::string qualified(const std::string& key) const { return scope_.empty() ? key : scope_ + "." + key; }

  std::string path_, scope_;
  GenericDict dict_;
};

UNetOptions optionsFromDict(const FieldReader& fields) {
  UNetOptions options;
  options.inChannels = fields.integer("inChannels");
  options.classes = fields.integer("classes");
  options.depth = fields.integer("depth");
  options.baseFilters = fields.integer("baseFilters");
  options.growth = fields.number("growth");
  options.dropout = fields.number("dropout");
  try {
    options.norm = parseNorm(fields.text("norm"));
    options.activation = parseActivation(fields.text("activation"));
    options.upsampling = parseUpsampling(fields.text("upsampling"));
    options.validate();
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    // FieldReader's own errors already carry the path.
    if (message.find(": truncated or corrupt (") != std::string::npos) throw;
    throw fields.corrupt("options." + message);
  }
  return options;
}

// The marker and version are checked before anything else, so a foreign or newer file says so plainly.
void checkFormat(const std::string& path, const c10::IValue& root) {
  const std::string notOurs = path + ": not a torch-unet checkpoint (";
  if (!root.isGenericDict()) throw std::invalid_argument(notOurs + "it holds a " + root.tagKind() + ", not a dict)");
  const auto dict = root.toGenericDict();
  auto marker = dict.find("format");
  if (marker == dict.end() || !marker->value().isString() || marker->value().toStringRef() != kFormatMarker) {
    throw std::invalid_argument(notOurs + "no '" + kFormatMarker + "' format marker)");
  }
  auto version = dict.find("version");
  if (version == dict.end() || !version->value().isInt()) {
    throw std::invalid_argument(path + ": truncated or corrupt (the format version is missing)");
  }
  if (version->value().toInt() > kFormatVersion) {
    throw std::invalid_argument(path + ": written by checkpoint format " + std::to_string(version->value().toInt()) +
                                "; this torch-unet reads " + std::to_string(kFormatVersion));
  }
}

}  // namespace

void saveCheckpoint(const std::string& path, const CheckpointData& checkpoint) {
  GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", kFormatMarker);
  root.insert("version", kFormatVersion);
  root.insert("options", optionsToDict(checkpoint.options));
  root.insert("modelState", toTensorDict(checkpoint.stateDict, "modelState"));
  root.insert("optimizer", checkpoint.optimizer);
  root.insert("optimizerState", toTensorDict(checkpoint.optimizerSlots, "optimizerState"));
  root.insert("trainingState", checkpoint.progress);
  writeFileAtomically(path, torch::pickle_save(root));
}

CheckpointData loadCheckpoint(const std::string& path) {
  const auto bytes = readFile(path);
  const auto root = readTorchSave(path, bytes, "torch-unet checkpoint");
  checkFormat(path, root);
  const FieldReader fields(path, "", root.toGenericDict());
  CheckpointData checkpoint;
  checkpoint.options = optionsFromDict(fields.dict("options"));
  checkpoint.stateDict = fields.tensors("modelState");
  checkpoint.optimizer = fields.text("optimizer");
  checkpoint.optimizerSlots = fields.tensors("optimizerState");
  checkpoint.progress = fields.text("trainingState");
  return checkpoint;
}

CheckpointData makeCheckpoint(UNet& model, const TrainingProgress& progress) {
  CheckpointData data;
  data.options = model->options();
  data.stateDict = stateDictOf(*model);
  if (progress.optimizer) {
    data.optimizer = progress.optimizer->options().name;
    data.optimizerSlots = progress.optimizer->slots();
  }
  data.progress = encodeProgress(progress);
  return data;
}

void exportStateDict(const std::string& path, const std::map<std::string, torch::Tensor>& state) {
  writeFileAtomically(path, torch::pickle_save(toTensorDict(state, "stateDict")));
}

std::map<std::string, torch::Tensor> importStateDict(const std::string& path) {
  const auto bytes = readFile(path);
  auto state = toTensorMap(readTorchSave(path, bytes, "state dict file"));
  if (!state) throw std::invalid_argument(path + ": not a state dict (expected a dict of str -> tensor)");
  return *state;
}

std::map<std::string, torch::Tensor> stateDictOf(torch::nn::Module& module) {
  TensorMap state;
  auto add = [&](const std::string& name, const torch::Tensor& tensor) {
    // One copy either way: a device tensor is copied by .to(kCPU), a CPU one by clone().
    state.emplace(name, tensor.device().is_cpu() ? tensor.detach().clone() : tensor.detach().to(torch::kCPU));
  };
  for (const auto& item : module.named_parameters()) add(item.key(), item.value());
  for (const auto& item : module.named_buffers()) add(item.key(), item.value());
  return state;
}

void loadStateDict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& state) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // destination, source
  std::set<std::string> expected;
  std::string missing, unexpected, mismatched;
  auto plan = [&](const std::string& name, const torch::Tensor& destination) {
    expected.insert(name);
    auto found = state.find(name);
    if (found == state.end()) {
      appendName(missing, name);
    } else if (!found->second.defined()) {
      appendName(mismatched, name + " (expected " + shapeText(destination.sizes()) + ", got no tensor)");
    } else if (found->second.sizes() != destination.sizes()) {
      appendName(mismatched, name + " (expected " + shapeText(destination.sizes()) + ", got " +
                                 shapeText(found->second.sizes()) + ")");
    } else {
      copies.emplace_back(destination, found->second);
    }
  };
  for (const auto& item : module.named_parameters()) plan(item.key(), item.value());
  for (const auto& item : module.named_buffers()) plan(item.key(), item.value());
  for (const auto& entry : state) {
    if (!expected.count(entry.first)) appendName(unexpected, entry.first);
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string message = "stateDict does not fit this model:";
    if (!missing.empty()) message += " missing " + missing + ";";
    if (!unexpected.empty()) message += " unexpected " + unexpected + ";";
    if (!mismatched.empty()) message += " wrong shape " + mismatched + ";";
    throw std::invalid_argument(message);
  }
  torch::NoGradGuard noGrad;
  for (auto& [destination, source] : copies)
    destination.copy_(source.to(destination.device(), destination.scalar_type()));
}

}  // namespace unet
