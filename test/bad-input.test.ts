// No input from JS crashes the process: every bad call rejects (or throws) with an error that names the
// argument and what was expected, and the model keeps working afterwards.
import { beforeAll, describe, expect, it } from 'vitest';

import { losses, metrics, UNet } from '../lib/index.js';
import { native } from '../lib/binding/loader.js';
import { randomImages } from './helpers/data.js';

let model: UNet;
const good = randomImages([1, 1, 16, 16], 1);

beforeAll(async () => {
  model = await UNet.create({ baseFilters: 4, depth: 2, classes: 3, device: 'cpu', seed: 1 });
});

describe('UNet.create', () => {
  it.each([
    [{ depth: 0 }, RangeError, 'options.depth: expected an integer from 1 to 6, got 0'],
    [{ depth: 7 }, RangeError, 'options.depth'],
    [{ depth: 2.5 }, TypeError, 'options.depth: expected an integer'],
    [{ baseFilters: 0 }, RangeError, 'options.baseFilters'],
    [{ classes: -1 }, RangeError, 'options.classes'],
    [{ norm: 'group' }, RangeError, "options.norm: expected 'batch' | 'instance' | 'none', got 'group'"],
    [{ activation: 7 }, TypeError, 'options.activation'],
    [{ dropout: 1 }, RangeError, 'options.dropout'],
    [{ device: 'gpu' }, TypeError, "options.device: expected 'auto' | 'cpu' | 'cuda' | 'cuda:N'"],
    [{ seed: -1 }, RangeError, 'options.seed'],
    [{ baseFiltres: 8 }, TypeError, 'options.baseFiltres: unknown option'],
    [{ baseFilters: 4096, depth: 2 }, RangeError, 'parameters; at most 1e9 (4 GB of float32 weights) are allowed'],
    ['big', TypeError, 'options: expected an options object'],
  ])('%j', async (options, type, message) => {
    const creation = UNet.create(options as never);
    await expect(creation).rejects.toThrow(type);
    await expect(creation).rejects.toThrow(message);
  });

  it('refuses CUDA on a libtorch that sees no CUDA device, saying so', async () => {
    const info = native.backendInfo();
    if (info.cuda) {
      await expect(UNet.create({ device: `cuda:${info.cudaDevices}` })).rejects.toThrow(/does not exist/);
    } else {
      await expect(UNet.create({ device: 'cuda' })).rejects.toThrow(/sees no CUDA device/);
    }
  });
});

describe('forward', () => {
  it.each([
    [42, TypeError, 'x: expected a tensor'],
    [new Float32Array(4), TypeError, 'x: expected a tensor'],
    [{ data: [1, 2, 3, 4], shape: [1, 1, 2, 2] }, TypeError, 'x.data: expected a Float32Array'],
    [{ data: new Float32Array(4), shape: [1, 1, 2, -2] }, TypeError, 'x.shape: expected an array of non-negative integers'],
    [{ data: new Float32Array(4), shape: [1, 1, 2, 1.5] }, TypeError, 'x.shape'],
    [{ data: new Float32Array(255), shape: [1, 1, 16, 16] }, RangeError, 'x: data has 255 elements but shape [1, 1, 16, 16] needs 256'],
    [{ data: new Float32Array(4), shape: [2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31] }, RangeError, 'x: data has 4 elements'],
    [{ data: new Float32Array(256), shape: [1, 16, 16] }, RangeError, 'x: expected NCHW images (rank 4)'],
    [{ data: new Int32Array(256), shape: [1, 1, 16, 16] }, TypeError, 'x.data: expected a Float32Array or Float64Array of images'],
    [{ data: new Float32Array(512), shape: [1, 2, 16, 16] }, RangeError, "x: expected 1 channels (the model's inChannels), got 2"],
    [{ data: new Float32Array(0), shape: [0, 1, 16, 16] }, RangeError, 'x: expected at least one image'],
    [{ data: new Float32Array(9), shape: [1, 1, 3, 3] }, RangeError, 'height and width must be at least 2^depth = 4'],
  ])('%#: %s', async (x, type, message) => {
    const result = model.forward(x as never);
    await expect(result).rejects.toThrow(type);
    await expect(result).rejects.toThrow(message);
  });

  it('refuses NaN and Inf', async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = randomImages([1, 1, 16, 16], 2);
      x.data[17] = bad;
      await expect(model.forward(x)).rejects.toThrow('x: contains NaN or Inf values');
    }
  });

  it('keeps working after all of the above', async () => {
    await expect(model.forward(good)).resolves.toMatchObject({ shape: [1, 3, 16, 16] });
  });
});

