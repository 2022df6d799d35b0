// Ensembles of models (the folds of a cross-validation, say): every model predicts probabilities (softmax, or
// sigmoid for one class) with the same options, their mean is taken natively and made into the mask predict would
// make of it, as MONAI's MeanEnsemble and nnU-Net's fold ensembles do. Flip TTA, tiles and precision apply per
// model, so with TTA the mean runs over every model and flip alike.
import { native } from '../binding/loader.js';
import { UNet, type DeviceName, type UNetConfig } from '../model/unet.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { typeError } from '../validate.js';
import type { PredictOptions } from './predict.js';

export class Ensemble {
  readonly models: readonly UNet[];

  /** Models that take the same channels and give the same classes; the ensemble owns them (dispose). */
  constructor(models: readonly UNet[]) {
    if (!Array.isArray(models) || models.length === 0) throw typeError('models', 'a non-empty array of UNet models', models);
    models.forEach((model, m) => {
      if (!(model instanceof UNet)) throw typeError(`models[${m}]`, 'a UNet', model);
      const [first, config] = [models[0].config, model.config];
      if (config.inChannels !== first.inChannels || config.classes !== first.classes) {
        throw new RangeError(
          `models[${m}]: inChannels ${config.inChannels} and classes ${config.classes} differ from models[0]'s ${first.inChannels} and ${first.classes}: ` +
            'an ensemble needs models of the same inputs and classes',
        );
      }
    });
    this.models = [...models];
  }

  /** Loads every model file; none stays loaded when one fails. */
  static async load(paths: readonly string[], options: { device?: DeviceName } = {}): Promise<Ensemble> {
    if (!Array.isArray(paths) || paths.length === 0) throw typeError('paths', 'a non-empty array of model files', paths);
    const settled = await Promise.allSettled(paths.map((path) => UNet.load(path, options)));
    const loaded = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = settled.findIndex((result) => result.status === 'rejected');
    try {
      if (failed >= 0) throw (settled[failed] as PromiseRejectedResult).reason;
      return new Ensemble(loaded);
    } catch (error) {
      for (const model of loaded) model.dispose();
      throw error;
    }
  }

  /** The first model's configuration (all share the channels and classes). */
  get config(): UNetConfig {
    return this.models[0].config;
  }

  /**
   * The mean of the models' probabilities (output 'probabilities') or its mask (output 'mask', the default:
   * `threshold` for one class, else the likeliest class, then `postprocess`). 'logits' is refused: an ensemble
   * averages probabilities.
   */
  async predict(images: TensorLike, options: PredictOptions = {}): Promise<Tensor> {
    if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
    const { output, threshold, postprocess, ...perModel } = options;
    if (output === 'logits') throw new RangeError("options.output: an ensemble averages probabilities: expected 'mask' or 'probabilities', got 'logits'");
    const probabilities: Tensor[] = [];
    for (const model of this.models) probabilities.push(await model.predict(images, { ...perModel, output: 'probabilities' }));
    return native.combinePredictions(probabilities, { output, threshold, postprocess });
  }

  dispose(): void {
    for (const model of this.models) model.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
