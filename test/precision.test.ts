// precision: 'fp32' | 'bf16' | 'fp16' | 'auto' (native/core/runtime/precision.h). bf16 against fp32 and against
// PyTorch's own CPU autocast in bf16 on the same weights (test/oracle/autocast_case.py); on a CPU without native
// bf16 (or with oneDNN kept below it by ONEDNN_MAX_CPU_ISA, as in the child process here), bf16 is refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { UNet, backendInfo, type Precision, type UNetOptions } from '../lib/index.js';
import { randomImages } from './helpers/data.js';
import { decode, maxAbs, maxAbsDifference, runOracle } from './helpers/oracle.js';
import { discs } from './helpers/shapes.js';

const nativeBf16 = backendInfo().cpuBf16;
const refusal = /options\.precision: 'bf16' needs a CPU with native bf16 \(AVX512-BF16 or AMX-BF16\)/;
const directory = mkdtempSync(join(tmpdir(), 'torch-unet-precision-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// bf16 keeps 8 bits of mantissa: each layer's rounding adds about 2^-9 relative. The bounds below are about 3 times
// what this network shows here (up to 1.7e-2 of the largest logit with instance norm, 9e-3 without), and PyTorch's
// autocast shows the same (the oracle's row is checked beside ours).
const RELATIVE_LOGIT_BOUND = 5e-2;

interface AutocastCase {
  state: Record<string, Parameters<typeof decode>[0]>;
  x: Parameters<typeof decode>[0];
  target: Parameters<typeof decode>[0];
  logits: Parameters<typeof decode>[0];
  logitsBf16: Parameters<typeof decode>[0];
  lossesBf16: number[];
}

const cases: { name: string; config: UNetOptions }[] = [
  { name: 'batch norm, transposed (the 1x1-convolution upsampling)', config: { norm: 'batch', upsampling: 'transposed' } },
  { name: 'batch norm, bilinear', config: { norm: 'batch', upsampling: 'bilinear' } },
  { name: 'instance norm (autocast path), transposed', config: { norm: 'instance', upsampling: 'transposed' } },
  { name: 'no norm, nearest', config: { norm: 'none', upsampling: 'nearest' } },
];

async function oracleCase(config: UNetOptions, seed: number) {
  const full = { inChannels: 1, depth: 3, baseFilters: 8, ...config };
  const oracle = runOracle<AutocastCase>('autocast_case.py', { config: full, shape: [2, 1, 48, 40], seed, lr: 1e-3 });
  const model = await UNet.create({ ...full, device: 'cpu' });
  await model.loadStateDict(Object.fromEntries(Object.entries(oracle.state).map(([name, value]) => [name, decode(value)])));
  return { model, oracle, x: decode(oracle.x), fp32: decode(oracle.logits), pytorchBf16: decode(oracle.logitsBf16) };
}

describe('precision names', () => {
  it("'auto' picks bf16 exactly where the CPU has native bf16", () => {
    expect(backendInfo().autoPrecision).toBe(nativeBf16 ? 'bf16' : 'fp32');
  });

  it('refuses unknown names and non-strings, naming the option', async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
    const x = randomImages([1, 1, 16, 16], 1);
    await expect(model.predict(x, { precision: 'bf17' as Precision })).rejects.toThrow(
      new RangeError("options.precision: expected 'fp32' | 'bf16' | 'fp16' | 'auto', got 'bf17'"),
    );
    await expect(model.forward(x, { precision: 16 as unknown as Precision })).rejects.toThrow(TypeError);
    await expect(model.forward(x, { precison: 'bf16' } as never)).rejects.toThrow(/options\.precison/);
  });

  it("refuses 'fp16' on the CPU, and for training anywhere", async () => {
    const model = await UNet.create({ baseFilters: 4, depth: 2, device: 'cpu', seed: 1 });
    const data = discs(2, 16, 1);
    await expect(model.predict(data.images, { precision: 'fp16' })).rejects.toThrow("options.precision: 'fp16' runs on CUDA only");
    await expect(model.fit(data, { epochs: 1, precision: 'fp16' as Precision })).rejects.toThrow(/'fp16' runs on CUDA only/);
  });
});

describe('without native bf16 (a child process with ONEDNN_MAX_CPU_ISA=AVX512_CORE)', () => {
  it("refuses bf16 everywhere, naming the missing feature; 'auto' is fp32; a checkpoint trained in bf16 predicts the same", async () => {
    const model = await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 2 });
    const data = discs(8, 32, 2);
    const images = randomImages([2, 1, 32, 32], 4);
    // Trained in bf16 where the CPU has it, in fp32 where not: the checkpoint is fp32 either way.
    await model.fit(data, { epochs: 1, batchSize: 4, precision: nativeBf16 ? 'bf16' : 'fp32' });
    const path = join(directory, 'trained.unet');
    await model.save(path);
    const output = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers', 'no-native-bf16.ts'), path], {
      encoding: 'utf8',
      env: { ...process.env, ONEDNN_MAX_CPU_ISA: 'AVX512_CORE' },
    });
    const child = JSON.parse(output) as {
      backend: { cpuBf16: boolean; cpuAmx: boolean; autoPrecision: string };
      refused: Record<string, string | null>;
      autoEqualsFp32: boolean;
      logits: number[];
    };
    expect(child.backend).toMatchObject({ cpuBf16: false, cpuAmx: false, autoPrecision: 'fp32' });
    for (const [operation, message] of Object.entries(child.refused)) {
      expect(message, operation).toMatch(/^RangeError: /);
      expect(message, operation).toMatch(refusal);
      expect(message, operation).toMatch(nativeBf16 ? /ONEDNN_MAX_CPU_ISA=AVX512_CORE keeps oneDNN from it/ : /this CPU has neither/);
    }
    expect(child.autoEqualsFp32).toBe(true);
    const here = await model.predict(images, { output: 'logits' });
    expect(maxAbsDifference(Float32Array.from(child.logits), here.data)).toBe(0);
  }, 60_000);
});