describe('gradients', () => {
  it('refuses targets of another size, class values out of range and unknown losses', async () => {
    await expect(model.gradients(good, { data: new Int32Array(64), shape: [1, 8, 8] })).rejects.toThrow(/targets: expected shape/);
    const outOfRange = { data: new Int32Array(256).fill(3), shape: [1, 1, 16, 16] };
    await expect(model.gradients(good, outOfRange)).rejects.toThrow(/3/);
    await expect(model.gradients(good, outOfRange, { name: 'hinge' } as never)).rejects.toThrow("loss.name: expected 'dice'");
    const labels = { data: new Int32Array(256), shape: [1, 1, 16, 16] };
    await expect(model.gradients(good, labels, { name: 'crossEntropy', reduction: 'none' })).rejects.toThrow(
      "loss.reduction: expected 'mean' or 'sum' for gradients",
    );
    await expect(model.gradients(good, labels)).resolves.toHaveProperty('loss');
  });
});

describe('loadStateDict', () => {
  it('names what is missing, unexpected or of the wrong shape, and changes nothing', async () => {
    const state = await model.stateDict();
    const before = await model.forward(good);
    const { 'inc.conv1.weight': _removed, ...missing } = state;
    await expect(model.loadStateDict(missing)).rejects.toThrow('missing inc.conv1.weight');
    await expect(model.loadStateDict({ ...state, extra: state['head.conv.bias'] })).rejects.toThrow('unexpected extra');
    const wrong = { ...state, 'head.conv.bias': { data: new Float32Array(2), shape: [2] } };
    await expect(model.loadStateDict(wrong)).rejects.toThrow('wrong shape head.conv.bias (expected [3], got [2])');
    const after = await model.forward(good);
    expect(Array.from(after.data)).toEqual(Array.from(before.data));
  });
});

describe('losses and metrics', () => {
  const logits = randomImages([1, 3, 4, 4], 3);
  const labels = { data: new Int32Array(16), shape: [1, 1, 4, 4] };

  it('refuse mismatched shapes, wrong weights and unknown options', async () => {
    await expect(losses.dice(logits, { data: new Float32Array(32), shape: [1, 2, 4, 4] })).rejects.toThrow(RangeError);
    await expect(losses.dice(logits, labels, { toOnehotY: true, weight: [1, 2] })).rejects.toThrow(/weight/);
    await expect(losses.dice(logits, labels, { smoothNR: 1 } as never)).rejects.toThrow('options.smoothNR: unknown option');
    await expect(losses.dice(logits, labels, { reduction: 'avg' } as never)).rejects.toThrow("options.reduction: expected 'mean' | 'sum' | 'none'");
    await expect(losses.crossEntropy(logits, { data: new Int32Array(16).fill(7), shape: [1, 4, 4] })).rejects.toThrow();
    await expect(metrics.dice(logits, labels, { reduction: 'median' } as never)).rejects.toThrow(RangeError);
    await expect(metrics.confusionMatrix(labels, labels, 0)).rejects.toThrow('classes: expected an integer from 1 to 65536');
    await expect(metrics.maskIoU(labels, { data: new Int32Array(4), shape: [1, 1, 2, 2] })).rejects.toThrow('target: expected the shape of pred');
  });
});

describe('the native layer on its own', () => {
  it('turns garbage into errors, never a crash', async () => {
    expect(() => native.createModel(null as never, 'cpu', undefined)).toThrow(TypeError);
    expect(() => native.createModel({ depth: 'deep' } as never, 'cpu', undefined)).toThrow('depth: expected a number');
    expect(() => native.createModel({}, 'tpu' as never, undefined)).toThrow(RangeError);
    expect(() => native.computeLoss('dice', { data: new Float32Array(2), shape: [3] }, logits(), {})).toThrow('input: data has 2 elements');
    expect(() => native.computeLoss('nope' as never, logits(), logits(), {})).toThrow("loss: expected 'dice'");
    expect(() => native.computeMetric('nope', logits(), undefined, {})).toThrow('unknown kind');
    expect(() => native.setThreads(0)).toThrow(RangeError);
    // Shapes that libtorch itself refuses come back as rejections.
    await expect(native.computeLoss('dice', logits(), { data: new Float32Array(3), shape: [1, 3] }, {})).rejects.toThrow();
    const empty = { data: new Float32Array(0), shape: [0] };
    await expect(native.computeMetric('maskIoU', empty, empty, {})).rejects.toThrow('metrics.maskIoU: libtorch:');
  });

  function logits() {
    return randomImages([1, 3, 4, 4], 4);
  }
});
