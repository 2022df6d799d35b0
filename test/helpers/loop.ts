// Counts the event loop's turns while work runs elsewhere: a timer re-armed each turn. A loop blocked by the
// work counts none until the work ends; a free one keeps counting. The count, not a delay, is what tests assert.
export function loopTurns(): { readonly count: number; stop(): number } {
  let count = 0;
  let timer: NodeJS.Timeout | undefined = setTimeout(function tick() {
    count++;
    timer = setTimeout(tick, 1);
  }, 1);
  return {
    get count() {
      return count;
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      return count;
    },
  };
}
