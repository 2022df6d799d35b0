// Percentiles as numpy.percentile computes them by default ('linear', Hyndman and Fan's type 7): the bootstrap's
// interval and the boxplot's quartiles use this one function.

/**
 * The `percent` (0 to 100) percentile of `sorted`, values in ascending order: the value at position
 * (length - 1) * percent / 100, interpolated linearly between its neighbours.
 */
export function percentile(sorted: ArrayLike<number>, percent: number): number {
  const position = (sorted.length - 1) * (percent / 100);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  const [low, high] = [sorted[below], sorted[above]];
  // From the nearer neighbour, as numpy's _lerp does, so equal inputs give numpy's bits.
  return fraction >= 0.5 ? high - (high - low) * (1 - fraction) : low + (high - low) * fraction;
}
