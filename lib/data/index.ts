// Data sets: folders of images and masks, the synthetic shapes, splitting, image files and the CLI's
// normalisation. One file per concern.
export { loadFolder, MASK_SUFFIXES } from './folder.js';
export type { LoadFolderOptions } from './folder.js';
export { splitDataset, subsetDataset } from './dataset.js';
export type { Dataset, SplitOptions } from './dataset.js';
export { shapes, SHAPE_KINDS } from './shapes.js';
export type { ShapesOptions, ShapeObject, ShapeKind } from './shapes.js';
export { defaultCacheFolder } from './cache.js';
export { loadImage, writeMask, IMAGE_EXTENSIONS } from './image_io.js';
export type { LoadImageOptions, WriteMaskOptions, Channels } from './image_io.js';
export { standardise } from './preprocess.js';
