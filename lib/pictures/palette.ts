// The colours of classes in pictures and colour masks: the same class has the same colour everywhere.
import { integer } from '../validate.js';

export type Colour = [red: number, green: number, blue: number];

// Sasha Trubetskoy's "20 simple, distinct colours", most distinct first.
const DISTINCT: Colour[] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
  [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40], [255, 250, 200],
  [128, 0, 0], [170, 255, 195], [128, 128, 0], [255, 215, 180], [0, 0, 128], [128, 128, 128],
];

/** Beyond the list: hues a golden angle apart, fully saturated. */
function hue(index: number): Colour {
  const h = (index * 137.508) % 360;
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (1 - Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/**
 * One colour per class: class 0 (background) is black, then fixed distinct colours. `classes` as UNet's: 1 (binary)
 * gives two colours, background and foreground.
 */
export function palette(classes: number): Colour[] {
  integer(1, 65536)(classes, 'classes');
  const count = Math.max(2, classes);
  return Array.from({ length: count }, (_, index) =>
    index === 0 ? [0, 0, 0] : index <= DISTINCT.length ? ([...DISTINCT[index - 1]] as Colour) : hue(index),
  );
}

export function hexColour([red, green, blue]: Colour): string {
  return `#${[red, green, blue].map((value) => value.toString(16).padStart(2, '0')).join('')}`;
}
