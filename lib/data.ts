// Data sets: folders of images and masks, the synthetic shapes, and splitting. One file per concern in data/.
export { loadFolder, MASK_SUFFIXES } from './data/folder.js';
export type { LoadFolderOptions } from './data/folder.js';
export { splitDataset, subsetDataset } from './data/dataset.js';
export type { Dataset, SplitOptions } from './data/dataset.js';
export { shapes, SHAPE_KINDS } from './data/shapes.js';
export type { ShapesOptions, ShapeObject, ShapeKind } from './data/shapes.js';
export { defaultCacheFolder } from './data/cache.js';
export { loadImage, writeMask, IMAGE_EXTENSIONS } from './image_io.js';
export type { LoadImageOptions, WriteMaskOptions, Channels } from './image_io.js';
