// A synthetic segmentation set: circles, squares and triangles on noisy backgrounds, with exact masks. The
// class is in the outline only (each shape's intensity and size are drawn from the same ranges), so a model
// must learn shape, as in real segmentation.
import { checkOptions, integer, number, seedCheck } from '../validate.js';
import type { Dataset } from './dataset.js';
import { normal, seededRandom } from './random.js';

export type ShapeKind = 'circle' | 'square' | 'triangle';

/** The kinds in class order: with `classes` K >= 2, kind i is class i + 1. */
export const SHAPE_KINDS: readonly ShapeKind[] = ['circle', 'square', 'triangle'];

export interface ShapeObject {
  kind: ShapeKind;
  /** Centre, in pixels (pixel (x, y) covers [x, x + 1) x [y, y + 1)). */
  x: number;
  y: number;
  /** The exact area in pixels: the shapes' sizes are drawn as areas, so that size does not tell the kind. */
  area: number;
  /** Distance from the centre to the farthest point. */
  radius: number;
  /** Radians; circles have none. */
  rotation: number;
  /** The mask's value for this shape (0 for a distractor, a kind beyond the classes). */
  label: number;
}

export interface ShapesOptions {
  /** Default 200. */
  count?: number;
  /** Side of the square images. Default 64. */
  size?: number;
  /**
   * 1 (default): binary, every shape is foreground. 4: background, circle, square, triangle. 2 or 3: the first
   * kinds, with the others still drawn as distractors labelled background.
   */
  classes?: number;
  /** Standard deviation of the Gaussian pixel noise. Default 0.1. */
  noise?: number;
  /** 1 (default) or 3: colour images, each shape and background its own colour. */
  channels?: 1 | 3;
  /** Default 0: the same seed gives the same set. */
  seed?: number;
}

const SHAPES_PER_IMAGE = [1, 3];
// sqrt(area) as a fraction of the image side.
const SIDE_RANGE = [0.18, 0.3];
const PLACEMENT_TRIES = 50;

/** Circumradius of each kind for a given area. */
const RADIUS_PER_ROOT_AREA: Record<ShapeKind, number> = {
  circle: 1 / Math.sqrt(Math.PI),
  square: 1 / Math.SQRT2,
  triangle: Math.sqrt(4 / Math.sqrt(3)) / Math.sqrt(3),
};

type Inside = (px: number, py: number) => boolean;

/** The point test of a shape: convex polygons by their edges' half-planes. */
function insideTest(shape: ShapeObject): Inside {
  const { x, y, radius, rotation } = shape;
  if (shape.kind === 'circle') return (px, py) => (px - x) ** 2 + (py - y) ** 2 < radius * radius;
  const corners = shape.kind === 'square' ? 4 : 3;
  // Each edge as its start point and direction, flat: this runs for every pixel near the shape.
  const edges = new Float64Array(4 * corners);
  for (let i = 0; i < corners; i++) {
    const [from, to] = [rotation + (2 * Math.PI * i) / corners, rotation + (2 * Math.PI * (i + 1)) / corners];
    const [ax, ay] = [x + radius * Math.cos(from), y + radius * Math.sin(from)];
    edges.set([ax, ay, x + radius * Math.cos(to) - ax, y + radius * Math.sin(to) - ay], 4 * i);
  }
  return (px, py) => {
    for (let e = 0; e < edges.length; e += 4) {
      if (edges[e + 2] * (py - edges[e + 1]) - edges[e + 3] * (px - edges[e]) <= 0) return false;
    }
    return true;
  };
}