describe('bf16 numerics against fp32 and PyTorch autocast, on fixed weights', () => {
  for (const [index, { name, config }] of cases.entries()) {
    it(`predict and forward: ${name}`, async () => {
      const { model, x, fp32, pytorchBf16 } = await oracleCase(config, 3 + index);
      if (!nativeBf16) {
        await expect(model.predict(x, { precision: 'bf16' })).rejects.toThrow(refusal);
        return;
      }
      const scale = maxAbs(fp32.data);
      expect(scale).toBeGreaterThan(1e-2);
      const pytorchError = maxAbsDifference(pytorchBf16.data, fp32.data) / scale;
      const predicted = await model.predict(x, { output: 'logits', precision: 'bf16' });
      const forward = await model.forward(x, { precision: 'bf16' });
      expect(predicted.data).toBeInstanceOf(Float32Array);
      for (const [what, logits] of [['predict', predicted], ['forward', forward]] as const) {
        const error = maxAbsDifference(logits.data, fp32.data) / scale;
        expect(error, what).toBeGreaterThan(0); // really ran in bf16
        expect(error, what).toBeLessThan(RELATIVE_LOGIT_BOUND);
        expect(error, `${what} against PyTorch's ${pytorchError}`).toBeLessThan(2 * pytorchError);
      }
      // 'auto' here is bf16: the same network, the same logits.
      const auto = await model.predict(x, { output: 'logits', precision: 'auto' });
      expect(maxAbsDifference(auto.data, predicted.data)).toBe(0);
      // Masks from bf16 logits: the same on all but pixels whose probability is within rounding of 0.5.
      const [maskBf16, maskFp32] = await Promise.all([model.predict(x, { precision: 'bf16' }), model.predict(x)]);
      const agreeing = maskBf16.data.filter((value, i) => value === maskFp32.data[i]).length;
      expect(agreeing / maskFp32.data.length).toBeGreaterThan(0.99);
    });
  }

  it("trainStep: the losses of PyTorch's autocast steps, fp32 master weights", async () => {
    const { model, oracle, x } = await oracleCase(cases[0].config, 3);
    const target = decode(oracle.target);
    if (!nativeBf16) {
      await expect(model.trainStep(x, target, { precision: 'bf16' })).rejects.toThrow(refusal);
      return;
    }
    const before = await model.stateDict();
    const losses = [];
    for (let step = 0; step < 2; step++) losses.push((await model.trainStep(x, target, { precision: 'bf16' })).loss);
    for (const [step, loss] of losses.entries()) expect(Math.abs(loss - oracle.lossesBf16[step]) / oracle.lossesBf16[step], `step ${step + 1}`).toBeLessThan(1e-3);
    // Adam's steps of 1e-3 on fp32 weights: a bf16 weight could not hold them (its spacing near 0.1 is 5e-4).
    const after = await model.stateDict();
    const weight = after['inc.conv1.weight'].data as Float32Array;
    expect(weight).toBeInstanceOf(Float32Array);
    expect(maxAbsDifference(weight, before['inc.conv1.weight'].data)).toBeGreaterThan(0);
    const bits = new Uint32Array(weight.buffer, weight.byteOffset, weight.length);
    expect(bits.some((value) => (value & 0xffff) !== 0)).toBe(true);
  });

  it('fit: learns the discs as fp32 does, epoch by epoch', async () => {
    const data = discs(24, 32, 3);
    const options = { epochs: 6, batchSize: 6, lr: 1e-2, seed: 5, validation: discs(8, 32, 4) } as const;
    const fp32 = await (await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 4 })).fit(data, options);
    const model = await UNet.create({ baseFilters: 8, depth: 3, device: 'cpu', seed: 4 });
    if (!nativeBf16) {
      await expect(model.fit(data, { ...options, precision: 'bf16' })).rejects.toThrow(refusal);
      return;
    }
    const bf16 = await model.fit(data, { ...options, precision: 'bf16' });
    expect(bf16.map((epoch) => epoch.loss)).not.toEqual(fp32.map((epoch) => epoch.loss));
    // Epoch by epoch the training loss follows fp32's (here within 0.3%); validation (which also runs in bf16)
    // swings from epoch to epoch on data this small in either precision, so only its being computed is checked.
    for (const [epoch, logs] of bf16.entries()) {
      expect(Math.abs(logs.loss - fp32[epoch].loss) / fp32[epoch].loss, `epoch ${epoch + 1}`).toBeLessThan(0.02);
      expect(logs.valDice).toBeGreaterThan(0);
    }
    expect(bf16.at(-1)!.loss).toBeLessThan(bf16[0].loss * 0.6);
  }, 60_000);
});
