// Post-processing of masks with MONAI's semantics (KeepLargestConnectedComponent, FillHoles, RemoveSmallObjects),
// natively on 2D and 3D masks; every function runs on a worker thread and returns a Promise. A mask is class
// indices (N x 1 x spatial, or N x H x W: a label map, 0 the background) or one-hot / binary (N x C x spatial with
// C > 1: each channel's nonzero elements are inside, channel 0 the background). The result has the mask's shape
// and dtype: removed elements become 0 (in their channel), filled ones the class (1 in its channel).
// The core checks the options and owns their defaults (native/core/postprocess/postprocess.h).
import { native } from '../binding/loader.js';
import { checkTensor, type Tensor, type TensorLike } from '../tensor.js';

/** Neighbours that join elements: 4 (faces) or 8 in 2D, 6 (faces), 18 (faces and edges) or 26 in 3D. */
export type Connectivity = 4 | 8 | 6 | 18 | 26;

export interface KeepLargestComponentOptions {
  /** Default 8 (2D) or 26 (3D): every neighbour, as MONAI and nnU-Net. */
  connectivity?: Connectivity;
  /** Each class on its own; false: the union of the classes as one foreground. Default true. */
  independent?: boolean;
  /** The classes to process (label values, or one-hot channels). Default none (every class but 0). */
  labels?: number[];
}

export interface FillHolesOptions {
  /** Default 8 (2D) or 26 (3D): every neighbour, as MONAI. */
  connectivity?: Connectivity;
  /** The classes whose holes are filled. Default none (every class but 0). */
  labels?: number[];
}

export interface RemoveSmallObjectsOptions {
  /** Components of fewer elements are removed (one of exactly minSize stays). Default 64. */
  minSize?: number;
  /** Default 4 (2D) or 6 (3D): faces only, MONAI's connectivity=1. */
  connectivity?: Connectivity;
  /** Each class's components; false: the union's, whose small components lose every class. Default true. */
  independent?: boolean;
  /** The classes to process. Default none (every class but 0). */
  labels?: number[];
}

/**
 * The transforms to apply, in this order whatever the keys' order: removeSmallObjects, keepLargestComponent,
 * fillHoles. true applies one with its defaults.
 */
export interface PostprocessOptions {
  /** Default off. */
  removeSmallObjects?: boolean | RemoveSmallObjectsOptions;
  /** Default off. */
  keepLargestComponent?: boolean | KeepLargestComponentOptions;
  /** Default off. */
  fillHoles?: boolean | FillHolesOptions;
}

type Kind = 'keepLargestComponent' | 'fillHoles' | 'removeSmallObjects' | 'apply';

function run<D extends Tensor['data']>(kind: Kind, mask: TensorLike & { data: D }, options: object | undefined): Promise<Tensor<D>> {
  return native.postprocess(kind, checkTensor(mask, 'mask'), options ?? {}) as Promise<Tensor<D>>;
}

/**
 * MONAI's KeepLargestConnectedComponent: keeps each class's largest component (or the union's), removing the
 * rest. Components tied for the largest are all kept (nnU-Net's rule; MONAI keeps one of them).
 */
export async function keepLargestComponent<D extends Tensor['data']>(mask: TensorLike & { data: D }, options?: KeepLargestComponentOptions): Promise<Tensor<D>> {
  return run('keepLargestComponent', mask, options);
}

/**
 * MONAI's FillHoles: one-hot, each channel's enclosed holes (not-inside regions that cannot reach the border) are
 * filled; label maps, a background region that cannot reach the border and touches one class only becomes that
 * class (MONAI's code also paints over a class lying inside another; here only background is filled).
 */
export async function fillHoles<D extends Tensor['data']>(mask: TensorLike & { data: D }, options?: FillHolesOptions): Promise<Tensor<D>> {
  return run('fillHoles', mask, options);
}

/**
 * MONAI's RemoveSmallObjects: removes components of fewer than minSize elements, per class. A label map is read
 * as its one-hot form (MONAI's takes its values as ready-made objects, so removes whole classes smaller than
 * minSize).
 */
export async function removeSmallObjects<D extends Tensor['data']>(mask: TensorLike & { data: D }, options?: RemoveSmallObjectsOptions): Promise<Tensor<D>> {
  return run('removeSmallObjects', mask, options);
}

/** The transforms `options` names, in PostprocessOptions' order: what predict's `postprocess` runs. */
export async function apply<D extends Tensor['data']>(mask: TensorLike & { data: D }, options: PostprocessOptions): Promise<Tensor<D>> {
  return run('apply', mask, options);
}
