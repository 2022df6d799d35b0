// The Open Inference Protocol v2 (KServe, Triton) infer request and response, JSON and its binary-data
// extension (tensors little-endian, as x86 and ARM hosts hold them): one input, "images" (N x C x H x W), and
// the outputs "mask", "probabilities" and "logits".
import type { Tensor } from '../tensor.js';
import { HttpError } from './errors.js';
import { OUTPUTS, type Output, type ServedModel } from './models.js';

interface InferInput {
  name: string;
  shape: number[];
  datatype: string;
  data?: unknown;
  parameters?: { binary_data_size?: number };
}

interface InferRequest {
  id?: string;
  parameters?: { binary_data_output?: boolean };
  inputs: InferInput[];
  outputs?: { name: string; parameters?: { binary_data?: boolean } }[];
}

interface InferOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: number[];
  parameters?: { binary_data_size: number };
}

/** The datatypes an input may have, as typed arrays over their little-endian bytes (the binary extension's order). */
const INPUT_TYPES: Record<string, Float32ArrayConstructor | Float64ArrayConstructor | Uint8ArrayConstructor> = {
  FP32: Float32Array,
  FP64: Float64Array,
  UINT8: Uint8Array,
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const bad = (message: string) => new HttpError(400, message);

/** The JSON header and, with the binary extension, the bytes after it. */
function splitBody(body: unknown, headerLength: string | undefined): { request: unknown; binary?: Buffer } {
  if (!Buffer.isBuffer(body)) return { request: body };
  if (headerLength === undefined) {
    throw bad('a binary infer request needs the Inference-Header-Content-Length header (the JSON header\'s length in bytes)');
  }
  const length = Number(headerLength);
  if (!Number.isInteger(length) || length < 0 || length > body.length) {
    throw bad(`Inference-Header-Content-Length: expected an integer from 0 to the body's ${body.length} bytes, got '${headerLength}'`);
  }
  let request: unknown;
  try {
    request = JSON.parse(body.subarray(0, length).toString('utf8'));
  } catch (error) {
    throw bad(`the JSON header is not JSON: ${(error as Error).message}`);
  }
  return { request, binary: body.subarray(length) };
}

function checkRequest(value: unknown): InferRequest {
  if (!isObject(value)) throw bad('body: expected an infer request object { inputs: [...] }');
  if (value.id !== undefined && typeof value.id !== 'string') throw bad('id: expected a string');
  if (!Array.isArray(value.inputs) || value.inputs.length !== 1) {
    throw bad(`inputs: expected one input, "images", got ${Array.isArray(value.inputs) ? value.inputs.length : typeof value.inputs}`);
  }
  const [input] = value.inputs as unknown[];
  if (!isObject(input)) throw bad('inputs[0]: expected an object { name, shape, datatype, data }');
  if (input.name !== 'images') throw bad(`inputs[0].name: expected "images", got ${JSON.stringify(input.name)}`);
  if (!Array.isArray(input.shape) || input.shape.some((size) => !Number.isInteger(size) || size < 0)) {
    throw bad('inputs[0].shape: expected an array of sizes');
  }
  if (typeof input.datatype !== 'string' || !(input.datatype in INPUT_TYPES)) {
    throw bad(`inputs[0].datatype: expected one of ${Object.keys(INPUT_TYPES).join(', ')}, got ${JSON.stringify(input.datatype)}`);
  }
  if (value.outputs !== undefined) {
    if (!Array.isArray(value.outputs)) throw bad('outputs: expected an array of { name }');
    value.outputs.forEach((output: unknown, i) => {
      if (!isObject(output) || !OUTPUTS.includes(output.name as Output)) {
        throw bad(`outputs[${i}].name: expected one of ${OUTPUTS.join(', ')}, got ${JSON.stringify(isObject(output) ? output.name : output)}`);
      }
    });
  }
  return value as unknown as InferRequest;
}

/** The input's values as float32, from its JSON data (flat or nested, row-major) or from the binary part. */
function inputData(input: InferInput, binary: Buffer | undefined): Float32Array {
  const count = input.shape.reduce((product, size) => product * size, 1);
  const type = INPUT_TYPES[input.datatype];
  const binarySize = input.parameters?.binary_data_size;
  if (binarySize !== undefined) {
    if (!binary) throw bad('inputs[0].parameters.binary_data_size: the request has no binary part');
    if (binarySize !== count * type.BYTES_PER_ELEMENT || binary.length !== binarySize) {
      throw bad(`inputs[0]: expected ${count * type.BYTES_PER_ELEMENT} bytes of ${input.datatype} for shape [${input.shape.join(', ')}], got binary_data_size ${binarySize} and ${binary.length} bytes`);
    }
    // Copied to an aligned buffer of its own (the body's offset need not be a multiple of 4 or 8), then
    // converted natively: a loop in JS over every value would hold the event loop for milliseconds.
    const values = new type(count);
    new Uint8Array(values.buffer).set(binary);
    return values instanceof Float32Array ? values : new Float32Array(values);
  }
  if (!Array.isArray(input.data)) throw bad('inputs[0].data: expected an array of numbers');
  const flat = (input.data as unknown[]).flat(Infinity);
  if (flat.length !== count) throw bad(`inputs[0].data: expected ${count} values for shape [${input.shape.join(', ')}], got ${flat.length}`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const value = flat[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`inputs[0].data[${i}]: expected a finite number, got ${JSON.stringify(value)}`);
    data[i] = value;
  }
  return data;
}

export interface InferResponse {
  headers: Record<string, string>;
  body: Buffer | Record<string, unknown>;
}

/** Runs one infer request: each requested output (default "mask", one pass each) through the model's queue. */
export async function infer(served: ServedModel, body: unknown, headerLength: string | undefined, signal: AbortSignal): Promise<InferResponse> {
  const { request: raw, binary } = splitBody(body, headerLength);
  const request = checkRequest(raw);
  const [input] = request.inputs;
  const images = { data: inputData(input, binary), shape: input.shape };
  served.checkImages(images, 'inputs[0].shape');
  const wanted = request.outputs ?? [{ name: 'mask' as Output }];
  const results: Tensor[] = await Promise.all(wanted.map((output) => served.predict(images, output.name as Output, signal)));
  const binaryAll = request.parameters?.binary_data_output === true;
  const parts: Buffer[] = [];
  const outputs: InferOutput[] = wanted.map((output, i) => {
    const result = results[i];
    const datatype = output.name === 'mask' ? 'UINT8' : 'FP32';
    if (!(output.parameters?.binary_data ?? binaryAll)) return { name: output.name, datatype, shape: result.shape, data: Array.from(result.data as ArrayLike<number>) };
    const bytes = Buffer.from(result.data.buffer, result.data.byteOffset, result.data.byteLength);
    parts.push(bytes);
    return { name: output.name, datatype, shape: result.shape, parameters: { binary_data_size: bytes.length } };
  });
  const response = { model_name: served.name, model_version: '1', ...(request.id === undefined ? {} : { id: request.id }), outputs };
  if (parts.length === 0) return { headers: {}, body: response };
  const header = Buffer.from(JSON.stringify(response));
  return {
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, ...parts]),
  };
}
