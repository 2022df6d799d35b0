// A tiny synthetic segmentation set: a bright disc of random size and place on a noisy background.
import { random } from './data.js';

export function discs(count: number, size: number, seed: number) {
  const next = random(seed);
  const images = new Float32Array(count * size * size);
  const masks = new Uint8Array(count * size * size);
  for (let i = 0; i < count; i++) {
    const cx = size * (0.3 + 0.4 * next()), cy = size * (0.3 + 0.4 * next()), r = size * (0.12 + 0.15 * next());
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const at = i * size * size + y * size + x;
        const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
        masks[at] = inside ? 1 : 0;
        images[at] = (inside ? 0.8 : -0.2) + 0.3 * (next() - 0.5);
      }
    }
  }
  return { images: { data: images, shape: [count, 1, size, size] }, masks: { data: masks, shape: [count, 1, size, size] } };
}
