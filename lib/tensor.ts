// Tensors cross the boundary as typed arrays with a shape: { data, shape } in, { data, shape, dtype } out.
import { rangeError, typeError } from './validate.js';

export type DType = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64';

export type TensorData = Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array;

/** What every function that takes a tensor accepts: the dtype comes from the typed array. */
export interface TensorLike {
  data: TensorData;
  shape: readonly number[];
}

/** What every function returns. */
export interface Tensor<D extends TensorData = TensorData> {
  data: D;
  shape: number[];
  dtype: DType;
}

const dtypes = new Map<unknown, DType>([
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Uint8Array, 'uint8'],
  [Int32Array, 'int32'],
  [BigInt64Array, 'int64'],
]);

export function dtypeOf(data: TensorData): DType {
  return dtypes.get(data.constructor) as DType;
}

/** Builds a tensor from data and a shape, checking that they agree. */
export function tensor<D extends TensorData>(data: D, shape: readonly number[]): Tensor<D> {
  const checked = checkTensor({ data, shape }, 'tensor');
  return { data, shape: [...checked.shape], dtype: dtypeOf(data) };
}

/** Items start .. end-1 along the first dimension, as a view of the same memory (no copy). */
export function sliceBatch<D extends TensorData>(t: { data: D; shape: readonly number[] }, start: number, end: number): Tensor<D> {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return tensor((t.data as TensorData).subarray(start * per, end * per) as D, [end - start, ...t.shape.slice(1)]);
}

/** The batch entries at `indices` (in that order), copied into an array of the same type. */
export function takeBatch<D extends TensorData>(t: { data: D; shape: readonly number[] }, indices: readonly number[]): Tensor<D> {
  const [count, ...rest] = t.shape;
  const per = rest.reduce((a, b) => a * b, 1);
  const data = new (t.data.constructor as new (length: number) => D)(indices.length * per);
  indices.forEach((source, target) => {
    if (!Number.isInteger(source) || source < 0 || source >= count) {
      throw new RangeError(`indices[${target}]: expected an integer from 0 to ${count - 1}, got ${source}`);
    }
    (data as Float32Array).set((t.data as Float32Array).subarray(source * per, (source + 1) * per), target * per);
  });
  return tensor(data, [indices.length, ...rest]);
}

/** A shape as messages write it: [2, 1, 64, 64]. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Validates { data, shape }: a supported typed array whose length is the product of the shape. */
export function checkTensor(value: unknown, name: string): TensorLike {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) {
    throw typeError(name, 'a tensor { data: TypedArray, shape: number[] }', value);
  }
  const { data, shape } = value as { data?: unknown; shape?: unknown };
  if (!ArrayBuffer.isView(data) || !dtypes.has(data.constructor)) {
    throw typeError(`${name}.data`, 'a Float32Array, Float64Array, Uint8Array, Int32Array or BigInt64Array', data);
  }
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw typeError(`${name}.shape`, 'an array of non-negative integers', shape);
  }
  if (shape.length > 8) throw rangeError(`${name}.shape`, 'at most 8 dimensions', `${shape.length} dimensions`);
  const count = shape.reduce((product: number, size: number) => product * size, 1);
  const length = (data as TensorData).length;
  if (count !== length) {
    throw new RangeError(`${name}: data has ${length} elements but shape ${shapeText(shape)} needs ${count}`);
  }
  return value as TensorLike;
}

function isFloating(data: TensorData): boolean {
  return data instanceof Float32Array || data instanceof Float64Array;
}

/** NCHW float images (or uint8 pixels, where `pixels` allows them); `channels`, when given, must match. */
export function checkImages(value: unknown, name: string, channels?: number, pixels = false): TensorLike {
  const images = checkTensor(value, name);
  if (images.shape.length !== 4) {
    throw new RangeError(`${name}: expected NCHW images (rank 4), got shape ${shapeText(images.shape)}`);
  }
  if (!isFloating(images.data) && !(pixels && images.data instanceof Uint8Array)) {
    const also = pixels ? ', or a Uint8Array of pixels' : images.data instanceof Uint8Array ? ' (uint8 pixels need options.standardise)' : '';
    throw new TypeError(`${name}.data: expected a Float32Array or Float64Array of images${also}, got ${images.data.constructor.name}`);
  }
  if (images.shape[0] === 0) throw new RangeError(`${name}: expected at least one image, got a batch of 0`);
  if (channels !== undefined && images.shape[1] !== channels) {
    throw new RangeError(`${name}: expected ${channels} channels (the model's inChannels), got ${images.shape[1]}`);
  }
  return images;
}

/**
 * Targets that go with NC... predictions: NC... (one-hot or probabilities), N1... or N... class indices.
 * An N... target is returned as N1... (a shape change, no copy).
 */
export function checkTargets(value: unknown, name: string, prediction: TensorLike, predictionName: string): TensorLike {
  const target = checkTensor(value, name);
  const predShape = prediction.shape;
  let shape = target.shape;
  if (shape.length === predShape.length - 1) shape = [shape[0], 1, ...shape.slice(1)];
  const sameSpatial = shape.length === predShape.length && shape.slice(2).every((size, i) => size === predShape[i + 2]);
  if (!sameSpatial || shape[0] !== predShape[0] || (shape[1] !== 1 && shape[1] !== predShape[1])) {
    const spatial = predShape.slice(2).join(', ');
    throw new RangeError(
      `${name}: expected shape [${predShape[0]}, ${predShape[1]}, ${spatial}] (one-hot), ` +
        `[${predShape[0]}, 1, ${spatial}] or [${predShape[0]}, ${spatial}] (class indices) to match ${predictionName} ` +
        `${shapeText(predShape)}, got ${shapeText(target.shape)}`,
    );
  }
  return shape === target.shape ? target : { data: target.data, shape };
}