function placeShapes(uniform: () => number, size: number, classes: number): ShapeObject[] {
  const wanted = SHAPES_PER_IMAGE[0] + Math.floor(uniform() * (SHAPES_PER_IMAGE[1] - SHAPES_PER_IMAGE[0] + 1));
  const placed: ShapeObject[] = [];
  for (let attempt = 0; attempt < PLACEMENT_TRIES && placed.length < wanted; attempt++) {
    const kindIndex = Math.floor(uniform() * SHAPE_KINDS.length);
    const kind = SHAPE_KINDS[kindIndex];
    const side = size * (SIDE_RANGE[0] + (SIDE_RANGE[1] - SIDE_RANGE[0]) * uniform());
    const radius = side * RADIUS_PER_ROOT_AREA[kind];
    const x = radius + 1 + (size - 2 * radius - 2) * uniform();
    const y = radius + 1 + (size - 2 * radius - 2) * uniform();
    const rotation = kind === 'circle' ? 0 : 2 * Math.PI * uniform();
    // Two pixels between shapes: masks of touching shapes would merge.
    if (placed.some((other) => Math.hypot(other.x - x, other.y - y) < other.radius + radius + 2)) continue;
    const label = classes === 1 ? 1 : kindIndex + 1 < classes ? kindIndex + 1 : 0;
    placed.push({ kind, x, y, area: side * side, radius, rotation, label });
  }
  return placed;
}

/** A synthetic set of shapes (see ShapesOptions), with each image's shapes in `objects`. */
export function shapes(options: ShapesOptions = {}): Dataset & { objects: ShapeObject[][] } {
  const checked = checkOptions<ShapesOptions>(options, 'options', {
    count: integer(1, 1_000_000),
    size: integer(16, 4096),
    classes: integer(1, SHAPE_KINDS.length + 1),
    noise: number(0, 1),
    channels: (value, name) => {
      if (value !== 1 && value !== 3) throw new RangeError(`${name}: expected 1 or 3, got ${String(value)}`);
    },
    seed: seedCheck,
  });
  const { count = 200, size = 64, classes = 1, noise = 0.1, channels = 1, seed = 0 } = checked;
  const uniform = seededRandom(seed);
  const gaussian = normal(seededRandom(seed ^ 0x5eed));
  const plane = size * size;
  const images = new Float32Array(count * channels * plane);
  const masks = new Uint8Array(count * plane);
  const objects: ShapeObject[][] = [];
  const names: string[] = [];
  const owner = new Int8Array(plane);
  for (let n = 0; n < count; n++) {
    const placed = placeShapes(uniform, size, classes);
    objects.push(placed);
    names.push(`shape-${String(n).padStart(5, '0')}`);
    owner.fill(-1);
    placed.forEach((shape, index) => {
      const inside = insideTest(shape);
      const [x0, x1] = [Math.max(0, Math.floor(shape.x - shape.radius)), Math.min(size - 1, Math.ceil(shape.x + shape.radius))];
      const [y0, y1] = [Math.max(0, Math.floor(shape.y - shape.radius)), Math.min(size - 1, Math.ceil(shape.y + shape.radius))];
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) if (inside(x + 0.5, y + 0.5)) owner[y * size + x] = index;
      }
    });
    for (let pixel = 0; pixel < plane; pixel++) masks[n * plane + pixel] = owner[pixel] < 0 ? 0 : placed[owner[pixel]].label;
    for (let channel = 0; channel < channels; channel++) {
      // A dark background level with a gentle linear gradient; each shape 0.25-0.5 brighter (as stained nuclei
      // or lit objects are), so that the class is in the outline, not in the polarity.
      const level = 0.1 + 0.35 * uniform();
      const [gx, gy] = [0.2 * (uniform() - 0.5), 0.2 * (uniform() - 0.5)];
      const fills = placed.map(() => level + 0.25 + 0.25 * uniform());
      const offset = (n * channels + channel) * plane;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const shape = owner[y * size + x];
          const clean = shape < 0 ? level + gx * (x / size - 0.5) + gy * (y / size - 0.5) : fills[shape];
          images[offset + y * size + x] = Math.min(1, Math.max(0, clean + noise * gaussian()));
        }
      }
    }
  }
  return {
    images: { data: images, shape: [count, channels, size, size], dtype: 'float32' },
    masks: { data: masks, shape: [count, 1, size, size], dtype: 'uint8' },
    names,
    channels,
    classes,
    objects,
  };
}
